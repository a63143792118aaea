// wasi_snapshot_preview1 as Traefik's wazero configures it for a plugin, built on node:wasi with
// the quirks layered on (pkg/plugins/middlewarewasm.go + wazero v1.8 defaults):
// - clock_time_get REALTIME is the real wall clock (WithSysWalltime); tests may shift or replace it;
// - MONOTONIC is wazero's fake nanotime: 0 on the first read, +1 ms on every read, per instance;
// - random_get is deterministic per instance (wazero seeds math/rand with 42; the bytes here come
//   from a different generator, only the determinism is mirrored);
// - stdout/stderr are discarded, args are empty, environ holds only `settings.envs` names;
// - files only under `settings.mounts` ("hostDir", "hostDir:guestDir", optional ":ro");
// - fd_fdstat_set_rights and proc_raise are ENOSYS stubs in wazero.
import path from 'node:path';
import { WASI } from 'node:wasi';

export interface Mount {
  hostDir: string;
  guestDir: string;
  readOnly?: boolean;
}

const ERRNO_SUCCESS = 0;
const ERRNO_INVAL = 28;
const ERRNO_NOSYS = 52;
const ERRNO_ROFS = 69;
const OFLAGS_CREAT = 1;
const OFLAGS_TRUNC = 8;
const FDFLAGS_APPEND = 1;
const RIGHT_FD_WRITE = 1n << 6n;

/** Thrown by proc_exit: wazero closes the module with this exit code. */
export class ProcExit extends Error {
  constructor(readonly exitCode: number) {
    super(`module closed with exit_code(${exitCode})`);
  }
}

/** Parses a mount the way Traefik does: "hostDir", "hostDir:guestDir", either with ":ro". */
export function parseMount(mount: string | Mount): Mount {
  if (typeof mount !== 'string') return mount;
  const readOnly = mount.endsWith(':ro');
  const prefix = readOnly ? mount.slice(0, -3) : mount;
  const parts = prefix.split(':');
  if (parts.length === 1) return { hostDir: parts[0]!, guestDir: parts[0]!, readOnly };
  if (parts.length === 2) return { hostDir: parts[0]!, guestDir: parts[1]!, readOnly };
  throw new Error(`invalid directory "${mount}"`);
}

// wazero's StripPrefixesAndTrailingSlash: the key under which a guest path is mounted.
function cleanGuestPath(p: string): string {
  let s = p;
  for (;;) {
    if (s.startsWith('/')) s = s.slice(1);
    else if (s.startsWith('./')) s = s.slice(2);
    else break;
  }
  while (s.endsWith('/')) s = s.slice(0, -1);
  return s === '.' ? '' : s;
}

// Whole milliseconds and the fraction separately: ms * 1e6 as a double loses the low digits.
function msToNanos(ms: number): bigint {
  const whole = Math.floor(ms);
  return BigInt(whole) * 1_000_000n + BigInt(Math.round((ms - whole) * 1e6));
}

export interface TraefikWasiOptions {
  mounts: Mount[];
  env: Record<string, string>;
  /** Unix time in milliseconds (may be fractional) for REALTIME. */
  realtimeMs: () => number;
}

/** One guest instance's WASI: create it, pass `imports` to instantiation, then `bind(memory)`. */
export class TraefikWasi {
  readonly imports: Record<string, (...args: any[]) => unknown>;
  private memory: WebAssembly.Memory | null = null;
  private readonly wasi: WASI;
  private readonly readOnlyFds = new Set<number>();
  private nanotime = -1_000_000n;
  private randState = 42n;

  constructor(options: TraefikWasiOptions) {
    // Later mounts of the same guest path replace earlier ones in place (wazero's WithSysFSMount).
    const byGuest = new Map<string, Mount>();
    const order: string[] = [];
    for (const m of options.mounts) {
      const key = cleanGuestPath(m.guestDir);
      if (!byGuest.has(key)) order.push(key);
      byGuest.set(key, m);
    }
    const preopens: Record<string, string> = {};
    order.forEach((key, i) => {
      const m = byGuest.get(key)!;
      preopens[key === '' ? '/' : m.guestDir] = path.resolve(m.hostDir);
      if (m.readOnly) this.readOnlyFds.add(3 + i);
    });
    this.wasi = new WASI({ version: 'preview1', args: [], env: options.env, preopens, returnOnExit: true });
    const importObject = this.wasi.getImportObject() as { wasi_snapshot_preview1: Record<string, (...args: any[]) => unknown> };
    const base = importObject.wasi_snapshot_preview1;
    const view = () => new DataView(this.mem().buffer);

    this.imports = {
      ...base,
      clock_time_get: (id: number, _precision: bigint, out: number): number => {
        let ns: bigint;
        if (id === 0) ns = msToNanos(options.realtimeMs());
        else if (id === 1) ns = this.nanotime += 1_000_000n;
        else return ERRNO_INVAL;
        view().setBigUint64(out, BigInt.asUintN(64, ns), true);
        return ERRNO_SUCCESS;
      },
      clock_res_get: (id: number, out: number): number => {
        if (id !== 0 && id !== 1) return ERRNO_INVAL;
        view().setBigUint64(out, id === 0 ? 1000n : 1n, true);
        return ERRNO_SUCCESS;
      },
      random_get: (buf: number, len: number): number => {
        const bytes = new Uint8Array(this.mem().buffer, buf, len);
        for (let i = 0; i < len; i++) {
          // splitmix64: deterministic, seeded like wazero's fake source (42)
          this.randState = BigInt.asUintN(64, this.randState + 0x9e3779b97f4a7c15n);
          let z = this.randState;
          z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
          z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
          bytes[i] = Number((z ^ (z >> 31n)) & 0xffn);
        }
        return ERRNO_SUCCESS;
      },
      fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number): number => {
        if (fd !== 1 && fd !== 2) return base.fd_write!(fd, iovs, iovsLen, nwritten) as number;
        const v = view();
        let total = 0;
        for (let i = 0; i < iovsLen; i++) total += v.getUint32(iovs + i * 8 + 4, true);
        v.setUint32(nwritten, total, true); // io.Discard accepts everything
        return ERRNO_SUCCESS;
      },
      path_open: (dirfd: number, dirflags: number, p: number, pLen: number, oflags: number,
        rightsBase: bigint, rightsInheriting: bigint, fdflags: number, fdOut: number): number => {
        const writes = (oflags & (OFLAGS_CREAT | OFLAGS_TRUNC)) !== 0 || (fdflags & FDFLAGS_APPEND) !== 0
          || (BigInt(rightsBase) & RIGHT_FD_WRITE) !== 0n;
        if (writes && this.readOnlyFds.has(dirfd)) return ERRNO_ROFS;
        return base.path_open!(dirfd, dirflags, p, pLen, oflags, rightsBase, rightsInheriting, fdflags, fdOut) as number;
      },
      fd_fdstat_set_rights: (): number => ERRNO_NOSYS,
      proc_raise: (): number => ERRNO_NOSYS,
      proc_exit: (code: number): never => {
        throw new ProcExit(code);
      },
    };
  }

  private mem(): WebAssembly.Memory {
    if (!this.memory) throw new Error('wasi: guest memory is not bound yet (called from the wasm start section?)');
    return this.memory;
  }

  /** Binds the guest's exported memory without running any export (start functions run separately). */
  bind(memory: WebAssembly.Memory): void {
    this.memory = memory;
    this.wasi.initialize({ exports: { memory } } as unknown as WebAssembly.Instance);
  }
}
