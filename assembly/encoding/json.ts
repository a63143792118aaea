// A strict JSON (RFC 8259) parser for hostile input: JWT headers/payloads and the plugin config.
//
// Anything RFC 8259 leaves to implementations is decided in the strict direction:
//  - input must be well-formed UTF-8; a leading byte order mark is rejected;
//  - exactly one value, surrounded only by space, tab, LF, CR;
//  - duplicate member names (compared after unescaping) are rejected, because two parsers that
//    keep different duplicates see different claims (the "first vs last wins" token confusion);
//  - string escapes limited to the RFC set; raw control characters and lone surrogate escapes
//    are rejected; numbers follow the RFC grammar and must be finite as f64;
//  - size is checked before any work; nesting deeper than maxDepth is rejected.
// The parser is iterative (an explicit container stack), so nesting never uses the wasm call
// stack, and every read is bounds-checked against the input: no input can make it trap.
// Memory: the result tree is proportional to the input. The worst case is "[0,0,0,...]" (one
// JsonValue per two input bytes): 1 MB of it grew wasm memory by 71 MB, so callers bound the
// input with maxBytes (an 8 KiB token stays well under 1 MB).
// Not re-entrant (module-level scratch state); nothing it calls parses JSON.

import { utf8InvalidOffsetUnsafe } from "./utf8";
import { jsonNumberToF64Unsafe } from "./number";
import { JsonWriter, jsonQuote } from "./jsonout";

export { JsonWriter, jsonQuote, jsonNumberText } from "./jsonout";

export const enum JsonKind { Null = 0, Bool = 1, Number = 2, String = 3, Array = 4, Object = 5 }

// Shared empty arrays for the members a value's kind does not use, so scalars cost one
// allocation. Parse results are read-only: never push into a value's arrays.
const NO_VALUES: JsonValue[] = new Array<JsonValue>(0);
const NO_KEYS: string[] = new Array<string>(0);

/** One parsed JSON value. Fields not used by `kind` hold their defaults. Treat as read-only. */
export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  boolValue: bool = false;
  /** Number: the correctly rounded f64 of the literal (always finite). */
  numberValue: f64 = 0;
  /** Number: the literal had no fraction or exponent and |n| <= 2^53, so numberValue is exact. */
  isInteger: bool = false;
  stringValue: string = "";
  /** Array elements. */
  items: JsonValue[] = NO_VALUES;
  /** Object member names in document order (unique: duplicates are a parse error). */
  keys: string[] = NO_KEYS;
  /** Object member values, parallel to keys. */
  values: JsonValue[] = NO_VALUES;

  constructor(kind: JsonKind = JsonKind.Null) {
    this.kind = kind;
  }

  isNull(): bool { return this.kind == JsonKind.Null; }
  isBool(): bool { return this.kind == JsonKind.Bool; }
  isNumber(): bool { return this.kind == JsonKind.Number; }
  isString(): bool { return this.kind == JsonKind.String; }
  isArray(): bool { return this.kind == JsonKind.Array; }
  isObject(): bool { return this.kind == JsonKind.Object; }
  /** Bool true exactly (not "true", not 1). */
  isTrue(): bool { return this.kind == JsonKind.Bool && this.boolValue; }

  /** Number of array elements or object members; 0 for scalars. */
  get length(): i32 {
    return this.kind == JsonKind.Array ? this.items.length : this.kind == JsonKind.Object ? this.keys.length : 0;
  }

  /** Member with exactly this name (case-sensitive), or null (also when not an object). */
  get(key: string): JsonValue | null {
    let keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      if (keys[i] == key) return this.values[i];
    }
    return null;
  }

  /**
   * First member (in document order) whose name equals `key` ignoring ASCII case, or null.
   * For config keys only; see ambiguousKeyIgnoreCase() to refuse configs where this is unclear.
   */
  getIgnoreCase(key: string): JsonValue | null {
    let keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      if (asciiEqualsIgnoreCase(keys[i], key)) return this.values[i];
    }
    return null;
  }

  /** A member name that another member name equals ignoring ASCII case, or null if none. */
  ambiguousKeyIgnoreCase(): string | null {
    let keys = this.keys;
    for (let i = 1, n = keys.length; i < n; i++) {
      for (let j = 0; j < i; j++) {
        if (asciiEqualsIgnoreCase(keys[i], keys[j])) return keys[i];
      }
    }
    return null;
  }

  /** Compact JSON text of this value (members in document order). */
  toJson(): string {
    return serialize(this);
  }
}

