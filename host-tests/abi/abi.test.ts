// The guest ABI layer (assembly/abi) exercised end to end: the probe guest
// (assembly/testing/abi_probe.ts) is built on it and run in the Traefik-faithful test host.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtTestGuest } from '../host/builtGuest.js';
import { goJsonMarshal, HttpWasmHost, readModuleInfo, type HttpWasmHostOptions } from '../host/index.js';

const PROBE = builtTestGuest('abi_probe');
const INITIAL_SCRATCH = 2048;
const MAX_VALUE = 1 << 20;

type Echo = {
  method: string; uri: string; protocol: string; sourceAddr: string;
  headerNames: string[]; headerNamesTooLarge: boolean; headers: Record<string, string[]>;
  tooLargeHeaders: string[]; config: string; configLength: number; configTooLarge: boolean;
  initConfig: string; nowSeconds: number; nowMillis: number; requestCount: number;
  scratchBytes: number; logEnabled: boolean[];
};

async function probe(options: HttpWasmHostOptions = {}) {
  return HttpWasmHost.create(PROBE, options);
}

async function echo(host: HttpWasmHost, req: Parameters<HttpWasmHost['handle']>[0] = {}): Promise<Echo> {
  const r = await host.handle(req);
  expect(r.trapped, r.error).toBe(false);
  expect(r.status).toBe(200);
  return r.json<Echo>();
}

describe('probe build', () => {
  it('imports only http_handler and wasi_snapshot_preview1, and starts through an exported _start (no start section)', () => {
    const info = readModuleInfo(readFileSync(PROBE));
    const modules = new Set(info.imports.map((i) => i.module));
    expect([...modules].sort()).toEqual(['http_handler', 'wasi_snapshot_preview1']);
    expect(info.hasStartSection).toBe(false);
    expect(info.exports.map((e) => e.name)).toEqual(expect.arrayContaining(['_start', 'handle_request', 'handle_response', 'memory']));
  });
});

describe('request line and source', () => {
  it('reads method, uri, protocol and source address', async () => {
    const host = await probe();
    const e = await echo(host, { method: 'POST', uri: '/mcp/v1?session=abc&x=%2F', protocol: 'HTTP/2.0', sourceAddr: '203.0.113.7:51234' });
    expect(e).toMatchObject({ method: 'POST', uri: '/mcp/v1?session=abc&x=%2F', protocol: 'HTTP/2.0', sourceAddr: '203.0.113.7:51234' });
  });

  it('reads a URI longer than the scratch buffer (ask, then retry at the exact size)', async () => {
    const host = await probe();
    const uri = '/long?' + 'q='.padEnd(6000, 'x');
    const e = await echo(host, { uri });
    expect(e.uri).toBe(uri);
    expect(e.scratchBytes).toBeGreaterThanOrEqual(6000);
  });
});

