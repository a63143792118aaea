// JSON output: string quoting and a small streaming writer for responses and logs.
//
// Output is compact (no whitespace) and escapes exactly what JSON.stringify escapes: `"`, `\`,
// control characters below U+0020 (short forms \b \f \n \r \t, else \u00XX) and lone UTF-16
// surrogates (as \uDXXX, so the text stays valid when encoded as UTF-8). Everything else,
// including non-ASCII, is written as is.

// @ts-ignore: decorator
@lazy const HEX = memory.data<u8>([
  0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66,
]);

/** Growable UTF-16 buffer; appends never trap short of running out of memory. */
class CharBuffer {
  private buf: ArrayBuffer = new ArrayBuffer(64);
  private len: i32 = 0; // bytes used

  private reserve(units: i32): usize {
    let need = this.len + (units << 1);
    let cap = this.buf.byteLength;
    if (need > cap) {
      let newCap = cap << 1;
      while (newCap < need) newCap <<= 1;
      let next = new ArrayBuffer(newCap);
      memory.copy(changetype<usize>(next), changetype<usize>(this.buf), <usize>this.len);
      this.buf = next;
    }
    let at = changetype<usize>(this.buf) + <usize>this.len;
    this.len = need;
    return at;
  }

  char(c: u32): void {
    store<u16>(this.reserve(1), <u16>c);
  }

  ascii(s: string): void {
    let n = s.length;
    memory.copy(this.reserve(n), changetype<usize>(s), <usize>n << 1);
  }

  /** `s` as a JSON string literal, quotes included. */
  quoted(s: string): void {
    let src = changetype<usize>(s);
    let n = s.length;
    this.char(0x22);
    let runStart = 0;
    for (let i = 0; i < n; i++) {
      let c = <u32>load<u16>(src + (<usize>i << 1));
      let esc: u32 = 0; // short escape letter, or 0xFFFF for \uXXXX, or 0 for none
      if (c < 0x20) {
        esc = c == 0x08 ? 0x62 : c == 0x0C ? 0x66 : c == 0x0A ? 0x6E : c == 0x0D ? 0x72 : c == 0x09 ? 0x74 : 0xFFFF;
      } else if (c == 0x22 || c == 0x5C) {
        esc = c;
      } else if (c >= 0xD800 && c <= 0xDFFF) {
        // A high surrogate followed by a low one is a pair: copy both. Anything else is lone.
        if (c <= 0xDBFF && i + 1 < n) {
          let c2 = <u32>load<u16>(src + (<usize>(i + 1) << 1));
          if (c2 >= 0xDC00 && c2 <= 0xDFFF) { i++; continue; }
        }
        esc = 0xFFFF;
      }
      if (esc == 0) continue;
      this.run(src, runStart, i);
      runStart = i + 1;
      if (esc == 0xFFFF) {
        let at = this.reserve(6);
        store<u16>(at, 0x5C);
        store<u16>(at, 0x75, 2);
        store<u16>(at, load<u8>(HEX + ((c >> 12) & 15)), 4);
        store<u16>(at, load<u8>(HEX + ((c >> 8) & 15)), 6);
        store<u16>(at, load<u8>(HEX + ((c >> 4) & 15)), 8);
        store<u16>(at, load<u8>(HEX + (c & 15)), 10);
      } else {
        let at = this.reserve(2);
        store<u16>(at, 0x5C);
        store<u16>(at, <u16>esc, 2);
      }
    }
    this.run(src, runStart, n);
    this.char(0x22);
  }

  private run(src: usize, from: i32, to: i32): void {
    if (to <= from) return;
    let units = to - from;
    memory.copy(this.reserve(units), src + (<usize>from << 1), <usize>units << 1);
  }

  toString(): string {
    return String.UTF16.decodeUnsafe(changetype<usize>(this.buf), <usize>this.len);
  }
}

/** `s` as a JSON string literal with quotes, escaped like JSON.stringify. */
export function jsonQuote(s: string): string {
  let b = new CharBuffer();
  b.quoted(s);
  return b.toString();
}

/**
 * Formats a finite f64 the way JSON needs it: integers below 2^53 without a fraction ("3", "-0"),
 * others in AssemblyScript's shortest-round-trip notation ("0.1", "1.5e-7", "1e+300").
 * Non-finite values (which JSON cannot express) become "null".
 */
