// Strict base64url (RFC 4648 section 5) as JWS compact serialization uses it (RFC 7515 section 2):
// alphabet A-Z a-z 0-9 - _ only, no padding, no whitespace, and canonical encodings only.
//
// "Canonical" matters for tokens: the unused low bits of the last character must be zero, so
// every byte string has exactly one accepted encoding ("QQ" decodes to 0x41; "QR" would decode
// to the same byte and is rejected). Without this a token can be altered without touching the
// signature input's meaning, which breaks caches and replay detection keyed on the token text.

// Sextet value of each byte, 0xFF for bytes outside the base64url alphabet (including '=',
// '+', '/', whitespace and every byte >= 0x80).
// @ts-ignore: decorator
@lazy const DECODE = memory.data<u8>([
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3E, 0xFF, 0xFF,
  0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
  0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0x3F,
  0xFF, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
  0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
  0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
]);

// @ts-ignore: decorator
@lazy const ALPHABET = memory.data<u8>([
  0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x50, // A-P
  0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, // Q-Z a-f
  0x67, 0x68, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E, 0x6F, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, // g-v
  0x77, 0x78, 0x79, 0x7A, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x2D, 0x5F, // w-z 0-9 - _
]);

/** Larger outputs are refused rather than risk an allocation trap; tokens are capped far below. */
// @ts-ignore: decorator
@inline export const MAX_DECODED_BYTES: i32 = 64 << 20;

/** Sextet for one input unit (byte or UTF-16 code unit), or a value with bit 7 set if invalid. */
// @ts-ignore: decorator
@inline
function sextetAt<T>(p: usize): u32 {
  let c = <u32>load<T>(p);
  if (sizeof<T>() > 1 && c > 0xFF) return 0xFF;
  // c <= 0xFF here, and DECODE has 256 entries.
  return <u32>load<u8>(DECODE + c);
}

/** Decodes `len` units of type T (u8 bytes or u16 code units) at `ptr`; null if not canonical base64url. */
function decodeCore<T>(ptr: usize, len: i32): Uint8Array | null {
  if (len < 0) return null;
  let rem = len & 3;
  if (rem == 1) return null; // 6 bits cannot end a byte
  let outLen = (len >> 2) * 3 + (rem != 0 ? rem - 1 : 0);
  if (outLen > MAX_DECODED_BYTES) return null; // keep a wild length from failing the allocation
  let out = new Uint8Array(outLen);
  let o = out.dataStart;
  const W = sizeof<T>();
  let p = ptr;
  let fullEnd = ptr + (<usize>(len >> 2) << 2) * W;
  // Invalid units have 0xFF in the table; OR-ing four sextets keeps bit 7 set if any was bad.
  while (p < fullEnd) {
    let a = sextetAt<T>(p);
    let b = sextetAt<T>(p + W);
    let c = sextetAt<T>(p + 2 * W);
    let d = sextetAt<T>(p + 3 * W);
    if ((a | b | c | d) & 0x80) return null;
    let v = (a << 18) | (b << 12) | (c << 6) | d;
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o, <u8>(v >> 8), 1);
    store<u8>(o, <u8>v, 2);
    p += 4 * W;
    o += 3;
  }
  if (rem == 2) {
    let a = sextetAt<T>(p);
    let b = sextetAt<T>(p + W);
    if ((a | b) & 0x80) return null;
    if (b & 0x0F) return null; // 12 bits carry 8: the low 4 must be zero
    store<u8>(o, <u8>((a << 2) | (b >> 4)));
  } else if (rem == 3) {
    let a = sextetAt<T>(p);
    let b = sextetAt<T>(p + W);
    let c = sextetAt<T>(p + 2 * W);
    if ((a | b | c) & 0x80) return null;
    if (c & 0x03) return null; // 18 bits carry 16: the low 2 must be zero
    let v = (a << 18) | (b << 12) | (c << 6);
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o, <u8>(v >> 8), 1);
  }
  return out;
}

/**
 * Decodes `len` ASCII bytes at `ptr` (e.g. one segment of a token buffer).
 * Returns null on any byte outside the alphabet, `len % 4 == 1`, or non-zero trailing bits.
 */
export function base64urlDecodeUnsafe(ptr: usize, len: i32): Uint8Array | null {
  return decodeCore<u8>(ptr, len);
}

/** Decodes a string; any code unit outside the base64url alphabet (incl. >= 0x80) gives null. */
export function base64urlDecode(s: string): Uint8Array | null {
  return decodeCore<u16>(changetype<usize>(s), s.length);
}

/** Encodes without padding. */
export function base64urlEncode(data: Uint8Array): string {
  let len = data.length;
  let outLen = (len / 3) * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
  let out = changetype<string>(__new(<usize>outLen << 1, idof<string>()));
  let p = data.dataStart;
  let end = p + <usize>(len / 3) * 3;
  let o = changetype<usize>(out);
  while (p < end) {
    let v = (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p, 1) << 8) | <u32>load<u8>(p, 2);
    store<u16>(o, load<u8>(ALPHABET + (v >> 18)));
    store<u16>(o, load<u8>(ALPHABET + ((v >> 12) & 63)), 2);
    store<u16>(o, load<u8>(ALPHABET + ((v >> 6) & 63)), 4);
    store<u16>(o, load<u8>(ALPHABET + (v & 63)), 6);
    p += 3;
    o += 8;
  }
  let rem = len % 3;
  if (rem == 1) {
    let v = <u32>load<u8>(p) << 16;
    store<u16>(o, load<u8>(ALPHABET + (v >> 18)));
    store<u16>(o, load<u8>(ALPHABET + ((v >> 12) & 63)), 2);
  } else if (rem == 2) {
    let v = (<u32>load<u8>(p) << 16) | (<u32>load<u8>(p, 1) << 8);
    store<u16>(o, load<u8>(ALPHABET + (v >> 18)));
    store<u16>(o, load<u8>(ALPHABET + ((v >> 12) & 63)), 2);
    store<u16>(o, load<u8>(ALPHABET + ((v >> 6) & 63)), 4);
  }
  return out;
}