export class JsonParseResult {
  value: JsonValue | null = null;
  /** Empty when parsing succeeded; otherwise a short reason with the byte offset. */
  error: string = "";

  get ok(): bool {
    return this.value !== null;
  }
}

/** Parses `data` (UTF-8). Rejects input longer than maxBytes and nesting deeper than maxDepth. */
export function parseJson(data: Uint8Array, maxDepth: i32, maxBytes: i32): JsonParseResult {
  return parseJsonUnsafe(data.dataStart, data.length, maxDepth, maxBytes);
}

/** Parses the `len` bytes at `ptr`; same rules as parseJson. The bytes must stay alive meanwhile. */
export function parseJsonUnsafe(ptr: usize, len: i32, maxDepth: i32, maxBytes: i32): JsonParseResult {
  let result = new JsonParseResult();
  if (len < 0 || len > maxBytes) {
    result.error = "size " + len.toString() + " exceeds limit " + maxBytes.toString();
    return result;
  }
  if (len >= 3 && load<u8>(ptr) == 0xEF && load<u8>(ptr, 1) == 0xBB && load<u8>(ptr, 2) == 0xBF) {
    result.error = "byte order mark at 0";
    return result;
  }
  let bad = utf8InvalidOffsetUnsafe(ptr, len);
  if (bad >= 0) {
    result.error = "invalid UTF-8 at " + bad.toString();
    return result;
  }
  let parser = PARSER;
  parser.reset(ptr, len, maxDepth < 0 ? 0 : maxDepth);
  let value = parser.run();
  parser.release();
  if (value === null) {
    result.error = parser.error;
  } else {
    result.value = value;
  }
  return result;
}

// ---------------------------------------------------------------------------------------------

// Above this many members an object's duplicate check switches from a linear scan to a set.
// Typical JWT payloads (10-30 claims) stay on the allocation-free linear path.
// @ts-ignore: decorator
@inline const LINEAR_DUP_LIMIT: i32 = 32;

// Placeholder for released frames, so a finished tree is not kept alive by the scratch state.
const NO_CONTAINER = new JsonValue(JsonKind.Null);

/** One open container while parsing. Its children wait on the parser's scratch stacks. */
class Frame {
  container: JsonValue = NO_CONTAINER;
  /** Index in Parser.valueStack / keyStack where this container's children start. */
  valueStart: i32 = 0;
  keyStart: i32 = 0;
  keySet: Set<string> | null = null;
}

/**
 * Parser state, reused across calls (one module-level instance: parsing is synchronous and never
 * re-entered). Children of open containers collect on two scratch stacks and are copied into
 * exactly-sized arrays when the container closes, so each container costs two allocations and
 * nothing is regrown.
 */
class Parser {
  ptr: usize = 0;
  len: i32 = 0;
  maxDepth: i32 = 0;
  error: string = "";
  private frames: Frame[] = [];
  private depth: i32 = 0;
  private valueStack: JsonValue[] = [];
  private keyStack: string[] = [];

  reset(ptr: usize, len: i32, maxDepth: i32): void {
    this.ptr = ptr;
    this.len = len;
    this.maxDepth = maxDepth;
    this.error = "";
    this.depth = 0;
  }

  /** Drops every reference into the parsed input/tree so the GC can reclaim it. */
  release(): void {
    let frames = this.frames;
    for (let i = 0, n = frames.length; i < n; i++) {
      let f = unchecked(frames[i]); // i < n == frames.length
      f.container = NO_CONTAINER;
      f.keySet = null;
    }
    this.valueStack.length = 0;
    this.keyStack.length = 0;
    this.lastScalar = null;
    this.depth = 0;
  }

  // @ts-ignore: decorator
  @inline private at(pos: i32): u32 {
    // Callers check pos < len first.
    return <u32>load<u8>(this.ptr + <usize>pos);
  }

  private fail(what: string, pos: i32): JsonValue | null {
    if (this.error.length == 0) this.error = what + " at " + pos.toString();
    return null;
  }