describe('headers', () => {
  it('lists lowercased, sorted names with the synthetic host, and every value in order', async () => {
    const host = await probe();
    const e = await echo(host, {
      host: 'api.example.com',
      headers: [['X-Zeta', 'z'], ['accept', 'a'], ['X-Alpha', 'first'], ['x-alpha', 'second'], ['X-ALPHA', 'third']],
    });
    expect(e.headerNames).toEqual(['accept', 'host', 'x-alpha', 'x-zeta']);
    expect(e.headers).toEqual({ accept: ['a'], host: ['api.example.com'], 'x-alpha': ['first', 'second', 'third'], 'x-zeta': ['z'] });
  });

  it('uses the Host header as host when no host is given, and a default otherwise', async () => {
    const host = await probe();
    expect((await echo(host, { headers: [['Host', 'from-header.test']] })).headers.host).toEqual(['from-header.test']);
    expect((await echo(host)).headers.host).toEqual(['localhost']);
  });

  it('retries values and name lists larger than the initial scratch buffer', async () => {
    const host = await probe();
    const big = 'v'.repeat(10_000);
    const many = Array.from({ length: 120 }, (_, i) => [`x-a-rather-long-header-name-${String(i).padStart(3, '0')}`, String(i)] as [string, string]);
    const e = await echo(host, { headers: [['x-big', big], ...many] });
    expect(e.headers['x-big']).toEqual([big]);
    expect(e.headerNames).toHaveLength(122);
    expect(e.headerNames.join('\0').length).toBeGreaterThan(INITIAL_SCRATCH);
    expect(e.headers['x-a-rather-long-header-name-119']).toEqual(['119']);
    expect(e.scratchBytes).toBeGreaterThanOrEqual(10_001);
    expect(e.tooLargeHeaders).toEqual([]);
  });

  it('returns empty plus a flag for a value over 1 MiB, without trapping, and keeps serving', async () => {
    const host = await probe();
    const huge = 'h'.repeat(MAX_VALUE + 10);
    const e = await echo(host, { headers: [['x-huge', huge], ['x-small', 'ok']] });
    expect(e.tooLargeHeaders).toEqual(['x-huge']);
    expect(e.headers['x-huge']).toEqual([]);
    expect(e.headers['x-small']).toEqual(['ok']);
    expect(e.scratchBytes).toBeLessThanOrEqual(MAX_VALUE);
    expect((await echo(host, { headers: [['x-small', 'again']] })).headers['x-small']).toEqual(['again']);
  });

  it('host writes nothing when the value exceeds the limit, but reports the full length and count', async () => {
    const host = await probe();
    const uri = '/limit/check?z=1';
    const r = await host.handle({ uri, headers: [['x-probe-action', 'raw-limit']] });
    const j = r.json();
    expect(j.uriLen).toBe(Buffer.byteLength(uri));
    expect(j.uriUntouched).toBe(true);
    // names are "host\0x-probe-action\0"
    expect(j.namesCount).toBe(2);
    expect(j.namesBytes).toBe('host\0x-probe-action\0'.length);
    expect(j.namesUntouched).toBe(true);
  });

  it('hands raw bytes to getHeaderValuesRaw and decodes invalid UTF-8 like WHATWG (U+FFFD) without trapping', async () => {
    const host = await probe();
    const values = [
      Buffer.from([0x42, 0x65, 0x61, 0x72, 0x65, 0x72, 0x20, 0xff, 0xfe, 0x41]),
      Buffer.from([0xc0, 0x80, 0xed, 0xa0, 0x80, 0xe2, 0x82]),
      Buffer.from('Bearer caf\u00e9 \u{1F600}', 'utf8'),
    ];
    const r = await host.handle({ headers: [['x-probe-action', 'raw'], ...values.map((v) => ['Authorization', v] as [string, Buffer])] });
    expect(r.trapped).toBe(false);
    const j = r.json();
    expect(j.hex).toEqual(values.map((v) => v.toString('hex')));
    expect(j.decoded).toEqual(values.map((v) => new TextDecoder().decode(v)));
  });

  it('decodes random byte strings exactly like TextDecoder', async () => {
    const host = await probe();
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = Array.from({ length: 60 }, () => {
      const len = 1 + Math.floor(rand() * 24);
      // Bias towards bytes that start or continue multi-byte sequences; never NUL (HTTP forbids it).
      return Buffer.from(Array.from({ length: len }, () => (rand() < 0.6 ? 0x80 + Math.floor(rand() * 0x80) : 1 + Math.floor(rand() * 0x7f))));
    });
    const r = await host.handle({ headers: [['x-probe-action', 'raw'], ...values.map((v) => ['authorization', v] as [string, Buffer])] });
    const j = r.json();
    expect(j.decoded).toEqual(values.map((v) => new TextDecoder().decode(v)));
  });

  it('refuses inputs the host would panic on instead of trapping', async () => {
    const host = await probe();
    const r = await host.handle({ headers: [['x-probe-action', 'guards']] });
    expect(r.trapped, r.error).toBe(false);
    expect(r.json()).toEqual({ emptyNameValues: 0, emptyNameSet: false, badKindNames: 0, badStatusAccepted: false });
  });

  it('sets, adds and removes request headers before next', async () => {
    const host = await probe();
    const r = await host.handle({
      headers: [
        ['x-probe-action', 'mutate'], ['Authorization', 'Bearer secret'],
        ['x-probe-set', 'x-user=alice'], ['x-probe-set', 'x-scope=read write'],
        ['x-probe-add', 'x-multi=1'], ['x-probe-add', 'x-multi=2'], ['x-probe-remove', 'authorization'],
      ],
    });
    expect(r.next).toBe(true);
    expect(r.reqCtx).toBe(1);
    const up = r.upstreamRequest!;
    expect(up.header('authorization')).toBeUndefined();
    expect(up.header('x-user')).toBe('alice');
    expect(up.header('x-scope')).toBe('read write');
    expect(up.headerValues('x-multi')).toEqual(['1', '2']);
    expect(r.logs.map((l) => l.message)).toContain('handle_response ctx=1 isError=0');
  });
});

