// Arithmetic modulo the P-256 field prime p = 2^256 - 2^224 + 2^192 + 2^96 - 1.
//
// A field element is 8 little-endian u32 limbs (32 bytes) at a pointer into linear memory.
// Every function takes fully reduced inputs (< p), returns a fully reduced result, and allows
// `out` to alias any input. Multiplication is a product-scanning 8x8 schoolbook over u64
// partial products followed by the NIST "fast reduction" of FIPS 186-4 D.2.3, which needs
// no multiplications because p's words are all 0, 1 or 2^32-1.
//
// Nothing here allocates; the only scratch is module-level static memory.

/** Low 32 bits of a u64. */
// @ts-ignore: decorator
@inline const M: u64 = 0xffffffff;

export const FIELD_BYTES: usize = 32;

/** p as little-endian u32 limbs. */
export const P_LIMBS: usize = memory.data<u32>([
  0xffffffff, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0xffffffff,
]);

/** p - 2, the Fermat inversion exponent, as little-endian u32 limbs. */
const P_MINUS_2: usize = memory.data<u32>([
  0xfffffffd, 0xffffffff, 0xffffffff, 0x00000000, 0x00000000, 0x00000000, 0x00000001, 0xffffffff,
]);

const invAcc: usize = memory.data(32);
const invBase: usize = memory.data(32);

/** Reads 32 big-endian bytes at `src` into limbs at `dst` (no reduction). */
export function fpLoadBE(dst: usize, src: usize): void {
  for (let i: usize = 0; i < 8; i++) {
    store<u32>(dst + (i << 2), bswap<u32>(load<u32>(src + 28 - (i << 2))));
  }
}

/** Writes the limbs at `src` as 32 big-endian bytes at `dst`. */
export function fpStoreBE(dst: usize, src: usize): void {
  for (let i: usize = 0; i < 8; i++) {
    store<u32>(dst + 28 - (i << 2), bswap<u32>(load<u32>(src + (i << 2))));
  }
}

