// Typed http-wasm API for policy code. Policy code imports only this module, never ./imports.
//
// Reading values: one module-level scratch buffer serves every "buf, limit" import. We ask with
// the buffer's size; when the host answers with a longer length (it wrote nothing then), the
// buffer grows to that length and we ask again. Growth stops at MAX_VALUE_BYTES: beyond it the
// call returns an empty result and `lastValueTooLarge()` answers true, instead of trapping.
// The buffer keeps its largest size afterwards (bounded by MAX_VALUE_BYTES per instance).
//
// Strings cross as UTF-8. Values read from the host are decoded with decodeUtf8LossyUnsafe, so
// invalid bytes in a header value become U+FFFD and can never trap; when the exact bytes matter
// (e.g. comparing an Authorization header byte for byte), use getHeaderValuesRaw.
//
// Never-trap contract: every function validates what the host would panic on (empty header
// names, unknown kinds, status codes outside 100..999) and does nothing instead. What it cannot
// check is ordering: Traefik panics when request headers, the status, response headers or the
// response body are changed in handle_response without buffer_response. Do those in
// handle_request only.
import {
  add_header_value, countLenBytes, countLenCount, enable_features, get_config, get_header_names,
  get_header_values, get_method, get_protocol_version, get_source_addr, get_uri, log as log_,
  log_enabled, remove_header, set_header_value, set_status_code, set_uri, write_body,
} from "./imports";
import { decodeUtf8LossyUnsafe, encodeUtf8Unsafe, utf8Length } from "./utf8";
// Pulls guestAbort into every guest that uses this API, so `--use abort=assembly/abi/abort/guestAbort`
// always resolves (asc only finds elements in files that are part of the program).
import "./abort";

export enum HeaderKind { Request = 0, Response = 1, RequestTrailers = 2, ResponseTrailers = 3 }
export enum BodyKind { Request = 0, Response = 1 }
export enum LogLevel { Debug = -1, Info = 0, Warn = 1, Error = 2, None = 3 }
/** Bits for enableFeatures. An auth guest should enable none of them (buffering breaks streaming). */
export enum Feature { BufferRequest = 1, BufferResponse = 2, Trailers = 4 }

/** Starting size of the scratch buffers: fits a typical URI, header list or bearer token. */
export const INITIAL_SCRATCH_BYTES: u32 = 2048;
/** Largest value we agree to read (Go's net/http caps all request headers at 1 MiB by default). */
export const MAX_VALUE_BYTES: u32 = 1 << 20;

// `scratch` receives values from the host and holds outgoing values; `keyScratch` holds the
// header name while the host writes the answer into `scratch`, so the two never overlap.
let scratch: ArrayBuffer = new ArrayBuffer(<i32>INITIAL_SCRATCH_BYTES);
let keyScratch: ArrayBuffer = new ArrayBuffer(256);
let tooLarge = false;

/** True when the last read returned empty because the value exceeded MAX_VALUE_BYTES. */
export function lastValueTooLarge(): bool { return tooLarge; }

/** Current size of the scratch buffer (for tests that check it grows and stays bounded). */
export function scratchCapacity(): u32 { return <u32>scratch.byteLength; }

// ---- scratch management -------------------------------------------------------------------------

// Makes `scratch` at least `n` bytes; false when `n` is over the cap.
function ensureScratch(n: u32): bool {
  if (n <= <u32>scratch.byteLength) return true;
  if (n > MAX_VALUE_BYTES) return false;
  let size = <u32>scratch.byteLength << 1;
  if (size < n) size = n;
  if (size > MAX_VALUE_BYTES) size = MAX_VALUE_BYTES;
  scratch = new ArrayBuffer(<i32>size);
  return true;
}

// Encodes `s` into `keyScratch`; returns its byte length, or -1 when it is over the cap.
function encodeKey(s: string): i32 {
  let n = utf8Length(s);
  if (n > <usize>MAX_VALUE_BYTES) return -1;
  if (n > <usize>keyScratch.byteLength) {
    let size = <usize>keyScratch.byteLength << 1;
    if (size < n) size = n;
    keyScratch = new ArrayBuffer(<i32>size);
  }
  return <i32>encodeUtf8Unsafe(s, changetype<usize>(keyScratch));
}