describe('config', () => {
  it('serves Go json.Marshal bytes (sorted keys, HTML-escaped) at init and per request', async () => {
    const config = { zeta: 'a<b>&c', Alpha: { y: 2, x: [true, null] }, issuer: 'https://auth.example/?a=1&b=2' };
    const host = await probe({ config });
    const want = '{"Alpha":{"x":[true,null],"y":2},"issuer":"https://auth.example/?a=1\\u0026b=2","zeta":"a\\u003cb\\u003e\\u0026c"}';
    expect(goJsonMarshal(config)).toBe(want);
    const e = await echo(host);
    expect(e.config).toBe(want);
    expect(e.configLength).toBe(Buffer.byteLength(want));
    expect(e.initConfig).toBe(want); // read by _start before any request
  });

  it('gives length 0 without config and "null" for a nil options map', async () => {
    expect((await echo(await probe())).configLength).toBe(0);
    const e = await echo(await probe({ config: null }));
    expect(e.config).toBe('null');
  });

  it('retries a config larger than the scratch buffer', async () => {
    const config = { keys: 'k'.repeat(9000) };
    const e = await echo(await probe({ config }));
    expect(e.config).toBe(goJsonMarshal(config));
    expect(e.initConfig).toBe(goJsonMarshal(config));
  });
});

describe('WASI files (readFileLimited)', () => {
  let dataDir: string;
  let keysDir: string;
  let host: HttpWasmHost;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'abi-data-'));
    keysDir = mkdtempSync(path.join(os.tmpdir(), 'abi-keys-'));
    writeFileSync(path.join(dataDir, 'small.txt'), 'hello');
    writeFileSync(path.join(dataDir, 'exact.bin'), 'e'.repeat(100));
    writeFileSync(path.join(dataDir, 'big.bin'), 'b'.repeat(2000));
    writeFileSync(path.join(dataDir, 'empty.txt'), '');
    mkdirSync(path.join(dataDir, 'sub'));
    writeFileSync(path.join(dataDir, 'sub', 'nested.json'), '{"k":1}');
    writeFileSync(path.join(keysDir, 'jwks.json'), '{"keys":[]}');
    host = await probe({ mounts: [`${dataDir}:/data`, { hostDir: keysDir, guestDir: '/etc/mcpauth', readOnly: true }] });
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(keysDir, { recursive: true, force: true });
  });

  async function read(p: string, max = 1024) {
    const r = await host.handle({ headers: [['x-probe-action', 'file'], ['x-probe-path', p], ['x-probe-max', String(max)]] });
    expect(r.trapped, r.error).toBe(false);
    return r.json<{ ok: boolean; error: string; text: string; length: number; preopens: string[] }>();
  }

  it('reads files under each mount and lists the preopens', async () => {
    expect(await read('/data/small.txt')).toMatchObject({ ok: true, error: '', text: 'hello', length: 5, preopens: ['data', 'etc/mcpauth'] });
    expect(await read('/data/sub/nested.json')).toMatchObject({ ok: true, text: '{"k":1}' });
    expect(await read('/etc/mcpauth/jwks.json')).toMatchObject({ ok: true, text: '{"keys":[]}' });
    expect(await read('/data/empty.txt')).toMatchObject({ ok: true, length: 0 });
  });

  it('accepts a file of exactly maxBytes and refuses one byte more', async () => {
    expect(await read('/data/exact.bin', 100)).toMatchObject({ ok: true, length: 100 });
    expect(await read('/data/exact.bin', 99)).toMatchObject({ ok: false, length: 0, error: 'file too large: /data/exact.bin (limit 99 bytes)' });
    expect(await read('/data/big.bin', 100)).toMatchObject({ ok: false, error: 'file too large: /data/big.bin (limit 100 bytes)' });
  });

  it('names the errno of a missing file', async () => {
    expect(await read('/data/missing.txt')).toMatchObject({ ok: false, error: 'open /data/missing.txt: ENOENT' });
  });

  it('refuses paths outside the mounts, escaping them, relative or naming a directory', async () => {
    expect((await read('/etc/passwd')).error).toBe('path outside mounts: /etc/passwd');
    expect((await read('/datax/small.txt')).error).toBe('path outside mounts: /datax/small.txt');
    expect((await read('/data/../etc/passwd')).error).toBe('path escapes its mount: /data/../etc/passwd');
    expect((await read('data/small.txt')).error).toBe('path must be absolute: data/small.txt');
    expect((await read('/data/sub')).error).toBe('not a regular file: /data/sub');
  });

  it('finds nothing when Traefik mounts nothing', async () => {
    const bare = await probe();
    const r = await bare.handle({ headers: [['x-probe-action', 'file'], ['x-probe-path', '/data/small.txt']] });
    expect(r.json()).toMatchObject({ ok: false, error: 'path outside mounts: /data/small.txt', preopens: [] });
  });
});