export function jsonNumberText(v: f64): string {
  if (!isFinite(v)) return "null";
  if (v == 0) return (reinterpret<u64>(v) >> 63) != 0 ? "-0" : "0";
  if (v == Math.trunc(v) && Math.abs(v) < 9007199254740992.0) return (<i64>v).toString();
  let s = v.toString();
  // AssemblyScript prints integral values as "123.0"; the ".0" is noise in JSON.
  let n = s.length;
  if (n > 2 && s.charCodeAt(n - 1) == 0x30 && s.charCodeAt(n - 2) == 0x2E) s = s.substring(0, n - 2);
  return s;
}

// Frame flags on the writer's stack.
// @ts-ignore: decorator
@inline const IN_OBJECT: u8 = 1;  // else array
// @ts-ignore: decorator
@inline const HAS_ITEMS: u8 = 2;  // a comma goes before the next member/element
// @ts-ignore: decorator
@inline const AFTER_KEY: u8 = 4;  // object: key written, value expected

/**
 * Streaming compact JSON writer. Commas and colons are inserted for you:
 *   w.beginObject(); w.key("error"); w.string("invalid_token"); w.endObject();
 * Misuse (a value where a key is expected, unbalanced end*, two top-level values) never traps;
 * it makes isValid() false so the caller can refuse to send the output.
 */
export class JsonWriter {
  private out: CharBuffer = new CharBuffer();
  private frames: u8[] = [];
  private rootDone: bool = false;
  private misused: bool = false;

  private beforeValue(): void {
    let depth = this.frames.length;
    if (depth == 0) {
      if (this.rootDone) this.misused = true;
      this.rootDone = true;
      return;
    }
    let f = this.frames[depth - 1];
    if (f & IN_OBJECT) {
      if (!(f & AFTER_KEY)) this.misused = true;
      this.frames[depth - 1] = f & ~AFTER_KEY;
    } else {
      if (f & HAS_ITEMS) this.out.char(0x2C);
      this.frames[depth - 1] = f | HAS_ITEMS;
    }
  }

  beginObject(): void {
    this.beforeValue();
    this.out.char(0x7B);
    this.frames.push(IN_OBJECT);
  }

  endObject(): void {
    let depth = this.frames.length;
    if (depth == 0 || !(this.frames[depth - 1] & IN_OBJECT) || (this.frames[depth - 1] & AFTER_KEY)) {
      this.misused = true;
    }
    if (depth > 0) this.frames.pop();
    this.out.char(0x7D);
  }

  beginArray(): void {
    this.beforeValue();
    this.out.char(0x5B);
    this.frames.push(0);
  }

  endArray(): void {
    let depth = this.frames.length;
    if (depth == 0 || (this.frames[depth - 1] & IN_OBJECT)) this.misused = true;
    if (depth > 0) this.frames.pop();
    this.out.char(0x5D);
  }

  /** Member name; must be followed by exactly one value. */
  key(k: string): void {
    let depth = this.frames.length;
    if (depth == 0) {
      this.misused = true;
    } else {
      let f = this.frames[depth - 1];
      if (!(f & IN_OBJECT) || (f & AFTER_KEY)) this.misused = true;
      if (f & HAS_ITEMS) this.out.char(0x2C);
      this.frames[depth - 1] = f | HAS_ITEMS | AFTER_KEY;
    }
    this.out.quoted(k);
    this.out.char(0x3A);
  }

  string(v: string): void {
    this.beforeValue();
    this.out.quoted(v);
  }

  /** Finite numbers as JSON numbers (see jsonNumberText); NaN/Infinity are written as null. */
  number(v: f64): void {
    this.beforeValue();
    this.out.ascii(jsonNumberText(v));
  }

  integer(v: i64): void {
    this.beforeValue();
    this.out.ascii(v.toString());
  }

  bool(v: bool): void {
    this.beforeValue();
    this.out.ascii(v ? "true" : "false");
  }

  null(): void {
    this.beforeValue();
    this.out.ascii("null");
  }

  /** True when exactly one complete, well-nested value has been written. */
  isValid(): bool {
    return !this.misused && this.rootDone && this.frames.length == 0;
  }

  toString(): string {
    return this.out.toString();
  }
}