// Encodes `s` into `scratch` at `offset`; returns its byte length, or -1 when it does not fit
// under the cap. Bytes already in scratch[0..offset) are preserved when the buffer grows.
function encodeScratch(s: string, offset: u32): i32 {
  let n = <u32>utf8Length(s);
  let total = <u64>offset + <u64>n;
  if (total > <u64>MAX_VALUE_BYTES) return -1;
  if (<u32>total > <u32>scratch.byteLength) {
    let old = scratch;
    ensureScratch(<u32>total);
    memory.copy(changetype<usize>(scratch), changetype<usize>(old), offset);
  }
  return <i32>encodeUtf8Unsafe(s, changetype<usize>(scratch) + offset);
}

// ---- single values ("buf, limit -> len" imports) --------------------------------------------------

const VALUE_CONFIG = 0;
const VALUE_METHOD = 1;
const VALUE_URI = 2;
const VALUE_PROTOCOL = 3;
const VALUE_SOURCE_ADDR = 4;

function callValue(which: i32, buf: usize, limit: u32): u32 {
  switch (which) {
    case VALUE_CONFIG: return get_config(buf, limit);
    case VALUE_METHOD: return get_method(buf, limit);
    case VALUE_URI: return get_uri(buf, limit);
    case VALUE_PROTOCOL: return get_protocol_version(buf, limit);
    default: return get_source_addr(buf, limit);
  }
}

// Reads one value into `scratch`; returns its length, or -1 (tooLarge set) past `cap`.
// A value over the cap is never read in full: the host reports its length first.
function fetchValue(which: i32, cap: u32 = MAX_VALUE_BYTES): i32 {
  tooLarge = false;
  let n = callValue(which, changetype<usize>(scratch), <u32>scratch.byteLength);
  if (n > cap) { tooLarge = true; return -1; }
  if (n <= <u32>scratch.byteLength) return <i32>n;
  if (!ensureScratch(n)) { tooLarge = true; return -1; }
  let again = callValue(which, changetype<usize>(scratch), <u32>scratch.byteLength);
  // The value cannot change between the two calls; if it did, give up rather than read garbage.
  if (again > <u32>scratch.byteLength) { tooLarge = true; return -1; }
  return <i32>again;
}

function fetchString(which: i32, cap: u32 = MAX_VALUE_BYTES): string {
  let n = fetchValue(which, cap);
  if (n <= 0) return "";
  return decodeUtf8LossyUnsafe(changetype<usize>(scratch), <usize>n);
}

/** Raw plugin options: Go `json.Marshal` of the middleware options ("null", "{}" or an object). */
export function getConfigBytes(): Uint8Array {
  let n = fetchValue(VALUE_CONFIG);
  if (n <= 0) return new Uint8Array(0);
  let out = new Uint8Array(n);
  memory.copy(out.dataStart, changetype<usize>(scratch), <usize>n);
  return out;
}

// Methods nearly every request uses, returned as these literals so reading one allocates nothing.
const COMMON_METHODS: string[] = ["GET", "POST", "OPTIONS", "HEAD", "DELETE", "PUT", "PATCH"];

/** True when `len` bytes at `ptr` are exactly the ASCII string `s`. */
function bytesEqualAscii(ptr: usize, len: i32, s: string): bool {
  if (len != s.length) return false;
  for (let i = 0; i < len; i++) {
    if (<i32>load<u8>(ptr + <usize>i) != s.charCodeAt(i)) return false;
  }
  return true;
}

export function getMethod(): string {
  let n = fetchValue(VALUE_METHOD);
  if (n <= 0) return "";
  let ptr = changetype<usize>(scratch);
  for (let i = 0; i < COMMON_METHODS.length; i++) {
    if (bytesEqualAscii(ptr, n, COMMON_METHODS[i])) return COMMON_METHODS[i];
  }
  return decodeUtf8LossyUnsafe(ptr, <usize>n);
}
/**
 * Escaped path plus "?query"; "/" when the path is empty. Over `maxBytes`: "" and
 * lastValueTooLarge() is true.
 */
