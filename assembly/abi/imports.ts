// Raw http-wasm host imports, named exactly as the http-wasm handler ABI names them
// (http-wasm/http-wasm: content/http-handler-abi.md). Nothing but policy-free declarations lives
// here: the typed, non-trapping API over them is ./host.ts, and policy code never imports this file.
//
// Conventions shared by every "buf, limit" import: the host writes the value only when it fits in
// `limit` bytes, and always returns the full length, so the caller can retry with a bigger buffer.
// Lengths are unsigned 32-bit on the wire; they are declared u32 so a large length never reads as
// negative.

// ---- Packed i64 results -------------------------------------------------------------------------

/** `CountLen` (get_header_names, get_header_values) = count << 32 | byteLen of the NUL-terminated list. */
export type CountLen = u64;
/** `EOFLen` (read_body) = eof << 32 | number of bytes written to the buffer. */
export type EOFLen = u64;

/** Number of NUL-terminated entries in a `CountLen`. */
// @ts-ignore: decorator
@inline export function countLenCount(v: CountLen): u32 { return <u32>(v >>> 32); }
/** Total byte length (entries plus their NUL terminators) in a `CountLen`. */
// @ts-ignore: decorator
@inline export function countLenBytes(v: CountLen): u32 { return <u32>v; }
/** Whether the body is exhausted, from an `EOFLen`. */
// @ts-ignore: decorator
@inline export function eofLenIsEOF(v: EOFLen): bool { return (v >>> 32) != 0; }
/** Bytes written by this read_body call, from an `EOFLen`. */
// @ts-ignore: decorator
@inline export function eofLenBytes(v: EOFLen): u32 { return <u32>v; }

// ---- Features and config ------------------------------------------------------------------------

/** Asks for features (1 buffer request, 2 buffer response, 4 trailers); returns the ones now enabled. */
// @ts-ignore: decorator
@external("http_handler", "enable_features")
export declare function enable_features(features: u32): u32;

/** Plugin options as Go `json.Marshal(map[string]any)`; returns the full length. */
// @ts-ignore: decorator
@external("http_handler", "get_config")
export declare function get_config(buf: usize, limit: u32): u32;

// ---- Logging ------------------------------------------------------------------------------------

/** 1 when `level` would be logged (Traefik always answers 1). Levels: debug -1 .. none 3. */
// @ts-ignore: decorator
@external("http_handler", "log_enabled")
export declare function log_enabled(level: i32): u32;

// @ts-ignore: decorator
@external("http_handler", "log")
export declare function log(level: i32, message: usize, messageLen: u32): void;

// ---- Request line -------------------------------------------------------------------------------

// @ts-ignore: decorator
@external("http_handler", "get_method")
export declare function get_method(buf: usize, limit: u32): u32;

// @ts-ignore: decorator
@external("http_handler", "set_method")
export declare function set_method(method: usize, methodLen: u32): void;

/** Escaped path plus `?query` (no scheme, host or fragment); an empty path reads as "/". */
// @ts-ignore: decorator
@external("http_handler", "get_uri")
export declare function get_uri(buf: usize, limit: u32): u32;

// @ts-ignore: decorator
@external("http_handler", "set_uri")
export declare function set_uri(uri: usize, uriLen: u32): void;

// @ts-ignore: decorator
@external("http_handler", "get_protocol_version")
export declare function get_protocol_version(buf: usize, limit: u32): u32;

/** The direct peer as "ip:port" (not X-Forwarded-For). */
// @ts-ignore: decorator
@external("http_handler", "get_source_addr")
export declare function get_source_addr(buf: usize, limit: u32): u32;

// ---- Headers (kind: 0 request, 1 response, 2 request trailers, 3 response trailers) -------------

/** Lowercased, sorted names, NUL-terminated back to back. Returns a `CountLen`. */
// @ts-ignore: decorator
@external("http_handler", "get_header_names")
export declare function get_header_names(kind: u32, buf: usize, limit: u32): CountLen;

/** Every value of `name` (case-insensitive), NUL-terminated back to back. Returns a `CountLen`. */
// @ts-ignore: decorator
@external("http_handler", "get_header_values")
export declare function get_header_values(kind: u32, name: usize, nameLen: u32, buf: usize, limit: u32): CountLen;

// @ts-ignore: decorator
@external("http_handler", "set_header_value")
export declare function set_header_value(kind: u32, name: usize, nameLen: u32, value: usize, valueLen: u32): void;

// @ts-ignore: decorator
@external("http_handler", "add_header_value")
export declare function add_header_value(kind: u32, name: usize, nameLen: u32, value: usize, valueLen: u32): void;

// @ts-ignore: decorator
@external("http_handler", "remove_header")
export declare function remove_header(kind: u32, name: usize, nameLen: u32): void;

// ---- Bodies (kind: 0 request, 1 response) -------------------------------------------------------

/** Reads the next chunk into `buf`; returns an `EOFLen`. `limit` must not be 0 (the host panics). */
// @ts-ignore: decorator
@external("http_handler", "read_body")
export declare function read_body(kind: u32, buf: usize, limit: u32): EOFLen;

// @ts-ignore: decorator
@external("http_handler", "write_body")
export declare function write_body(kind: u32, body: usize, bodyLen: u32): void;

// ---- Status -------------------------------------------------------------------------------------

/** Only valid with buffer_response enabled; Traefik's host panics otherwise. */
// @ts-ignore: decorator
@external("http_handler", "get_status_code")
export declare function get_status_code(): u32;

/** Without buffer_response this writes the status line at once: set response headers BEFORE it. */
// @ts-ignore: decorator
@external("http_handler", "set_status_code")
export declare function set_status_code(statusCode: u32): void;
