// Fixed-size unsigned big integers for RSA public-key operations, with Montgomery multiplication.
//
// Numbers are little-endian arrays of 27-bit limbs, one per u32, in linear memory. Wasm has no
// 64x64->128 multiply, so the widest product is 32x32->64; with full 32-bit limbs every product
// needs its carry split off at once (about 9 wasm instructions per product). With 27-bit limbs a
// product is < 2^54, so a whole column of a product-scanning multiplication (at most 2 * 152
// products for 4096 bits: < 2^63) adds up in one u64 without carries, and the inner loop is just
// load, load, multiply, add. That more than pays for needing ~40% more products.
//
// Every function takes raw pointers and limb counts and trusts them; callers validate sizes.
// Inputs to the modular functions are normalized (every limb < 2^27) and below the modulus.

/** Bits per limb. */
export const LIMB_BITS: i32 = 27;
const LIMB_MASK: u32 = (1 << LIMB_BITS) - 1;

/** Largest operand handled, in limbs: ceil(4096 / 27). */
export const MAX_LIMBS: i32 = 152;

/** Limbs needed for a number of `bytes` bytes. */
export function limbsForBytes(bytes: i32): i32 {
  return (bytes * 8 + LIMB_BITS - 1) / LIMB_BITS;
}

// Montgomery quotient digits m[0..limbs-1] of the product being reduced.
const M: usize = memory.data(MAX_LIMBS * 4);
// Montgomery form of 2 while montgomeryRSquared runs.
const POWER_BASE: usize = memory.data(MAX_LIMBS * 4);

/**
 * Writes the big-endian byte string at `src` (`len` bytes) as `limbs` limbs at `dst`,
 * zero-extending. Requires len * 8 <= limbs * 27 (see limbsForBytes).
 */
export function limbsFromBytesBE(dst: usize, limbs: i32, src: usize, len: i32): void {
  let bits: u64 = 0; // pending bits, least significant first
  let count = 0; // how many are pending (< 27 + 8)
  let out = dst;
  for (let p = src + <usize>len; p > src; ) {
    p--;
    bits |= <u64>load<u8>(p) << count;
    count += 8;
    if (count >= LIMB_BITS) {
      store<u32>(out, <u32>bits & LIMB_MASK);
      out += 4;
      bits >>>= LIMB_BITS;
      count -= LIMB_BITS;
    }
  }
  const end = dst + (<usize>limbs << 2);
  if (count > 0 && out < end) {
    store<u32>(out, <u32>bits);
    out += 4;
  }
  if (out < end) memory.fill(out, 0, end - out);
}

/** Writes the number at `src` (`limbs` limbs) as exactly `len` big-endian bytes at `dst`. */
export function limbsToBytesBE(dst: usize, len: i32, src: usize, limbs: i32): void {
  let bits: u64 = 0;
  let count = 0;
  let limb = 0;
  for (let p = dst + <usize>len; p > dst; ) {
    if (count < 8) {
      if (limb < limbs) bits |= <u64>load<u32>(src + (<usize>limb << 2)) << count;
      limb++;
      count += LIMB_BITS;
    }
    p--;
    store<u8>(p, <u8>bits);
    bits >>>= 8;
    count -= 8;
  }
}

