// The few WASI preview1 calls the guest needs, declared by hand (AssemblyScript 0.28 ships no
// WASI bindings), with non-trapping wrappers: wall-clock time and reading a small file from a
// directory Traefik mounted for the plugin (`settings.mounts`).
//
// Traefik quirks (wazero defaults) that shape this file:
// - REALTIME is the real wall clock (Traefik sets WithSysWalltime), but MONOTONIC is fake: it
//   starts at 0 and advances 1 ms per read. Never use MONOTONIC for expiry checks.
// - Files are reachable only through preopened directories (fd 3, 4, ...), named after the
//   mount's guest path. There is no current directory, so absolute guest paths are resolved here
//   against the preopen names.
import { decodeUtf8LossyUnsafe, encodeUtf8Unsafe, utf8Length } from "./utf8";

// ---- raw imports (errno results are u16 on the wire, returned as i32) ---------------------------

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(id: u32, precision: u64, time: usize): u32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_get")
declare function fd_prestat_get(fd: u32, prestat: usize): u32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_prestat_dir_name")
declare function fd_prestat_dir_name(fd: u32, path: usize, pathLen: u32): u32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "path_open")
declare function path_open(
  dirfd: u32, dirflags: u32, path: usize, pathLen: u32, oflags: u32,
  rightsBase: u64, rightsInheriting: u64, fdflags: u32, fdOut: usize,
): u32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: u32, nread: usize): u32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_close")
declare function fd_close(fd: u32): u32;

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_filestat_get")
declare function fd_filestat_get(fd: u32, filestat: usize): u32;

// ---- constants ----------------------------------------------------------------------------------

const CLOCK_REALTIME: u32 = 0;
const LOOKUP_SYMLINK_FOLLOW: u32 = 1;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_FILESTAT_GET: u64 = 1 << 21;
const PREOPEN_TYPE_DIR: u8 = 0;
const FILETYPE_REGULAR_FILE: u8 = 4;
const ERRNO_BADF: u32 = 8;
/** Preopens are scanned from fd 3 up to this many descriptors. */
const MAX_PREOPENS: u32 = 64;
/** A preopen name longer than this is skipped (a mount path, not data). */
const MAX_PREOPEN_NAME: u32 = 4096;
/** readFileLimited refuses limits above this so a typo cannot ask for gigabytes. */
export const MAX_FILE_LIMIT: i32 = 64 << 20;

// Static out-parameters: the WASI calls write their results here, so no per-call allocation.
const timeOut = memory.data(8, 8);      // u64 timestamp
const prestatOut = memory.data(8, 8);   // { u8 tag; u32 name_len @4 }
const fdOut = memory.data(4, 4);        // u32 fd
const iovec = memory.data(8, 4);        // { u32 buf; u32 buf_len }
const nreadOut = memory.data(4, 4);     // u32 nread
const filestatOut = memory.data(64, 8); // filetype u8 @16, size u64 @32

const ERRNO_NAMES: StaticArray<string> = [
  "ESUCCESS", "E2BIG", "EACCES", "EADDRINUSE", "EADDRNOTAVAIL", "EAFNOSUPPORT", "EAGAIN", "EALREADY",
  "EBADF", "EBADMSG", "EBUSY", "ECANCELED", "ECHILD", "ECONNABORTED", "ECONNREFUSED", "ECONNRESET",
  "EDEADLK", "EDESTADDRREQ", "EDOM", "EDQUOT", "EEXIST", "EFAULT", "EFBIG", "EHOSTUNREACH", "EIDRM",
  "EILSEQ", "EINPROGRESS", "EINTR", "EINVAL", "EIO", "EISCONN", "EISDIR", "ELOOP", "EMFILE", "EMLINK",
  "EMSGSIZE", "EMULTIHOP", "ENAMETOOLONG", "ENETDOWN", "ENETRESET", "ENETUNREACH", "ENFILE", "ENOBUFS",
  "ENODEV", "ENOENT", "ENOEXEC", "ENOLCK", "ENOLINK", "ENOMEM", "ENOMSG", "ENOPROTOOPT", "ENOSPC",
  "ENOSYS", "ENOTCONN", "ENOTDIR", "ENOTEMPTY", "ENOTRECOVERABLE", "ENOTSOCK", "ENOTSUP", "ENOTTY",
  "ENXIO", "EOVERFLOW", "EOWNERDEAD", "EPERM", "EPIPE", "EPROTO", "EPROTONOSUPPORT", "EPROTOTYPE",
  "ERANGE", "EROFS", "ESPIPE", "ESRCH", "ESTALE", "ETIMEDOUT", "ETXTBSY", "EXDEV", "ENOTCAPABLE",
];