  private skipWs(pos: i32): i32 {
    let len = this.len;
    while (pos < len) {
      let c = this.at(pos);
      if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) break;
      pos++;
    }
    return pos;
  }

  /** Parses the whole input; null with `error` set on failure. */
  run(): JsonValue | null {
    let len = this.len;
    let pos = this.skipWs(0);
    // Each turn of the outer loop parses one value starting at `pos` (after whitespace).
    while (true) {
      if (pos >= len) return this.fail("unexpected end of input", pos);
      let c = this.at(pos);
      let value: JsonValue | null = null;
      if (c == 0x7B || c == 0x5B) { // '{' '['
        if (this.depth >= this.maxDepth) {
          if (this.error.length == 0) this.error = "depth limit " + this.maxDepth.toString() + " exceeded at " + pos.toString();
          return null;
        }
        let isObject = c == 0x7B;
        let container = new JsonValue(isObject ? JsonKind.Object : JsonKind.Array);
        pos = this.skipWs(pos + 1);
        if (pos < len && this.at(pos) == (isObject ? 0x7D : 0x5D)) {
          // Empty container: keeps the shared empty arrays (results are read-only).
          pos++;
          value = container;
        } else if (isObject) {
          this.push(container);
          pos = this.memberName(pos);
          if (pos < 0) return null;
          continue; // parse the member's value
        } else {
          this.push(container);
          continue; // parse the first element
        }
      } else {
        pos = this.scalar(pos);
        if (pos < 0) return null;
        value = this.lastScalar;
      }

      // Attach the finished value to its parent, closing every container that ends here.
      while (true) {
        if (this.depth == 0) {
          pos = this.skipWs(pos);
          if (pos != len) return this.fail("unexpected character after value", pos);
          return value;
        }
        let frame = unchecked(this.frames[this.depth - 1]); // depth <= frames.length by push()
        let parent = frame.container;
        let isObject = parent.kind == JsonKind.Object;
        this.valueStack.push(value!);
        pos = this.skipWs(pos);
        if (pos >= len) return this.fail("unexpected end of input", pos);
        let d = this.at(pos);
        if (d == 0x2C) { // ','
          pos = this.skipWs(pos + 1);
          if (isObject) {
            pos = this.memberName(pos);
            if (pos < 0) return null;
          }
          break; // parse the next value
        }
        if (d == (isObject ? 0x7D : 0x5D)) {
          pos++;
          this.close(frame);
          value = parent;
          continue; // the container itself is now a finished value
        }
        return this.fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'", pos);
      }
      pos = this.skipWs(pos);
    }
    return null; // unreachable; keeps the compiler's flow analysis happy
  }

  private push(container: JsonValue): void {
    let depth = this.depth;
    let f: Frame;
    if (depth < this.frames.length) {
      f = unchecked(this.frames[depth]); // depth < length checked above
    } else {
      f = new Frame();
      this.frames.push(f);
    }
    f.container = container;
    f.valueStart = this.valueStack.length;
    f.keyStart = this.keyStack.length;
    f.keySet = null;
    this.depth = depth + 1;
  }

  /** Moves the innermost container's children from the scratch stacks into its own arrays. */
  private close(frame: Frame): void {
    let container = frame.container;
    let stack = this.valueStack;
    let start = frame.valueStart;
    let count = stack.length - start; // >= 0: children are pushed after the frame opened
    let values = new Array<JsonValue>(count);
    for (let i = 0; i < count; i++) unchecked(values[i] = stack[start + i]); // start + i < stack.length
    stack.length = start;
    if (container.kind == JsonKind.Object) {
      let keyStack = this.keyStack;
      let keyStart = frame.keyStart;
      // One key per value: memberName pushed a key before each value was parsed.
      let keys = new Array<string>(count);
      for (let i = 0; i < count; i++) unchecked(keys[i] = keyStack[keyStart + i]); // keyStart + i < keyStack.length
      keyStack.length = keyStart;
      container.keys = keys;
      container.values = values;
    } else {
      container.items = values;
    }
    frame.container = NO_CONTAINER;
    frame.keySet = null;
    this.depth--;
  }

  /**
   * At `pos`: a member name, optional whitespace, ':' and whitespace. Records the name in the
   * open object (rejecting duplicates) and returns the position of the value, or -1.
   */
  private memberName(pos: i32): i32 {
    if (pos >= this.len || this.at(pos) != 0x22) {
      this.fail(pos >= this.len ? "unexpected end of input" : "expected member name", pos);
      return -1;
    }
    let keyPos = pos;
    let stringEnd = this.stringEnd(pos);
    if (stringEnd < 0) return -1;
    let key = this.decodeString(pos, stringEnd);
    let frame = unchecked(this.frames[this.depth - 1]); // an object frame is open (depth >= 1)
    let keys = this.keyStack;
    let start = frame.keyStart;
    let end = keys.length; // this object's names are keys[start .. end)
    let dup = false;
    if (end - start < LINEAR_DUP_LIMIT) {
      for (let i = start; i < end; i++) {
        if (unchecked(keys[i]) == key) { dup = true; break; } // i < end == keys.length
      }
    } else {
      let set = frame.keySet;
      if (set === null) {
        set = new Set<string>();
        for (let i = start; i < end; i++) set.add(unchecked(keys[i])); // i < end == keys.length
        frame.keySet = set;
      }
      dup = set.has(key);
      if (!dup) set.add(key);
    }
    if (dup) {
      this.fail("duplicate member " + jsonQuote(shorten(key)), keyPos);
      return -1;
    }
    keys.push(key);
    pos = this.skipWs(stringEnd);
    if (pos >= this.len || this.at(pos) != 0x3A) {
      this.fail(pos >= this.len ? "unexpected end of input" : "expected ':'", pos);
      return -1;
    }
    return this.skipWs(pos + 1);
  }

  lastScalar: JsonValue | null = null;

  /** Parses a non-container value at `pos` into lastScalar; returns the position after it or -1. */
  private scalar(pos: i32): i32 {
    let c = this.at(pos);
    if (c == 0x22) {
      let end = this.stringEnd(pos);
      if (end < 0) return -1;
      let v = new JsonValue(JsonKind.String);
      v.stringValue = this.decodeString(pos, end);
      this.lastScalar = v;
      return end;
    }
    if (c == 0x2D || (c - 0x30) <= 9) return this.number(pos);
    if (c == 0x74 && this.matches(pos, "true")) {
      let v = new JsonValue(JsonKind.Bool);
      v.boolValue = true;
      this.lastScalar = v;
      return pos + 4;
    }
    if (c == 0x66 && this.matches(pos, "false")) {
      this.lastScalar = new JsonValue(JsonKind.Bool);
      return pos + 5;
    }
    if (c == 0x6E && this.matches(pos, "null")) {
      this.lastScalar = new JsonValue(JsonKind.Null);
      return pos + 4;
    }
    this.fail(c == 0x74 || c == 0x66 || c == 0x6E ? "invalid literal" : "unexpected character", pos);
    return -1;
  }

  private matches(pos: i32, word: string): bool {
    let n = word.length;
    if (this.len - pos < n) return false;
    for (let i = 0; i < n; i++) {
      if (this.at(pos + i) != <u32>word.charCodeAt(i)) return false;
    }
    return true;
  }

  /** Validates the number token at `pos` against the RFC grammar and converts it. */
  private number(pos: i32): i32 {
    let len = this.len;
    let start = pos;
    let p = pos;
    if (this.at(p) == 0x2D) p++;
    if (p >= len || (this.at(p) - 0x30) > 9) { this.fail("invalid number", start); return -1; }
    let intStart = p;
    if (this.at(p) == 0x30) {
      p++;
      // "01" is not a number: a leading zero must stand alone.
      if (p < len && (this.at(p) - 0x30) <= 9) { this.fail("invalid number", start); return -1; }
    } else {
      while (p < len && (this.at(p) - 0x30) <= 9) p++;
    }
    let intDigits = p - intStart;
    let plain = true; // no fraction, no exponent
    if (p < len && this.at(p) == 0x2E) {
      plain = false;
      p++;
      if (p >= len || (this.at(p) - 0x30) > 9) { this.fail("invalid number", start); return -1; }
      while (p < len && (this.at(p) - 0x30) <= 9) p++;
    }
    if (p < len && (this.at(p) | 0x20) == 0x65) { // 'e' or 'E'
      plain = false;
      p++;
      if (p < len && (this.at(p) == 0x2B || this.at(p) == 0x2D)) p++;
      if (p >= len || (this.at(p) - 0x30) > 9) { this.fail("invalid number", start); return -1; }
      while (p < len && (this.at(p) - 0x30) <= 9) p++;
    }
    let f = jsonNumberToF64Unsafe(this.ptr + <usize>start, p - start);
    if (!isFinite(f)) { this.fail("number out of range", start); return -1; }
    let v = new JsonValue(JsonKind.Number);
    v.numberValue = f;
    if (plain && intDigits <= 16) {
      // Exactness is judged on the literal, not on f (9007199254740993 rounds to 2^53).
      let n: u64 = 0;
      for (let i = intStart; i < intStart + intDigits; i++) n = n * 10 + <u64>(this.at(i) - 0x30);
      v.isInteger = n <= (<u64>1 << 53);
    }
    this.lastScalar = v;
    return p;
  }

  // Left by stringEnd for the decodeString call that follows it.
  private units: i32 = 0;      // UTF-16 code units the decoded string needs
  private escaped: bool = false; // whether any backslash escape occurred

  /**
   * Validates the string starting with the quote at `pos` and returns the position after the
   * closing quote, or -1.
   */
  private stringEnd(pos: i32): i32 {
    let len = this.len;
    let p = pos + 1;
    let units = 0;
    let escaped = false;
    while (true) {
      if (p >= len) { this.fail("unterminated string", pos); return -1; }
      let c = this.at(p);
      if (c == 0x22) break;
      if (c == 0x5C) {
        escaped = true;
        if (p + 1 >= len) { this.fail("unterminated string", pos); return -1; }
        let e = this.at(p + 1);
        if (e == 0x22 || e == 0x5C || e == 0x2F || e == 0x62 || e == 0x66 || e == 0x6E || e == 0x72 || e == 0x74) {
          units++;
          p += 2;
          continue;
        }
        if (e != 0x75) { this.fail("invalid escape", p); return -1; }
        let u = this.hex4(p + 2);
        if (u < 0) { this.fail("invalid \\u escape", p); return -1; }
        if (u >= 0xD800 && u <= 0xDBFF) {
          // A high surrogate must be followed by an escaped low surrogate.
          let lo = p + 6 + 1 < len && this.at(p + 6) == 0x5C && this.at(p + 7) == 0x75 ? this.hex4(p + 8) : -1;
          if (lo < 0xDC00 || lo > 0xDFFF) { this.fail("lone surrogate escape", p); return -1; }
          units += 2;
          p += 12;
          continue;
        }
        if (u >= 0xDC00 && u <= 0xDFFF) { this.fail("lone surrogate escape", p); return -1; }
        units++;
        p += 6;
        continue;
      }
      if (c < 0x20) { this.fail("control character in string", p); return -1; }
      // Input is validated UTF-8: the lead byte gives the sequence length.
      if (c < 0x80) { units++; p++; }
      else if (c < 0xE0) { units++; p += 2; }
      else if (c < 0xF0) { units++; p += 3; }
      else { units += 2; p += 4; }
    }
    this.units = units;
    this.escaped = escaped;
    return p + 1;
  }

  /** Value of 4 hex digits at `pos`, or -1 if there are not 4 hex digits there. */
  private hex4(pos: i32): i32 {
    if (pos < 0 || this.len - pos < 4) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      let c = this.at(pos + i);
      let d: i32;
      if (c - 0x30 <= 9) d = <i32>(c - 0x30);
      else if ((c | 0x20) - 0x61 <= 5) d = <i32>((c | 0x20) - 0x61 + 10);
      else return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /**
   * Decodes the string whose quotes are at `pos` and `end - 1`, which stringEnd just validated
   * (it left the UTF-16 length in `units`).
   */
  private decodeString(pos: i32, end: i32): string {
    let units = this.units;
    if (units == 0) return "";
    let out = changetype<string>(__new(<usize>units << 1, idof<string>()));
    let o = changetype<usize>(out);
    let p = this.ptr + <usize>(pos + 1);
    let stop = this.ptr + <usize>(end - 1);
    if (!this.escaped && units == end - pos - 2) {
      // Pure ASCII without escapes: widen byte by byte.
      while (p < stop) {
        store<u16>(o, load<u8>(p));
        p++;
        o += 2;
      }
      return out;
    }
    while (p < stop) {
      let c = <u32>load<u8>(p);
      if (c == 0x5C) {
        let e = <u32>load<u8>(p, 1);
        if (e == 0x75) {
          let u = <u32>this.hex4(<i32>(p - this.ptr) + 2);
          if (u >= 0xD800 && u <= 0xDBFF) {
            let lo = <u32>this.hex4(<i32>(p - this.ptr) + 8);
            store<u16>(o, <u16>u);
            store<u16>(o, <u16>lo, 2);
            o += 4;
            p += 12;
          } else {
            store<u16>(o, <u16>u);
            o += 2;
            p += 6;
          }
          continue;
        }
        let ch: u32 = e; // \" \\ \/
        if (e == 0x62) ch = 0x08;
        else if (e == 0x66) ch = 0x0C;
        else if (e == 0x6E) ch = 0x0A;
        else if (e == 0x72) ch = 0x0D;
        else if (e == 0x74) ch = 0x09;
        store<u16>(o, <u16>ch);
        o += 2;
        p += 2;
        continue;
      }
      if (c < 0x80) {
        store<u16>(o, <u16>c);
        o += 2;
        p += 1;
      } else if (c < 0xE0) {
        store<u16>(o, <u16>(((c & 0x1F) << 6) | (<u32>load<u8>(p, 1) & 0x3F)));
        o += 2;
        p += 2;
      } else if (c < 0xF0) {
        store<u16>(o, <u16>(((c & 0x0F) << 12) | ((<u32>load<u8>(p, 1) & 0x3F) << 6) | (<u32>load<u8>(p, 2) & 0x3F)));
        o += 2;
        p += 3;
      } else {
        let cp = ((c & 0x07) << 18) | ((<u32>load<u8>(p, 1) & 0x3F) << 12) |
          ((<u32>load<u8>(p, 2) & 0x3F) << 6) | (<u32>load<u8>(p, 3) & 0x3F);
        cp -= 0x10000;
        store<u16>(o, <u16>(0xD800 | (cp >> 10)));
        store<u16>(o, <u16>(0xDC00 | (cp & 0x3FF)), 2);
        o += 4;
        p += 4;
      }
    }
    return out;
  }
}

