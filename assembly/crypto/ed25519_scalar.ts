// Scalars modulo the Ed25519 group order L = 2^252 + 27742317777372353535851937790883648493:
// the canonical-range check on a signature's S, Barrett reduction of the 512-bit challenge hash,
// and the signed-window (wNAF) recoding used by the variable-time multi-scalar multiplication.
// Scalars are 32-byte little-endian buffers; internally 32-bit words in u64 arithmetic.

/** L as eight little-endian 32-bit words. */
// @ts-ignore: decorator
@lazy const L_WORDS: usize = memory.data<u32>([
  0x5cf5d3ed, 0x5812631a, 0xa2f79cd6, 0x14def9de, 0x00000000, 0x00000000, 0x00000000, 0x10000000,
]);

/** Barrett constant mu = floor(2^512 / L), nine little-endian 32-bit words. */
// @ts-ignore: decorator
@lazy const MU_WORDS: usize = memory.data<u32>([
  0x0a2c131b, 0xed9ce5a3, 0x086329a7, 0x2106215d, 0xffffffeb, 0xffffffff, 0xffffffff, 0xffffffff,
  0x0000000f,
]);

/** True when the 32-byte little-endian scalar at `s` is < L (RFC 8032 5.1.7 requires 0 <= S < L). */
export function scIsCanonical(s: usize): bool {
  for (let i = 7; i >= 0; i--) {
    const a = load<u32>(s + (<usize>i << 2));
    const l = load<u32>(L_WORDS + (<usize>i << 2));
    if (a != l) return a < l;
  }
  return false; // s == L
}

// Barrett scratch, 32-bit words: q2 = q1 * mu (18 words), r2 = q3 * L mod 2^288 (9 words), r (9 words).
// @ts-ignore: decorator
@lazy const q2: usize = memory.data(18 * 4, 8);
// @ts-ignore: decorator
@lazy const r2: usize = memory.data(9 * 4, 8);
// @ts-ignore: decorator
@lazy const r: usize = memory.data(9 * 4, 8);

/** r -= L when r >= L (r has 9 words; its ninth word is included in the comparison). */
function subtractLIfAbove(): void {
  // Compare r against L (whose ninth word is 0).
  if (load<u32>(r, 32) == 0) {
    for (let i = 7; i >= 0; i--) {
      const a = load<u32>(r + (<usize>i << 2));
      const l = load<u32>(L_WORDS + (<usize>i << 2));
      if (a < l) return;
      if (a > l) break;
    }
  }
  let borrow: u64 = 0;
  for (let i: usize = 0; i < 9; i++) {
    const l: u64 = i < 8 ? <u64>load<u32>(L_WORDS + (i << 2)) : 0;
    const d = <u64>load<u32>(r + (i << 2)) - l - borrow;
    store<u32>(r + (i << 2), <u32>d);
    borrow = (d >> 63) & 1;
  }
}

/**
 * Writes x mod L to `out` (32 bytes) for the 64-byte little-endian x at `x` (HAC 14.42, b = 2^32,
 * k = 8): q3 = floor(floor(x / b^7) * mu / b^9) underestimates floor(x / L) by at most 2, so
 * r = x - q3 * L (computed mod b^9) is below 3L and at most two subtractions finish the job.
 */
export function scReduce512(out: usize, x: usize): void {
  // q2 = q1 * mu with q1 = x >> 224 (words 7..15 of x).
  memory.fill(q2, 0, 18 * 4);
  for (let i: usize = 0; i < 9; i++) {
    const a = <u64>load<u32>(x + ((i + 7) << 2));
    let carry: u64 = 0;
    for (let j: usize = 0; j < 9; j++) {
      const t = <u64>load<u32>(q2 + ((i + j) << 2)) + a * <u64>load<u32>(MU_WORDS + (j << 2)) + carry;
      store<u32>(q2 + ((i + j) << 2), <u32>t);
      carry = t >> 32;
    }
    store<u32>(q2 + ((i + 9) << 2), <u32>carry);
  }
  // r2 = (q3 * L) mod b^9 with q3 = words 9..17 of q2.
  memory.fill(r2, 0, 9 * 4);
  for (let i: usize = 0; i < 9; i++) {
    const a = <u64>load<u32>(q2 + ((i + 9) << 2));
    let carry: u64 = 0;
    for (let j: usize = 0; i + j < 9; j++) {
      const l: u64 = j < 8 ? <u64>load<u32>(L_WORDS + (j << 2)) : 0;
      const t = <u64>load<u32>(r2 + ((i + j) << 2)) + a * l + carry;
      store<u32>(r2 + ((i + j) << 2), <u32>t);
      carry = t >> 32;
    }
  }
  // r = (x mod b^9) - r2, mod b^9.
  let borrow: u64 = 0;
  for (let i: usize = 0; i < 9; i++) {
    const d = <u64>load<u32>(x + (i << 2)) - <u64>load<u32>(r2 + (i << 2)) - borrow;
    store<u32>(r + (i << 2), <u32>d);
    borrow = (d >> 63) & 1;
  }
  subtractLIfAbove();
  subtractLIfAbove();
  memory.copy(out, r, 32);
}

/** Bytes of a scalar buffer prepared for `scWnaf`: 32 scalar bytes plus 8 zero bytes of read slack. */
export const WNAF_INPUT_BYTES: usize = 40;
/** Digits produced by `scWnaf` (one i8 per bit position). */
export const WNAF_DIGITS: i32 = 256;

/**
 * Width-w non-adjacent form of a scalar below 2^253 (2 <= w <= 8): writes 256 i8 digits to `out`
 * such that scalar = sum digit[i] * 2^i, every non-zero digit is odd with |digit| < 2^(w-1), and
 * any w consecutive digits hold at most one non-zero. `scalar` must point at WNAF_INPUT_BYTES
 * readable bytes (the scalar, then zeros), because windows are read 8 bytes at a time.
 */
export function scWnaf(out: usize, scalar: usize, w: i32): void {
  memory.fill(out, 0, <usize>WNAF_DIGITS);
  const mask: u64 = (<u64>1 << <u64>w) - 1;
  let carry: i32 = 0;
  let bit: i32 = 0;
  while (bit < WNAF_DIGITS) {
    const at = scalar + (<usize>bit >> 3);
    if (<i32>((load<u8>(at) >> <u8>(bit & 7)) & 1) == carry) {
      bit++;
      continue;
    }
    let now = w;
    if (now > WNAF_DIGITS - bit) now = WNAF_DIGITS - bit;
    let word = <i32>((load<u64>(at) >> <u64>(bit & 7)) & mask & ((<u64>1 << <u64>now) - 1)) + carry;
    carry = (word >> (w - 1)) & 1;
    word -= carry << w;
    store<i8>(out + <usize>bit, <i8>word);
    bit += now;
  }
}