export function getUri(maxBytes: u32 = MAX_VALUE_BYTES): string { return fetchString(VALUE_URI, maxBytes); }
export function getProtocolVersion(): string { return fetchString(VALUE_PROTOCOL); }
/** Direct peer "ip:port" (not X-Forwarded-For). */
export function getSourceAddr(): string { return fetchString(VALUE_SOURCE_ADDR); }

// ---- NUL-terminated lists (CountLen imports) ----------------------------------------------------

function validKind(kind: i32): bool { return kind >= 0 && kind <= 3; }

// Asks for header names (keyLen < 0) or the values of the name in keyScratch[0..keyLen).
function callList(kind: i32, keyLen: i32, buf: usize, limit: u32): u64 {
  if (keyLen < 0) return get_header_names(<u32>kind, buf, limit);
  return get_header_values(<u32>kind, changetype<usize>(keyScratch), <u32>keyLen, buf, limit);
}

/**
 * A NUL-terminated list (header names or values) copied out of the host into a buffer, to be read
 * in place with load<u8>. Holds only complete entries: every entry in
 * [dataStart, dataStart + byteLength) ends with its NUL. The plugin keeps its own and reuses them
 * on every request (no strings made); the string API below reads into one backed by `scratch`.
 */
export class RawList {
  buffer: ArrayBuffer;
  byteLength: u32 = 0;
  count: u32 = 0;

  constructor(initialBytes: i32 = 512) {
    this.buffer = new ArrayBuffer(initialBytes);
  }

  get dataStart(): usize { return changetype<usize>(this.buffer); }

  clear(): void {
    this.byteLength = 0;
    this.count = 0;
  }
}

// Reads a list into `out.buffer`: asks with the buffer's size; when the host answers with a longer
// length (it wrote nothing then), grows the buffer to it (at most MAX_VALUE_BYTES) and asks again.
// Over `cap`, nothing is read: false, `out` empty, tooLarge set.
function fetchListInto(kind: i32, keyLen: i32, cap: u32, out: RawList): bool {
  tooLarge = false;
  out.clear();
  let cl = callList(kind, keyLen, out.dataStart, <u32>out.buffer.byteLength);
  let n = countLenBytes(cl);
  if (n > cap || n > MAX_VALUE_BYTES) { tooLarge = true; return false; }
  if (n > <u32>out.buffer.byteLength) {
    let size = <u32>out.buffer.byteLength << 1;
    if (size < n) size = n;
    if (size > MAX_VALUE_BYTES) size = MAX_VALUE_BYTES;
    out.buffer = new ArrayBuffer(<i32>size);
    cl = callList(kind, keyLen, out.dataStart, <u32>out.buffer.byteLength);
    // The list cannot change between the two calls; if it did, give up rather than read garbage.
    if (countLenBytes(cl) > <u32>out.buffer.byteLength) { tooLarge = true; return false; }
  }
  keepCompleteEntries(cl, out);
  return true;
}

// @ts-ignore: decorator
@inline const LOW_BITS: u64 = 0x0101010101010101;
// @ts-ignore: decorator
@inline const HIGH_BITS: u64 = 0x8080808080808080;

// Sets out.byteLength/count to the complete entries the host wrote, at most `count` of them: a
// final entry without its NUL is dropped (the ABI always terminates entries), so a short write
// cannot produce a half value. Skips NUL-free words 8 bytes at a time: a bearer token is most of
// an Authorization list, and this runs on every request.
function keepCompleteEntries(cl: u64, out: RawList): void {
  let count = countLenCount(cl);
  let len = <usize>countLenBytes(cl);
  let base = out.dataStart;
  let end: usize = 0;
  let seen: u32 = 0;
  let i: usize = 0;
  while (i < len && seen < count) {
    if (i + 8 <= len) {
      let w = load<u64>(base + i);
      if (((w - LOW_BITS) & ~w & HIGH_BITS) == 0) { i += 8; continue; }
    }
    if (load<u8>(base + i) == 0) {
      seen++;
      end = i + 1;
    }
    i++;
  }
  out.byteLength = <u32>end;
  out.count = seen;
}

