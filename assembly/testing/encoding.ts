// Test entry points for assembly/encoding (base64url, UTF-8, JSON parser and writer).
// Built with `node scripts/build-plugin.mjs --harness encoding`; used by host-tests/encoding.

import { base64urlDecode, base64urlDecodeUnsafe, base64urlEncode } from "../encoding/base64url";
import { utf8InvalidOffset } from "../encoding/utf8";
import { parseJson, JsonValue, JsonWriter, jsonQuote, jsonNumberText } from "../encoding/json";

const DEFAULT_DEPTH: i32 = 64;
const DEFAULT_BYTES: i32 = 1 << 20;

export function b64Decode(s: string): Uint8Array | null {
  return base64urlDecode(s);
}

/** Decodes raw bytes through the ptr/len core (lets tests feed bytes >= 0x80). */
export function b64DecodeBytes(data: Uint8Array): Uint8Array | null {
  return base64urlDecodeUnsafe(data.dataStart, data.length);
}

export function b64Encode(data: Uint8Array): string {
  return base64urlEncode(data);
}

export function utf8Check(data: Uint8Array): i32 {
  return utf8InvalidOffset(data);
}

/** "ERR:" + error, or the compact re-serialization (document order) of the parsed value. */
export function jsonRoundTrip(data: Uint8Array): string {
  return jsonRoundTripLimits(data, DEFAULT_DEPTH, DEFAULT_BYTES);
}

export function jsonRoundTripLimits(data: Uint8Array, maxDepth: i32, maxBytes: i32): string {
  let r = parseJson(data, maxDepth, maxBytes);
  if (!r.ok) return "ERR:" + r.error;
  return r.value!.toJson();
}

/** numberValue of a top-level number; NaN on error or another kind. */
export function jsonNumber(data: Uint8Array): f64 {
  let r = parseJson(data, DEFAULT_DEPTH, DEFAULT_BYTES);
  if (!r.ok || !r.value!.isNumber()) return NaN;
  return r.value!.numberValue;
}

/** isInteger of a top-level number: 1/0, or -1 on error or another kind. */
export function jsonNumberIsInteger(data: Uint8Array): i32 {
  let r = parseJson(data, DEFAULT_DEPTH, DEFAULT_BYTES);
  if (!r.ok || !r.value!.isNumber()) return -1;
  return r.value!.isInteger ? 1 : 0;
}

function describe(v: JsonValue | null): string {
  if (v === null) return "MISSING";
  return v.toJson();
}

/** Member `key` of the top-level object: its JSON, "MISSING", or "ERR:..." */
export function jsonGet(data: Uint8Array, key: string): string {
  let r = parseJson(data, DEFAULT_DEPTH, DEFAULT_BYTES);
  if (!r.ok) return "ERR:" + r.error;
  return describe(r.value!.get(key));
}

export function jsonGetIgnoreCase(data: Uint8Array, key: string): string {
  let r = parseJson(data, DEFAULT_DEPTH, DEFAULT_BYTES);
  if (!r.ok) return "ERR:" + r.error;
  return describe(r.value!.getIgnoreCase(key));
}

export function jsonAmbiguousKey(data: Uint8Array): string {
  let r = parseJson(data, DEFAULT_DEPTH, DEFAULT_BYTES);
  if (!r.ok) return "ERR:" + r.error;
  let k = r.value!.ambiguousKeyIgnoreCase();
  return k === null ? "NONE" : k;
}

/** The kind predicates and length of the top-level value, for checking the helpers. */
export function jsonKindInfo(data: Uint8Array): string {
  let r = parseJson(data, DEFAULT_DEPTH, DEFAULT_BYTES);
  if (!r.ok) return "ERR:" + r.error;
  let v = r.value!;
  return "kind=" + (<i32>v.kind).toString() +
    " null=" + (v.isNull() ? "1" : "0") +
    " bool=" + (v.isBool() ? "1" : "0") +
    " true=" + (v.isTrue() ? "1" : "0") +
    " number=" + (v.isNumber() ? "1" : "0") +
    " string=" + (v.isString() ? "1" : "0") +
    " array=" + (v.isArray() ? "1" : "0") +
    " object=" + (v.isObject() ? "1" : "0") +
    " length=" + v.length.toString();
}

export function jsonQuoteString(s: string): string {
  return jsonQuote(s);
}

export function writerNumber(v: f64): string {
  let w = new JsonWriter();
  w.number(v);
  return w.toString();
}

export function numberText(v: f64): string {
  return jsonNumberText(v);
}

export function writerInteger(v: i64): string {
  let w = new JsonWriter();
  w.integer(v);
  return w.toString();
}

/** A fixed nested document using every writer method; `s` and `n` are spliced in. */
export function writerSample(s: string, n: f64): string {
  let w = new JsonWriter();
  w.beginObject();
  w.key("error");
  w.string(s);
  w.key(s);
  w.number(n);
  w.key("list");
  w.beginArray();
  w.integer(-9007199254740991);
  w.bool(true);
  w.bool(false);
  w.null();
  w.beginObject();
  w.endObject();
  w.beginArray();
  w.endArray();
  w.string("");
  w.endArray();
  w.key("nested");
  w.beginObject();
  w.key("a");
  w.beginArray();
  w.number(0.5);
  w.endArray();
  w.endObject();
  w.endObject();
  return (w.isValid() ? "VALID:" : "INVALID:") + w.toString();
}

/** Scripted writer misuse; returns isValid() (1/0) after the script. */
export function writerMisuse(script: i32): i32 {
  let w = new JsonWriter();
  switch (script) {
    case 0: w.beginObject(); w.key("a"); w.integer(1); w.endObject(); break; // correct
    case 1: w.beginObject(); w.integer(1); w.endObject(); break;               // value without key
    case 2: w.beginObject(); w.key("a"); w.endObject(); break;                 // key without value
    case 3: w.beginArray(); w.endObject(); break;                              // wrong closer
    case 4: w.integer(1); w.integer(2); break;                                 // two roots
    case 5: w.beginArray(); break;                                             // unclosed
    case 6: w.endArray(); break;                                               // close nothing
    case 7: w.key("a"); break;                                                 // key at top level
    case 8: break;                                                             // nothing written
    case 9: w.beginArray(); w.key("a"); w.integer(1); w.endArray(); break;     // key in array
    case 10: w.beginObject(); w.key("a"); w.key("b"); w.integer(1); w.endObject(); break; // two keys
  }
  return w.isValid() ? 1 : 0;
}

/** Parses `data` `iterations` times inside wasm (for host-tests/encoding/speed.mjs); returns successes. */
export function benchJson(data: Uint8Array, iterations: i32): i32 {
  let ok = 0;
  for (let i = 0; i < iterations; i++) {
    if (parseJson(data, 16, 8192).ok) ok++;
  }
  return ok;
}

/** Decodes `data` as base64url `iterations` times inside wasm; returns successes. */
export function benchB64(data: Uint8Array, iterations: i32): i32 {
  let ok = 0;
  for (let i = 0; i < iterations; i++) {
    if (base64urlDecodeUnsafe(data.dataStart, data.length) !== null) ok++;
  }
  return ok;
}
