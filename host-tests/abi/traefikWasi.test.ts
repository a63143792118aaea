// Traefik's WASI quirks, checked directly on the import functions the test host hands a guest.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcExit, TraefikWasi } from '../host/traefikWasi.js';

const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;
const ERRNO_ROFS = 69;

function setup(options: Partial<ConstructorParameters<typeof TraefikWasi>[0]> = {}) {
  const wasi = new TraefikWasi({ mounts: [], env: {}, realtimeMs: () => 1_700_000_000_000.5, ...options });
  const memory = new WebAssembly.Memory({ initial: 1 });
  wasi.bind(memory);
  const call = (name: string, ...args: unknown[]) => wasi.imports[name]!(...args) as number;
  const view = () => new DataView(memory.buffer);
  return { wasi, memory, call, view };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'wasi-quirks-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('TraefikWasi', () => {
  it('REALTIME is the configured wall clock in nanoseconds', () => {
    const { call, view } = setup();
    expect(call('clock_time_get', 0, 0n, 8)).toBe(0);
    expect(view().getBigUint64(8, true)).toBe(1_700_000_000_000_500_000n);
  });

  it('MONOTONIC is fake: 0 on the first read, +1 ms per read, per instance', () => {
    const a = setup();
    const reads = [0, 1, 2].map(() => { a.call('clock_time_get', 1, 0n, 8); return a.view().getBigUint64(8, true); });
    expect(reads).toEqual([0n, 1_000_000n, 2_000_000n]);
    const b = setup();
    b.call('clock_time_get', 1, 0n, 8);
    expect(b.view().getBigUint64(8, true)).toBe(0n);
  });

  it('refuses CPU-time clocks and stubs what wazero stubs', () => {
    const { call } = setup();
    expect(call('clock_time_get', 2, 0n, 8)).toBe(ERRNO_INVAL);
    expect(call('fd_fdstat_set_rights', 3, 0n, 0n)).toBe(ERRNO_NOSYS);
    expect(call('proc_raise', 9)).toBe(ERRNO_NOSYS);
  });

  it('random_get is deterministic: two instances produce the same bytes', () => {
    const a = setup();
    const b = setup();
    a.call('random_get', 64, 32);
    b.call('random_get', 64, 32);
    const bytesA = Buffer.from(a.memory.buffer, 64, 32);
    expect(bytesA).toEqual(Buffer.from(b.memory.buffer, 64, 32));
    expect(new Set(bytesA).size).toBeGreaterThan(8); // not all zero or constant
  });

  it('discards stdout/stderr but reports them written', () => {
    const { call, view } = setup();
    new Uint8Array(view().buffer).set(Buffer.from('hello'), 100);
    view().setUint32(16, 100, true);
    view().setUint32(20, 5, true);
    expect(call('fd_write', 1, 16, 1, 32)).toBe(0);
    expect(view().getUint32(32, true)).toBe(5);
    expect(call('fd_write', 2, 16, 1, 32)).toBe(0);
  });

  it('environ holds only the names listed in settings.envs', () => {
    const { call, view, memory } = setup({ env: { MCPAUTH_MODE: 'strict', EMPTY: '' } });
    expect(call('environ_sizes_get', 0, 4)).toBe(0);
    expect(view().getUint32(0, true)).toBe(2);
    const size = view().getUint32(4, true);
    expect(call('environ_get', 16, 64)).toBe(0);
    const text = Buffer.from(memory.buffer, 64, size).toString('latin1');
    expect(text.split('\0').filter(Boolean).sort()).toEqual(['EMPTY=', 'MCPAUTH_MODE=strict']);
  });

  it('proc_exit closes the module with its exit code', () => {
    const { call } = setup();
    expect(() => call('proc_exit', 3)).toThrow(ProcExit);
    expect(() => call('proc_exit', 3)).toThrow('module closed with exit_code(3)');
  });

  it('preopens mounts in order under their guest path and refuses writes to ":ro" mounts', () => {
    const { call, view, memory } = setup({ mounts: [{ hostDir: tmp, guestDir: '/rw' }, { hostDir: tmp, guestDir: '/ro', readOnly: true }] });
    const name = (fd: number) => {
      expect(call('fd_prestat_get', fd, 0)).toBe(0);
      const len = view().getUint32(4, true);
      expect(call('fd_prestat_dir_name', fd, 16, len)).toBe(0);
      return Buffer.from(memory.buffer, 16, len).toString();
    };
    expect([name(3), name(4)]).toEqual(['/rw', '/ro']);
    expect(call('fd_prestat_get', 5, 0)).toBe(8); // EBADF: no more preopens
    new Uint8Array(memory.buffer).set(Buffer.from('new.txt'), 200);
    const O_CREAT = 1;
    expect(call('path_open', 4, 0, 200, 7, O_CREAT, 0n, 0n, 0, 300)).toBe(ERRNO_ROFS);
    expect(call('path_open', 3, 0, 200, 7, O_CREAT, (1n << 6n) | (1n << 1n), 0n, 0, 300)).toBe(0);
  });
});
