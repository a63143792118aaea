// Strict UTF-8 validation (RFC 3629, Unicode "well-formed UTF-8 byte sequences" table).
//
// Rejected: stray continuation bytes, C0/C1 and other overlong forms, encoded surrogates
// (ED A0..BF), code points above U+10FFFF (F4 90.. and F5..FF), and sequences cut off by the
// end of the input. Callers that only need "is it valid" compare the result with -1.

/**
 * Returns -1 when the `len` bytes at `ptr` are well-formed UTF-8, otherwise the byte offset of
 * the first byte of the first ill-formed sequence. A negative `len` is reported as offset 0.
 */
export function utf8InvalidOffsetUnsafe(ptr: usize, len: i32): i32 {
  if (len < 0) return 0;
  let end = ptr + <usize>len;
  let p = ptr;
  while (p < end) {
    // ASCII runs dominate real input: skip eight bytes at a time while none has the top bit.
    while (p + 8 <= end && (load<u64>(p) & 0x8080808080808080) == 0) p += 8;
    if (p >= end) break;
    let b0 = <u32>load<u8>(p);
    if (b0 < 0x80) { p += 1; continue; }
    let start = p;
    let need: usize;
    // The second byte's allowed range depends on the lead byte; later bytes are always 80..BF.
    let lo: u32 = 0x80;
    let hi: u32 = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      need = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      need = 2;
      if (b0 == 0xE0) lo = 0xA0;      // overlong below U+0800
      else if (b0 == 0xED) hi = 0x9F; // U+D800..U+DFFF are not scalar values
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      need = 3;
      if (b0 == 0xF0) lo = 0x90;      // overlong below U+10000
      else if (b0 == 0xF4) hi = 0x8F; // above U+10FFFF
    } else {
      // 80..BF (continuation without lead), C0/C1 (always overlong), F5..FF.
      return <i32>(start - ptr);
    }
    if (end - p <= need) return <i32>(start - ptr); // truncated sequence
    let b1 = <u32>load<u8>(p, 1);
    if (b1 < lo || b1 > hi) return <i32>(start - ptr);
    for (let i: usize = 2; i <= need; i++) {
      if ((<u32>load<u8>(p + i) & 0xC0) != 0x80) return <i32>(start - ptr);
    }
    p += need + 1;
  }
  return -1;
}

/** Safe wrapper: -1 when `data` is well-formed UTF-8, else the offset of the first bad sequence. */
export function utf8InvalidOffset(data: Uint8Array): i32 {
  return utf8InvalidOffsetUnsafe(data.dataStart, data.length);
}

/** True when `data` is well-formed UTF-8. */
export function isValidUtf8(data: Uint8Array): bool {
  return utf8InvalidOffsetUnsafe(data.dataStart, data.length) < 0;
}

/**
 * Number of bytes in the sequence introduced by lead byte `b0` of ALREADY VALIDATED UTF-8
 * (1..4). For use after utf8InvalidOffsetUnsafe returned -1 over the same bytes.
 */
// @ts-ignore: decorator
@inline
export function utf8SequenceLength(b0: u32): i32 {
  return b0 < 0x80 ? 1 : b0 < 0xE0 ? 2 : b0 < 0xF0 ? 3 : 4;
}
