// UTF-8 <-> AssemblyScript string conversion for values crossing the http-wasm boundary.
//
// Why not String.UTF8.decode: header values reach us as raw bytes from the client (Go keeps them as
// byte strings), so they may be invalid UTF-8. The std decoder does not trap on bad input, but it
// reads the bits of malformed sequences as if they were well formed, so "\xff\xfe" can come out
// as an arbitrary code point. This decoder follows the WHATWG "replacement" rule instead: every
// maximal invalid subpart becomes one U+FFFD, so a bad value is visibly bad and never aliases a
// valid one. It never traps: each input byte produces at most one UTF-16 unit (a 4-byte sequence
// produces two), so the string allocated up front is always big enough.

// @ts-ignore: decorator
@inline const REPLACEMENT: u32 = 0xFFFD;

/** Decodes `len` bytes at `ptr` as UTF-8, replacing invalid sequences with U+FFFD. */
export function decodeUtf8LossyUnsafe(ptr: usize, len: usize): string {
  if (len == 0) return "";
  let out = __new(len << 1, idof<String>());
  let outOff = out;
  let p = ptr;
  let end = ptr + len;
  while (p < end) {
    let b0 = <u32>load<u8>(p);
    if (b0 < 0x80) {
      store<u16>(outOff, <u16>b0);
      outOff += 2;
      p++;
      continue;
    }
    let need = 0;
    let cp: u32 = 0;
    let lower: u32 = 0x80;
    let upper: u32 = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      need = 1; cp = b0 & 0x1F;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      need = 2; cp = b0 & 0x0F;
      if (b0 == 0xE0) lower = 0xA0; // overlong
      if (b0 == 0xED) upper = 0x9F; // UTF-16 surrogates
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      need = 3; cp = b0 & 0x07;
      if (b0 == 0xF0) lower = 0x90; // overlong
      if (b0 == 0xF4) upper = 0x8F; // above U+10FFFF
    } else {
      store<u16>(outOff, <u16>REPLACEMENT);
      outOff += 2;
      p++;
      continue;
    }
    p++;
    let ok = true;
    for (let i = 0; i < need; i++) {
      if (p >= end) { ok = false; break; }
      let b = <u32>load<u8>(p);
      if (b < lower || b > upper) { ok = false; break; } // leave b unconsumed: it may start a sequence
      lower = 0x80;
      upper = 0xBF;
      cp = (cp << 6) | (b & 0x3F);
      p++;
    }
    if (!ok) {
      store<u16>(outOff, <u16>REPLACEMENT);
      outOff += 2;
    } else if (cp >= 0x10000) {
      cp -= 0x10000;
      store<u16>(outOff, <u16>(0xD800 | (cp >> 10)));
      store<u16>(outOff, <u16>(0xDC00 | (cp & 0x3FF)), 2);
      outOff += 4;
    } else {
      store<u16>(outOff, <u16>cp);
      outOff += 2;
    }
  }
  return changetype<string>(__renew(out, outOff - out));
}

/** Bytes `s` takes as UTF-8 once lone surrogates are replaced (3 bytes each, like U+FFFD). */
// @ts-ignore: decorator
@inline export function utf8Length(s: string): usize {
  return <usize>String.UTF8.byteLength(s, false);
}

/**
 * Writes `s` as UTF-8 at `dst` (which must have `utf8Length(s)` bytes) and returns the byte count.
 * Lone surrogates become U+FFFD, so the bytes sent to the host are always valid UTF-8.
 */
export function encodeUtf8Unsafe(s: string, dst: usize): usize {
  return String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, dst, false, String.UTF8.ErrorMode.REPLACE);
}