describe('clock', () => {
  it('reads REALTIME close to Date.now()', async () => {
    const host = await probe();
    const before = Date.now();
    const e = await echo(host);
    const after = Date.now();
    expect(e.nowMillis).toBeGreaterThanOrEqual(before);
    expect(e.nowMillis).toBeLessThanOrEqual(after);
    expect(e.nowSeconds).toBe(Math.floor(e.nowMillis / 1000));
  });

  it('follows an injected clock, an offset and a clock swapped between requests', async () => {
    const host = await probe({ now: () => 1_700_000_000_123.9 });
    let e = await echo(host);
    expect(e.nowMillis).toBe(1_700_000_000_123);
    expect(e.nowSeconds).toBe(1_700_000_000);
    host.clockOffsetMs = 1000;
    e = await echo(host);
    expect(e.nowSeconds).toBe(1_700_000_001);
    host.setClock(() => 1_800_000_000_999);
    host.clockOffsetMs = 0;
    e = await echo(host);
    expect(e.nowSeconds).toBe(1_800_000_000);
  });
});

describe('logging and abort', () => {
  it('logs at every level, UTF-8 intact, and log_enabled is always true', async () => {
    const host = await probe();
    const r = await host.handle({ headers: [['x-probe-action', 'log']] });
    expect(r.logs.map((l) => [l.level, l.message])).toEqual([
      [-1, 'probe log -1'], [0, 'probe log 0'], [1, 'probe log 1'], [2, 'probe log 2'], [3, 'probe log 3'],
      [0, 'non-ascii: \u00e9\u{1F600}'],
    ]);
    expect(host.logs).toEqual(r.logs);
    expect((await echo(host)).logEnabled).toEqual([true, true, true, true, true]);
  });

  it('guestAbort logs the message and location at error level, then traps', async () => {
    const host = await probe();
    const r = await host.handle({ headers: [['x-probe-action', 'trap']] });
    expect(r.trapped).toBe(true);
    expect(r.status).toBe(500);
    expect(r.text()).toMatch(/^wasm error: unreachable\nwasm stack trace:/);
    expect(r.logs).toHaveLength(1);
    expect(r.logs[0]).toMatchObject({ level: 2, levelName: 'error' });
    expect(r.logs[0]!.message).toMatch(/^guest abort: probe asked to trap at assembly\/testing\/abi_probe\.ts:\d+:\d+$/);
  });
});