/** Returns -1, 0 or 1 as a <, =, > b. */
export function compareLimbs(a: usize, b: usize, limbs: i32): i32 {
  for (let offset = <usize>limbs << 2; offset > 0; ) {
    offset -= 4;
    const x = load<u32>(a + offset);
    const y = load<u32>(b + offset);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** OR of the XOR of every limb pair: zero exactly when a == b. Always reads every limb. */
export function differenceLimbs(a: usize, b: usize, limbs: i32): u32 {
  let diff: u32 = 0;
  for (let offset: usize = 0, end = <usize>limbs << 2; offset < end; offset += 4) {
    diff |= load<u32>(a + offset) ^ load<u32>(b + offset);
  }
  return diff;
}

/** r = a - b mod 2^(27 * limbs) (r may alias a or b). */
function subtractLimbs(r: usize, a: usize, b: usize, limbs: i32): void {
  let borrow: u32 = 0;
  for (let offset: usize = 0, end = <usize>limbs << 2; offset < end; offset += 4) {
    const d = load<u32>(a + offset) - load<u32>(b + offset) - borrow; // wraps when negative
    store<u32>(r + offset, d & LIMB_MASK);
    borrow = d >>> 31;
  }
}

/** -n0^-1 mod 2^27 for odd n0: the Montgomery constant of a modulus whose lowest limb is n0. */
export function montgomeryN0Inv(n0: u32): u32 {
  // Newton's iteration doubles the correct low bits each step; x = n0 is right mod 2^3 for odd n0.
  let x = n0;
  for (let i = 0; i < 4; i++) x *= 2 - n0 * x; // 3 -> 6 -> 12 -> 24 -> 48 bits (mod 2^32)
  return (0 - x) & LIMB_MASK;
}

/**
 * acc + sum of a[t] * b[-t] for t in 0..count-1: one column of a product, with `a` walking up from
 * pa and `b` walking down from pb. Unrolled by four; the pointer q trails b by three limbs so that
 * every load offset is non-negative.
 */
// @ts-ignore: decorator
@inline function column(acc: u64, pa: usize, pb: usize, count: i32): u64 {
  let q = pb - 12;
  for (const end = pa + (<usize>(count & ~3) << 2); pa < end; pa += 16, q -= 16) {
    acc += <u64>load<u32>(pa) * <u64>load<u32>(q, 12)
      + <u64>load<u32>(pa, 4) * <u64>load<u32>(q, 8)
      + <u64>load<u32>(pa, 8) * <u64>load<u32>(q, 4)
      + <u64>load<u32>(pa, 12) * <u64>load<u32>(q);
  }
  for (let rest = count & 3; rest > 0; rest--, pa += 4, q -= 4) {
    acc += <u64>load<u32>(pa) * <u64>load<u32>(q, 12);
  }
  return acc;
}

/**
 * Finishes column i < limbs of a Montgomery product: adds the m * n terms, picks m[i] so the
 * column's low 27 bits cancel, and returns the carry into column i + 1.
 */
// @ts-ignore: decorator
@inline function reduceLowColumn(acc: u64, i: i32, n: usize, n0inv: u32): u64 {
  const offset = <usize>i << 2;
  acc = column(acc, M, n + offset, i); // m[0..i-1] * n[i..1]
  const m = (<u32>acc * n0inv) & LIMB_MASK;
  store<u32>(M + offset, m);
  return (acc + <u64>m * <u64>load<u32>(n)) >>> LIMB_BITS;
}

/** Adds the m * n terms of column i >= limbs, stores its limb of the result, returns the carry. */
// @ts-ignore: decorator
@inline function reduceHighColumn(acc: u64, i: i32, n: usize, r: usize, limbs: i32): u64 {
  const first = i - limbs + 1;
  acc = column(acc, M + (<usize>first << 2), n + (<usize>(limbs - 1) << 2), limbs - first);
  store<u32>(r + (<usize>(i - limbs) << 2), <u32>acc & LIMB_MASK);
  return acc >>> LIMB_BITS;
}

/** Brings r + top * R (which is < 2n) below n. */
// @ts-ignore: decorator
@inline function finalSubtract(r: usize, top: u64, n: usize, limbs: i32): void {
  if (top != 0 || compareLimbs(r, n, limbs) >= 0) subtractLimbs(r, r, n, limbs);
}

/*
 * Montgomery multiplication by finely integrated product scanning: result column i sums every
 * a[j] * b[i-j] and m[j] * n[i-j]; the low columns choose m so they vanish (dividing by
 * R = 2^(27 * limbs)), the high columns are the result. Column i only writes r[i - limbs], which no
 * later column reads from a or b, so r may alias either operand.
 */

/** r = a * b / R mod n, for a, b < n and odd n. r may alias a and/or b. */
export function montMul(r: usize, a: usize, b: usize, n: usize, n0inv: u32, limbs: i32): void {
  let acc: u64 = 0;
  for (let i = 0; i < limbs; i++) {
    acc = column(acc, a, b + (<usize>i << 2), i + 1);
    acc = reduceLowColumn(acc, i, n, n0inv);
  }
  for (let i = limbs, last = 2 * limbs - 1; i < last; i++) {
    const first = i - limbs + 1;
    acc = column(acc, a + (<usize>first << 2), b + (<usize>(limbs - 1) << 2), limbs - first);
    acc = reduceHighColumn(acc, i, n, r, limbs);
  }
  store<u32>(r + (<usize>(limbs - 1) << 2), <u32>acc & LIMB_MASK);
  finalSubtract(r, acc >>> LIMB_BITS, n, limbs);
}

/**
 * r = a * a / R mod n, for a < n and odd n (r may alias a). Same as montMul(r, a, a, ...) with
 * each symmetric pair a[j] * a[i-j] computed once and doubled.
 */
export function montSquare(r: usize, a: usize, n: usize, n0inv: u32, limbs: i32): void {
  let acc: u64 = 0;
  for (let i = 0; i < limbs; i++) {
    acc += column(0, a, a + (<usize>i << 2), (i + 1) >> 1) << 1; // pairs j < i - j
    if ((i & 1) == 0) {
      const middle = <u64>load<u32>(a + (<usize>i << 1)); // a[i / 2]
      acc += middle * middle;
    }
    acc = reduceLowColumn(acc, i, n, n0inv);
  }
  for (let i = limbs, last = 2 * limbs - 1; i < last; i++) {
    const first = i - limbs + 1;
    const pairs = ((i + 1) >> 1) - first; // j in first..(i-1)/2
    acc += column(0, a + (<usize>first << 2), a + (<usize>(limbs - 1) << 2), pairs) << 1;
    if ((i & 1) == 0) {
      const middle = <u64>load<u32>(a + (<usize>i << 1));
      acc += middle * middle;
    }
    acc = reduceHighColumn(acc, i, n, r, limbs);
  }
  store<u32>(r + (<usize>(limbs - 1) << 2), <u32>acc & LIMB_MASK);
  finalSubtract(r, acc >>> LIMB_BITS, n, limbs);
}

/** x = 2x mod n, for x < n. */
function doubleMod(x: usize, n: usize, limbs: i32): void {
  let carry: u32 = 0;
  for (let offset: usize = 0, end = <usize>limbs << 2; offset < end; offset += 4) {
    const v = (load<u32>(x + offset) << 1) | carry;
    store<u32>(x + offset, v & LIMB_MASK);
    carry = v >>> LIMB_BITS;
  }
  finalSubtract(x, carry, n, limbs); // 2x < 2n
}

/**
 * Writes R^2 mod n (R = 2^(27 * limbs)) to `dst`: the factor that moves a number into Montgomery
 * form. `bits` is n's exact bit length (its top bit is set); n is odd.
 *
 * R^2 mod n is the Montgomery form of R = 2^(27 * limbs). Doubling 2^(bits-1) (already below n) a
 * few dozen times gives 2R mod n, the Montgomery form of 2; square-and-multiply over the bits of
 * 27 * limbs then raises it to 2^(27 * limbs) in at most 13 squarings and 13 multiplications.
 */
export function montgomeryRSquared(dst: usize, n: usize, n0inv: u32, limbs: i32, bits: i32): void {
  const rBits = limbs * LIMB_BITS;
  const two = POWER_BASE;
  memory.fill(two, 0, <usize>limbs << 2);
  const top = bits - 1;
  store<u32>(two + (<usize>(top / LIMB_BITS) << 2), <u32>1 << <u32>(top % LIMB_BITS));
  for (let k = top; k <= rBits; k++) doubleMod(two, n, limbs); // 2^(bits-1) -> 2^(rBits+1) mod n

  memory.copy(dst, two, <usize>limbs << 2); // the exponent's top bit
  for (let bit = 30 - <i32>clz<u32>(<u32>rBits); bit >= 0; bit--) {
    montSquare(dst, dst, n, n0inv, limbs);
    if (((rBits >>> bit) & 1) != 0) montMul(dst, dst, two, n, n0inv, limbs);
  }
}