/** The WASI name of an errno ("ENOENT"), or "errno <n>" for values outside preview1. */
export function errnoName(errno: u32): string {
  if (errno < <u32>ERRNO_NAMES.length) return ERRNO_NAMES[errno];
  return "errno " + errno.toString();
}

// ---- clock --------------------------------------------------------------------------------------

// REALTIME in nanoseconds, or -1 when the host refuses.
function realtimeNanos(): i64 {
  if (clock_time_get(CLOCK_REALTIME, 1_000_000, timeOut) != 0) return -1;
  return load<i64>(timeOut);
}

/** Unix time in whole seconds from the REALTIME clock; -1 if unavailable (callers must fail closed). */
export function nowUnixSeconds(): i64 {
  let ns = realtimeNanos();
  return ns < 0 ? -1 : ns / 1_000_000_000;
}

/** Unix time in milliseconds from the REALTIME clock; -1 if unavailable (callers must fail closed). */
export function nowUnixMillis(): i64 {
  let ns = realtimeNanos();
  return ns < 0 ? -1 : ns / 1_000_000;
}

// ---- preopened directories ----------------------------------------------------------------------

class Preopen {
  constructor(public fd: u32, public name: string) {}
}

let preopens: Preopen[] | null = null;

// wazero matches guest paths after stripping leading "/" and "./" and trailing "/" ("." and "/"
// both mean the root); names and paths are compared in that cleaned form.
function cleanPath(p: string): string {
  let start = 0;
  let end = p.length;
  while (start < end) {
    let c = p.charCodeAt(start);
    if (c == 0x2F) { start++; continue; }                                      // "/"
    if (c == 0x2E && start + 1 < end && p.charCodeAt(start + 1) == 0x2F) { start += 2; continue; } // "./"
    break;
  }
  while (end > start && p.charCodeAt(end - 1) == 0x2F) end--;
  let s = p.substring(start, end);
  return s == "." ? "" : s;
}

function scanPreopens(): Preopen[] {
  let found = new Array<Preopen>(0);
  for (let fd: u32 = 3; fd < 3 + MAX_PREOPENS; fd++) {
    let errno = fd_prestat_get(fd, prestatOut);
    if (errno == ERRNO_BADF) break;   // past the last preopen
    if (errno != 0) continue;          // not a preopen (or not one we can use)
    if (load<u8>(prestatOut) != PREOPEN_TYPE_DIR) continue;
    let nameLen = load<u32>(prestatOut, 4);
    if (nameLen > MAX_PREOPEN_NAME) continue;
    let name = new ArrayBuffer(<i32>nameLen);
    if (fd_prestat_dir_name(fd, changetype<usize>(name), nameLen) != 0) continue;
    // Some hosts count a trailing NUL in name_len.
    let n = <usize>nameLen;
    while (n > 0 && load<u8>(changetype<usize>(name) + n - 1) == 0) n--;
    found.push(new Preopen(fd, cleanPath(decodeUtf8LossyUnsafe(changetype<usize>(name), n))));
  }
  return found;
}

function getPreopens(): Preopen[] {
  let list = preopens;
  if (list === null) {
    list = scanPreopens();
    preopens = list;
  }
  return list;
}

/** Guest paths of the preopened directories, cleaned ("" is the root). For diagnostics and tests. */
export function preopenNames(): string[] {
  let list = getPreopens();
  let names = new Array<string>(list.length);
  for (let i = 0; i < list.length; i++) names[i] = list[i].name;
  return names;
}

// ---- files --------------------------------------------------------------------------------------

export class FileReadResult {
  constructor(public ok: bool, public data: Uint8Array, public error: string) {}
}

function fail(error: string): FileReadResult {
  return new FileReadResult(false, new Uint8Array(0), error);
}

function hasDotDotSegment(p: string): bool {
  let segStart = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i == p.length || p.charCodeAt(i) == 0x2F) {
      if (i - segStart == 2 && p.charCodeAt(segStart) == 0x2E && p.charCodeAt(segStart + 1) == 0x2E) return true;
      segStart = i + 1;
    }
  }
  return false;
}