// The string API's lists land in `scratch` (borrowed for the read, growth kept).
const scratchList = new RawList(0);

function fetchScratchList(kind: i32, keyLen: i32, cap: u32): RawList {
  scratchList.buffer = scratch;
  fetchListInto(kind, keyLen, cap, scratchList);
  scratch = scratchList.buffer;
  return scratchList;
}

/** The entries of `list` as strings; invalid UTF-8 becomes U+FFFD. */
export function rawListStrings(list: RawList): string[] {
  let out = new Array<string>(0);
  let from = list.dataStart;
  let end = from + <usize>list.byteLength;
  for (let p = from; p < end; p++) {
    if (load<u8>(p) == 0) {
      out.push(decodeUtf8LossyUnsafe(from, p - from));
      from = p + 1;
    }
  }
  return out;
}

function rawListBytes(list: RawList): Uint8Array[] {
  let out = new Array<Uint8Array>(0);
  let from = list.dataStart;
  let end = from + <usize>list.byteLength;
  for (let p = from; p < end; p++) {
    if (load<u8>(p) == 0) {
      let v = new Uint8Array(<i32>(p - from));
      memory.copy(v.dataStart, from, p - from);
      out.push(v);
      from = p + 1;
    }
  }
  return out;
}

/** Lowercased, sorted header names of `kind` (request names include "host"). */
export function getHeaderNames(kind: HeaderKind): string[] {
  if (!validKind(kind)) return new Array<string>(0);
  return rawListStrings(fetchScratchList(kind, -1, MAX_VALUE_BYTES));
}

// Header names must be non-empty for the host (it panics otherwise).
function prepareName(kind: i32, name: string): i32 {
  if (!validKind(kind) || name.length == 0) return -1;
  return encodeKey(name);
}

/**
 * All values of `name` (case-insensitive) in order; invalid UTF-8 becomes U+FFFD. When all values
 * together (with their NULs) exceed `maxBytes`, nothing is read: the result is empty and
 * lastValueTooLarge() is true. Hostile clients can send up to Go's 1 MiB header limit; a cap
 * keeps such values from ever being copied into guest memory.
 */
export function getHeaderValues(kind: HeaderKind, name: string, maxBytes: u32 = MAX_VALUE_BYTES): string[] {
  let keyLen = prepareName(kind, name);
  if (keyLen <= 0) { tooLarge = false; return new Array<string>(0); }
  return rawListStrings(fetchScratchList(kind, keyLen, maxBytes));
}

/** All values of `name` as the exact bytes the host holds. */
export function getHeaderValuesRaw(kind: HeaderKind, name: string): Uint8Array[] {
  let keyLen = prepareName(kind, name);
  if (keyLen <= 0) { tooLarge = false; return new Array<Uint8Array>(0); }
  return rawListBytes(fetchScratchList(kind, keyLen, MAX_VALUE_BYTES));
}

/** Header names of `kind` (lowercased, sorted) into `out`, without strings; false (out empty) when over the cap. */
export function readHeaderNames(kind: HeaderKind, out: RawList): bool {
  if (!validKind(kind)) { out.clear(); tooLarge = false; return false; }
  return fetchListInto(kind, -1, MAX_VALUE_BYTES, out);
}

/**
 * The values of `name` into `out`, as getHeaderValues reads them but without decoding: over
 * `maxBytes` nothing is read, `out` is empty and lastValueTooLarge() is true.
 */
export function readHeaderValues(kind: HeaderKind, name: string, maxBytes: u32, out: RawList): bool {
  let keyLen = prepareName(kind, name);
  if (keyLen <= 0) { out.clear(); tooLarge = false; return false; }
  return fetchListInto(kind, keyLen, maxBytes, out);
}

// ---- header writes ------------------------------------------------------------------------------