/** ASCII-only case-insensitive equality (no Unicode folding: "K" (Kelvin) != "k"). */
export function asciiEqualsIgnoreCase(a: string, b: string): bool {
  let n = a.length;
  if (n != b.length) return false;
  let pa = changetype<usize>(a);
  let pb = changetype<usize>(b);
  for (let i = 0; i < n; i++) {
    let x = <u32>load<u16>(pa + (<usize>i << 1));
    let y = <u32>load<u16>(pb + (<usize>i << 1));
    if (x == y) continue;
    if (x - 0x41 <= 25) x |= 0x20;
    if (y - 0x41 <= 25) y |= 0x20;
    if (x != y) return false;
  }
  return true;
}

/** Member names in error messages are attacker text: cap their length. */
function shorten(s: string): string {
  return s.length <= 32 ? s : s.substring(0, 32) + "...";
}

const PARSER = new Parser();

// Serialization of a parsed tree, iterative like the parser (depth is bounded only by the tree).
class SerFrame {
  value: JsonValue;
  next: i32 = 0;
  constructor(value: JsonValue) { this.value = value; }
}

function writeScalar(w: JsonWriter, v: JsonValue): void {
  switch (v.kind) {
    case JsonKind.Null: w.null(); break;
    case JsonKind.Bool: w.bool(v.boolValue); break;
    case JsonKind.Number: w.number(v.numberValue); break;
    default: w.string(v.stringValue); break;
  }
}

function serialize(root: JsonValue): string {
  let w = new JsonWriter();
  if (root.kind != JsonKind.Array && root.kind != JsonKind.Object) {
    writeScalar(w, root);
    return w.toString();
  }
  let stack: SerFrame[] = [];
  stack.push(new SerFrame(root));
  if (root.kind == JsonKind.Object) w.beginObject(); else w.beginArray();
  while (stack.length > 0) {
    let top = stack[stack.length - 1];
    let v = top.value;
    let isObject = v.kind == JsonKind.Object;
    let count = isObject ? v.keys.length : v.items.length;
    if (top.next >= count) {
      if (isObject) w.endObject(); else w.endArray();
      stack.pop();
      continue;
    }
    let i = top.next++;
    let child: JsonValue;
    if (isObject) {
      w.key(v.keys[i]);
      child = v.values[i];
    } else {
      child = v.items[i];
    }
    if (child.kind == JsonKind.Object) {
      w.beginObject();
      stack.push(new SerFrame(child));
    } else if (child.kind == JsonKind.Array) {
      w.beginArray();
      stack.push(new SerFrame(child));
    } else {
      writeScalar(w, child);
    }
  }
  return w.toString();
}