/** Compares two 256-bit limb values: -1, 0 or 1. */
export function cmp256(a: usize, b: usize): i32 {
  for (let i: isize = 7; i >= 0; i--) {
    const x = load<u32>(a + (i << 2));
    const y = load<u32>(b + (i << 2));
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** True if the 256-bit value at `a` is a canonical field element (< p). */
export function fpIsCanonical(a: usize): bool {
  return cmp256(a, P_LIMBS) < 0;
}

export function fpCopy(dst: usize, src: usize): void {
  memory.copy(dst, src, 32);
}

export function fpSetZero(dst: usize): void {
  memory.fill(dst, 0, 32);
}

export function fpSetOne(dst: usize): void {
  memory.fill(dst, 0, 32);
  store<u32>(dst, 1);
}

export function fpIsZero(a: usize): bool {
  return (load<u64>(a) | load<u64>(a, 8) | load<u64>(a, 16) | load<u64>(a, 24)) == 0;
}

export function fpEqual(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8) &&
    load<u64>(a, 16) == load<u64>(b, 16) && load<u64>(a, 24) == load<u64>(b, 24);
}

/** out = a + b mod p. */
export function fpAdd(out: usize, a: usize, b: usize): void {
  // s = a + b (257 bits), d = s - p; keep d unless it went negative.
  let c: u64 = <u64>load<u32>(a, 0) + load<u32>(b, 0);
  const s0 = c & M; c >>= 32;
  c += <u64>load<u32>(a, 4) + load<u32>(b, 4);
  const s1 = c & M; c >>= 32;
  c += <u64>load<u32>(a, 8) + load<u32>(b, 8);
  const s2 = c & M; c >>= 32;
  c += <u64>load<u32>(a, 12) + load<u32>(b, 12);
  const s3 = c & M; c >>= 32;
  c += <u64>load<u32>(a, 16) + load<u32>(b, 16);
  const s4 = c & M; c >>= 32;
  c += <u64>load<u32>(a, 20) + load<u32>(b, 20);
  const s5 = c & M; c >>= 32;
  c += <u64>load<u32>(a, 24) + load<u32>(b, 24);
  const s6 = c & M; c >>= 32;
  c += <u64>load<u32>(a, 28) + load<u32>(b, 28);
  const s7 = c & M; c >>= 32;
  subtractPIfNotBelow(out, s0, s1, s2, s3, s4, s5, s6, s7, c);
}

/** out = a - b mod p. */
export function fpSub(out: usize, a: usize, b: usize): void {
  // d = a - b with a signed borrow; if it went negative add p back (mask is all ones then).
  let t: i64 = <i64>load<u32>(a, 0) - <i64>load<u32>(b, 0);
  const d0 = t & <i64>M; t >>= 32;
  t += <i64>load<u32>(a, 4) - <i64>load<u32>(b, 4);
  const d1 = t & <i64>M; t >>= 32;
  t += <i64>load<u32>(a, 8) - <i64>load<u32>(b, 8);
  const d2 = t & <i64>M; t >>= 32;
  t += <i64>load<u32>(a, 12) - <i64>load<u32>(b, 12);
  const d3 = t & <i64>M; t >>= 32;
  t += <i64>load<u32>(a, 16) - <i64>load<u32>(b, 16);
  const d4 = t & <i64>M; t >>= 32;
  t += <i64>load<u32>(a, 20) - <i64>load<u32>(b, 20);
  const d5 = t & <i64>M; t >>= 32;
  t += <i64>load<u32>(a, 24) - <i64>load<u32>(b, 24);
  const d6 = t & <i64>M; t >>= 32;
  t += <i64>load<u32>(a, 28) - <i64>load<u32>(b, 28);
  const d7 = t & <i64>M; t >>= 32;
  // t is 0 or -1; as a mask it selects p or 0. p's limbs are M, M, M, 0, 0, 0, 1, M.
  const m = t & <i64>M;
  t = d0 + m;
  store<u32>(out, <u32>t, 0); t >>= 32;
  t += d1 + m;
  store<u32>(out, <u32>t, 4); t >>= 32;
  t += d2 + m;
  store<u32>(out, <u32>t, 8); t >>= 32;
  t += d3;
  store<u32>(out, <u32>t, 12); t >>= 32;
  t += d4;
  store<u32>(out, <u32>t, 16); t >>= 32;
  t += d5;
  store<u32>(out, <u32>t, 20); t >>= 32;
  t += d6 + (m & 1);
  store<u32>(out, <u32>t, 24); t >>= 32;
  t += d7 + m;
  store<u32>(out, <u32>t, 28);
}

/** out = -a mod p. */
export function fpNeg(out: usize, a: usize): void {
  fpSub(out, zero, a);
}
const zero: usize = memory.data(32);

/**
 * Stores s - p if s >= p, else s, where s = s0..s7 + top * 2^256 and s < 2p.
 * Limbs are u64 values below 2^32; `top` is 0 or 1.
 */
// @ts-ignore: decorator
@inline
function subtractPIfNotBelow(
  out: usize, s0: u64, s1: u64, s2: u64, s3: u64, s4: u64, s5: u64, s6: u64, s7: u64, top: u64,
): void {
  let t: i64 = <i64>s0 - <i64>M;
  const d0 = t & <i64>M; t >>= 32;
  t += <i64>s1 - <i64>M;
  const d1 = t & <i64>M; t >>= 32;
  t += <i64>s2 - <i64>M;
  const d2 = t & <i64>M; t >>= 32;
  t += <i64>s3;
  const d3 = t & <i64>M; t >>= 32;
  t += <i64>s4;
  const d4 = t & <i64>M; t >>= 32;
  t += <i64>s5;
  const d5 = t & <i64>M; t >>= 32;
  t += <i64>s6 - 1;
  const d6 = t & <i64>M; t >>= 32;
  t += <i64>s7 - <i64>M;
  const d7 = t & <i64>M; t >>= 32;
  t += <i64>top;
  // t == 0: s >= p, keep the difference; t == -1: s < p, keep s.
  const keep = t < 0;
  store<u32>(out, <u32>select<i64>(<i64>s0, d0, keep), 0);
  store<u32>(out, <u32>select<i64>(<i64>s1, d1, keep), 4);
  store<u32>(out, <u32>select<i64>(<i64>s2, d2, keep), 8);
  store<u32>(out, <u32>select<i64>(<i64>s3, d3, keep), 12);
  store<u32>(out, <u32>select<i64>(<i64>s4, d4, keep), 16);
  store<u32>(out, <u32>select<i64>(<i64>s5, d5, keep), 20);
  store<u32>(out, <u32>select<i64>(<i64>s6, d6, keep), 24);
  store<u32>(out, <u32>select<i64>(<i64>s7, d7, keep), 28);
}

/**
 * Reduces the 512-bit product c0..c15 (u64 values below 2^32) modulo p into `out`.
 * FIPS 186-4 D.2.3: with 32-bit words, c mod p = s1 + 2 s2 + 2 s3 + s4 + s5 - d1 - d2 - d3 - d4,
 * written out below per result word. The signed per-word sums are carried with arithmetic
 * shifts; what overflows 2^256 is folded back with 2^256 = 2^224 - 2^192 - 2^96 + 1 (mod p).
 */
// @ts-ignore: decorator
@inline
function reduceWide(
  out: usize,
  c0: u64, c1: u64, c2: u64, c3: u64, c4: u64, c5: u64, c6: u64, c7: u64,
  c8: u64, c9: u64, c10: u64, c11: u64, c12: u64, c13: u64, c14: u64, c15: u64,
): void {
  const x0 = <i64>c0, x1 = <i64>c1, x2 = <i64>c2, x3 = <i64>c3;
  const x4 = <i64>c4, x5 = <i64>c5, x6 = <i64>c6, x7 = <i64>c7;
  const x8 = <i64>c8, x9 = <i64>c9, x10 = <i64>c10, x11 = <i64>c11;
  const x12 = <i64>c12, x13 = <i64>c13, x14 = <i64>c14, x15 = <i64>c15;
  let t: i64 = x0 + x8 + x9 - x11 - x12 - x13 - x14;
  let r0 = t & <i64>M; t >>= 32;
  t += x1 + x9 + x10 - x12 - x13 - x14 - x15;
  let r1 = t & <i64>M; t >>= 32;
  t += x2 + x10 + x11 - x13 - x14 - x15;
  let r2 = t & <i64>M; t >>= 32;
  t += x3 + ((x11 + x12) << 1) + x13 - x15 - x8 - x9;
  let r3 = t & <i64>M; t >>= 32;
  t += x4 + ((x12 + x13) << 1) + x14 - x9 - x10;
  let r4 = t & <i64>M; t >>= 32;
  t += x5 + ((x13 + x14) << 1) + x15 - x10 - x11;
  let r5 = t & <i64>M; t >>= 32;
  t += x6 + 3 * x14 + (x15 << 1) + x13 - x8 - x9;
  let r6 = t & <i64>M; t >>= 32;
  t += x7 + 3 * x15 + x8 - x10 - x11 - x12 - x13;
  let r7 = t & <i64>M; t >>= 32;
  // The sum lies in (-4 * 2^256, 7 * 2^256), so t is now in [-4, 6]. Each fold replaces
  // t * 2^256 by t * (2^224 - 2^192 - 2^96 + 1). After the first fold t is -1, 0 or 1, and
  // the second fold cannot carry out again (the value it folds into is within 6 * 2^224 of
  // 0 or of 2^256), so this loop runs at most twice.
  while (t != 0) {
    const k = t;
    t = r0 + k;
    r0 = t & <i64>M; t >>= 32;
    t += r1;
    r1 = t & <i64>M; t >>= 32;
    t += r2;
    r2 = t & <i64>M; t >>= 32;
    t += r3 - k;
    r3 = t & <i64>M; t >>= 32;
    t += r4;
    r4 = t & <i64>M; t >>= 32;
    t += r5;
    r5 = t & <i64>M; t >>= 32;
    t += r6 - k;
    r6 = t & <i64>M; t >>= 32;
    t += r7 + k;
    r7 = t & <i64>M; t >>= 32;
  }
  subtractPIfNotBelow(out, <u64>r0, <u64>r1, <u64>r2, <u64>r3, <u64>r4, <u64>r5, <u64>r6, <u64>r7, 0);
}

/** out = a * b mod p. */
export function fpMul(out: usize, a: usize, b: usize): void {
  const a0 = <u64>load<u32>(a, 0), a1 = <u64>load<u32>(a, 4), a2 = <u64>load<u32>(a, 8), a3 = <u64>load<u32>(a, 12);
  const a4 = <u64>load<u32>(a, 16), a5 = <u64>load<u32>(a, 20), a6 = <u64>load<u32>(a, 24), a7 = <u64>load<u32>(a, 28);
  const b0 = <u64>load<u32>(b, 0), b1 = <u64>load<u32>(b, 4), b2 = <u64>load<u32>(b, 8), b3 = <u64>load<u32>(b, 12);
  const b4 = <u64>load<u32>(b, 16), b5 = <u64>load<u32>(b, 20), b6 = <u64>load<u32>(b, 24), b7 = <u64>load<u32>(b, 28);
  // Column k sums a_i * b_j over i + j = k. Each product is < 2^64, so its low and high
  // halves are summed separately (lo, hi) and recombined with the incoming carry.
  let p: u64, lo: u64, hi: u64, carry: u64 = 0;
  lo = carry; hi = 0;
  p = a0 * b0; lo += p & M; hi += p >> 32;
  const c0 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a0 * b1; lo += p & M; hi += p >> 32;
  p = a1 * b0; lo += p & M; hi += p >> 32;
  const c1 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a0 * b2; lo += p & M; hi += p >> 32;
  p = a1 * b1; lo += p & M; hi += p >> 32;
  p = a2 * b0; lo += p & M; hi += p >> 32;
  const c2 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a0 * b3; lo += p & M; hi += p >> 32;
  p = a1 * b2; lo += p & M; hi += p >> 32;
  p = a2 * b1; lo += p & M; hi += p >> 32;
  p = a3 * b0; lo += p & M; hi += p >> 32;
  const c3 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a0 * b4; lo += p & M; hi += p >> 32;
  p = a1 * b3; lo += p & M; hi += p >> 32;
  p = a2 * b2; lo += p & M; hi += p >> 32;
  p = a3 * b1; lo += p & M; hi += p >> 32;
  p = a4 * b0; lo += p & M; hi += p >> 32;
  const c4 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a0 * b5; lo += p & M; hi += p >> 32;
  p = a1 * b4; lo += p & M; hi += p >> 32;
  p = a2 * b3; lo += p & M; hi += p >> 32;
  p = a3 * b2; lo += p & M; hi += p >> 32;
  p = a4 * b1; lo += p & M; hi += p >> 32;
  p = a5 * b0; lo += p & M; hi += p >> 32;
  const c5 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a0 * b6; lo += p & M; hi += p >> 32;
  p = a1 * b5; lo += p & M; hi += p >> 32;
  p = a2 * b4; lo += p & M; hi += p >> 32;
  p = a3 * b3; lo += p & M; hi += p >> 32;
  p = a4 * b2; lo += p & M; hi += p >> 32;
  p = a5 * b1; lo += p & M; hi += p >> 32;
  p = a6 * b0; lo += p & M; hi += p >> 32;
  const c6 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a0 * b7; lo += p & M; hi += p >> 32;
  p = a1 * b6; lo += p & M; hi += p >> 32;
  p = a2 * b5; lo += p & M; hi += p >> 32;
  p = a3 * b4; lo += p & M; hi += p >> 32;
  p = a4 * b3; lo += p & M; hi += p >> 32;
  p = a5 * b2; lo += p & M; hi += p >> 32;
  p = a6 * b1; lo += p & M; hi += p >> 32;
  p = a7 * b0; lo += p & M; hi += p >> 32;
  const c7 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a1 * b7; lo += p & M; hi += p >> 32;
  p = a2 * b6; lo += p & M; hi += p >> 32;
  p = a3 * b5; lo += p & M; hi += p >> 32;
  p = a4 * b4; lo += p & M; hi += p >> 32;
  p = a5 * b3; lo += p & M; hi += p >> 32;
  p = a6 * b2; lo += p & M; hi += p >> 32;
  p = a7 * b1; lo += p & M; hi += p >> 32;
  const c8 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a2 * b7; lo += p & M; hi += p >> 32;
  p = a3 * b6; lo += p & M; hi += p >> 32;
  p = a4 * b5; lo += p & M; hi += p >> 32;
  p = a5 * b4; lo += p & M; hi += p >> 32;
  p = a6 * b3; lo += p & M; hi += p >> 32;
  p = a7 * b2; lo += p & M; hi += p >> 32;
  const c9 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a3 * b7; lo += p & M; hi += p >> 32;
  p = a4 * b6; lo += p & M; hi += p >> 32;
  p = a5 * b5; lo += p & M; hi += p >> 32;
  p = a6 * b4; lo += p & M; hi += p >> 32;
  p = a7 * b3; lo += p & M; hi += p >> 32;
  const c10 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a4 * b7; lo += p & M; hi += p >> 32;
  p = a5 * b6; lo += p & M; hi += p >> 32;
  p = a6 * b5; lo += p & M; hi += p >> 32;
  p = a7 * b4; lo += p & M; hi += p >> 32;
  const c11 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a5 * b7; lo += p & M; hi += p >> 32;
  p = a6 * b6; lo += p & M; hi += p >> 32;
  p = a7 * b5; lo += p & M; hi += p >> 32;
  const c12 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a6 * b7; lo += p & M; hi += p >> 32;
  p = a7 * b6; lo += p & M; hi += p >> 32;
  const c13 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a7 * b7; lo += p & M; hi += p >> 32;
  const c14 = lo & M; carry = hi + (lo >> 32);
  const c15 = carry;

  reduceWide(out, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
}

/** out = a^2 mod p (36 limb products instead of 64). */
export function fpSqr(out: usize, a: usize): void {
  const a0 = <u64>load<u32>(a, 0), a1 = <u64>load<u32>(a, 4), a2 = <u64>load<u32>(a, 8), a3 = <u64>load<u32>(a, 12);
  const a4 = <u64>load<u32>(a, 16), a5 = <u64>load<u32>(a, 20), a6 = <u64>load<u32>(a, 24), a7 = <u64>load<u32>(a, 28);
  let p: u64, lo: u64, hi: u64, carry: u64 = 0;
  lo = carry; hi = 0;
  p = a0 * a0; lo += p & M; hi += p >> 32;
  const c0 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a0 * a1; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  lo += carry;
  const c1 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a0 * a2; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  p = a1 * a1; lo += p & M; hi += p >> 32;
  lo += carry;
  const c2 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a0 * a3; lo += p & M; hi += p >> 32;
  p = a1 * a2; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  lo += carry;
  const c3 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a0 * a4; lo += p & M; hi += p >> 32;
  p = a1 * a3; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  p = a2 * a2; lo += p & M; hi += p >> 32;
  lo += carry;
  const c4 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a0 * a5; lo += p & M; hi += p >> 32;
  p = a1 * a4; lo += p & M; hi += p >> 32;
  p = a2 * a3; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  lo += carry;
  const c5 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a0 * a6; lo += p & M; hi += p >> 32;
  p = a1 * a5; lo += p & M; hi += p >> 32;
  p = a2 * a4; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  p = a3 * a3; lo += p & M; hi += p >> 32;
  lo += carry;
  const c6 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a0 * a7; lo += p & M; hi += p >> 32;
  p = a1 * a6; lo += p & M; hi += p >> 32;
  p = a2 * a5; lo += p & M; hi += p >> 32;
  p = a3 * a4; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  lo += carry;
  const c7 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a1 * a7; lo += p & M; hi += p >> 32;
  p = a2 * a6; lo += p & M; hi += p >> 32;
  p = a3 * a5; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  p = a4 * a4; lo += p & M; hi += p >> 32;
  lo += carry;
  const c8 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a2 * a7; lo += p & M; hi += p >> 32;
  p = a3 * a6; lo += p & M; hi += p >> 32;
  p = a4 * a5; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  lo += carry;
  const c9 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a3 * a7; lo += p & M; hi += p >> 32;
  p = a4 * a6; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  p = a5 * a5; lo += p & M; hi += p >> 32;
  lo += carry;
  const c10 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a4 * a7; lo += p & M; hi += p >> 32;
  p = a5 * a6; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  lo += carry;
  const c11 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a5 * a7; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  p = a6 * a6; lo += p & M; hi += p >> 32;
  lo += carry;
  const c12 = lo & M; carry = hi + (lo >> 32);
  lo = 0; hi = 0;
  p = a6 * a7; lo += p & M; hi += p >> 32;
  lo <<= 1; hi <<= 1; // off-diagonal products appear twice
  lo += carry;
  const c13 = lo & M; carry = hi + (lo >> 32);
  lo = carry; hi = 0;
  p = a7 * a7; lo += p & M; hi += p >> 32;
  const c14 = lo & M; carry = hi + (lo >> 32);
  const c15 = carry;

  reduceWide(out, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15);
}

/**
 * out = a^-1 mod p by Fermat (a^(p-2)); 0 maps to 0. Only used when building tables,
 * never per signature, so plain square-and-multiply is fine.
 */
export function fpInv(out: usize, a: usize): void {
  fpCopy(invBase, a);
  fpSetOne(invAcc);
  for (let i: i32 = 255; i >= 0; i--) {
    fpSqr(invAcc, invAcc);
    if ((load<u32>(P_MINUS_2 + (<usize>(i >>> 5) << 2)) >>> (i & 31)) & 1) fpMul(invAcc, invAcc, invBase);
  }
  fpCopy(out, invAcc);
}