/**
 * Reads the file at absolute guest path `path` if it has at most `maxBytes` bytes.
 * Errors name the failing step and the WASI errno, e.g. "open /conf/keys.json: ENOENT",
 * "file too large: /conf/big (limit 4096 bytes)", "path outside mounts: /etc/passwd".
 * The descriptor is always closed. Never traps (short of running out of memory).
 */
export function readFileLimited(path: string, maxBytes: i32): FileReadResult {
  if (maxBytes < 0 || maxBytes > MAX_FILE_LIMIT) return fail("invalid maxBytes " + maxBytes.toString() + ": " + path);
  if (path.length == 0 || path.charCodeAt(0) != 0x2F) return fail("path must be absolute: " + path);
  if (hasDotDotSegment(path)) return fail("path escapes its mount: " + path);

  // Longest preopen name that is a whole-segment prefix of the cleaned path.
  let cleaned = cleanPath(path);
  let list = getPreopens();
  let best: Preopen | null = null;
  let rel = "";
  for (let i = 0; i < list.length; i++) {
    let p = list[i];
    let name = p.name;
    let candidate: string;
    if (name.length == 0) candidate = cleaned;
    else if (cleaned == name) candidate = "";
    else if (cleaned.startsWith(name) && cleaned.charCodeAt(name.length) == 0x2F) candidate = cleaned.substring(name.length + 1);
    else continue;
    if (best === null || name.length > best.name.length) { best = p; rel = candidate; }
  }
  if (best === null) return fail("path outside mounts: " + path);
  if (rel.length == 0) rel = ".";

  let relBytes = new ArrayBuffer(<i32>utf8Length(rel));
  let relLen = encodeUtf8Unsafe(rel, changetype<usize>(relBytes));
  let errno = path_open(
    best.fd, LOOKUP_SYMLINK_FOLLOW, changetype<usize>(relBytes), <u32>relLen, 0,
    RIGHT_FD_READ | RIGHT_FD_FILESTAT_GET, 0, 0, fdOut,
  );
  if (errno != 0) return fail("open " + path + ": " + errnoName(errno));
  let fd = load<u32>(fdOut);
  let result = readOpenFile(fd, path, maxBytes);
  fd_close(fd); // a close error cannot change what was read
  return result;
}

function tooLargeError(path: string, maxBytes: i32): FileReadResult {
  return fail("file too large: " + path + " (limit " + maxBytes.toString() + " bytes)");
}

function readOpenFile(fd: u32, path: string, maxBytes: i32): FileReadResult {
  let limit = <u32>maxBytes;
  // The size is a hint that lets us refuse early and allocate once; the read loop below still
  // enforces the limit in case the file changes underneath us or the host cannot stat.
  let capacity: u32 = limit < 4096 ? limit + 1 : 4096;
  if (fd_filestat_get(fd, filestatOut) == 0) {
    if (load<u8>(filestatOut, 16) != FILETYPE_REGULAR_FILE) return fail("not a regular file: " + path);
    let size = load<u64>(filestatOut, 32);
    if (size > <u64>limit) return tooLargeError(path, maxBytes);
    capacity = <u32>size + 1; // +1 so EOF is seen without a second buffer
  }
  let buf = new ArrayBuffer(<i32>capacity);
  let total: u32 = 0;
  while (true) {
    if (total == <u32>buf.byteLength) {
      if (total > limit) return tooLargeError(path, maxBytes);
      let grown = <u64>total << 1;
      if (grown > <u64>limit + 1) grown = <u64>limit + 1;
      let next = new ArrayBuffer(<i32>grown);
      memory.copy(changetype<usize>(next), changetype<usize>(buf), total);
      buf = next;
    }
    store<u32>(iovec, <u32>(changetype<usize>(buf) + total));
    store<u32>(iovec, <u32>buf.byteLength - total, 4);
    let errno = fd_read(fd, iovec, 1, nreadOut);
    if (errno != 0) return fail("read " + path + ": " + errnoName(errno));
    let n = load<u32>(nreadOut);
    if (n == 0) break; // EOF
    if (n > <u32>buf.byteLength - total) return fail("read " + path + ": host reported more bytes than asked");
    total += n;
  }
  if (total > limit) return tooLargeError(path, maxBytes);
  let data = new Uint8Array(<i32>total);
  memory.copy(data.dataStart, changetype<usize>(buf), total);
  return new FileReadResult(true, data, "");
}