/** Replaces every value of `name`. False (nothing sent) for an empty name, bad kind or huge value. */
export function setHeaderValue(kind: HeaderKind, name: string, value: string): bool {
  let keyLen = prepareName(kind, name);
  if (keyLen <= 0) return false;
  let valueLen = encodeScratch(value, 0);
  if (valueLen < 0) return false;
  set_header_value(<u32>kind, changetype<usize>(keyScratch), <u32>keyLen, changetype<usize>(scratch), <u32>valueLen);
  return true;
}

/** Appends a value to `name`. Same failure rules as setHeaderValue. */
export function addHeaderValue(kind: HeaderKind, name: string, value: string): bool {
  let keyLen = prepareName(kind, name);
  if (keyLen <= 0) return false;
  let valueLen = encodeScratch(value, 0);
  if (valueLen < 0) return false;
  add_header_value(<u32>kind, changetype<usize>(keyScratch), <u32>keyLen, changetype<usize>(scratch), <u32>valueLen);
  return true;
}

/** Removes every value of `name`. */
export function removeHeader(kind: HeaderKind, name: string): bool {
  let keyLen = prepareName(kind, name);
  if (keyLen <= 0) return false;
  remove_header(<u32>kind, changetype<usize>(keyScratch), <u32>keyLen);
  return true;
}

/** removeHeader for a name held as bytes (an entry of readHeaderNames), without making a string. */
export function removeHeaderBytes(kind: HeaderKind, ptr: usize, len: u32): bool {
  if (!validKind(kind) || len == 0 || len > MAX_VALUE_BYTES) return false;
  if (len > <u32>keyScratch.byteLength) keyScratch = new ArrayBuffer(<i32>len);
  memory.copy(changetype<usize>(keyScratch), ptr, len);
  remove_header(<u32>kind, changetype<usize>(keyScratch), len);
  return true;
}

// ---- status, body, logs, features ---------------------------------------------------------------

/**
 * Sets the response status. Without buffer_response Traefik writes the status line at once, so
 * set every response header BEFORE calling this. Codes outside 100..999 make Go's WriteHeader
 * panic, so they are refused here (returns false).
 */
/** Rewrites the request URI (path and query) the upstream receives. False for an empty or huge value. */
export function setUri(uri: string): bool {
  if (uri.length == 0) return false;
  let n = encodeScratch(uri, 0);
  if (n < 0) return false;
  set_uri(changetype<usize>(scratch), <u32>n);
  return true;
}

export function setStatusCode(code: i32): bool {
  if (code < 100 || code > 999) return false;
  set_status_code(<u32>code);
  return true;
}

/** Appends `body` to the request or response body. */
export function writeBody(kind: BodyKind, body: Uint8Array): bool {
  if (kind != BodyKind.Request && kind != BodyKind.Response) return false;
  write_body(<u32>kind, body.dataStart, <u32>body.length);
  return true;
}

/** Appends `s` (UTF-8) to the request or response body. */
export function writeBodyString(kind: BodyKind, s: string): bool {
  if (kind != BodyKind.Request && kind != BodyKind.Response) return false;
  let n = encodeScratch(s, 0);
  if (n < 0) return false;
  write_body(<u32>kind, changetype<usize>(scratch), <u32>n);
  return true;
}

/** Whether the host would record `level` (Traefik always answers true). */
export function logEnabled(level: LogLevel): bool { return log_enabled(level) != 0; }

/** Logs `message`; a message longer than MAX_VALUE_BYTES is cut (at a UTF-16 unit boundary). */
export function log(level: LogLevel, message: string): void {
  let n = encodeScratch(message, 0);
  if (n < 0) {
    // Each UTF-16 unit takes at most 3 bytes, so this prefix always fits.
    n = encodeScratch(message.substring(0, <i32>(MAX_VALUE_BYTES / 3)), 0);
    if (n < 0) return;
  }
  log_(level, changetype<usize>(scratch), <u32>n);
}

/** Asks the host for features (see Feature); returns the features now enabled. */
export function enableFeatures(features: i32): i32 {
  return <i32>enable_features(<u32>features);
}
