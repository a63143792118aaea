// Arithmetic modulo the P-256 group order n, just what ECDSA verification needs:
// range checks and the two quotients u1 = e / s and u2 = r / s (mod n), computed with one
// division (w = 2^256 / s) and two Montgomery multiplications (e w 2^-256, r w 2^-256).
//
// Scalars use the field's layout: 8 little-endian u32 limbs at a pointer. Verification only
// handles public data, so variable-time algorithms are fine here.

import { cmp256 } from './p256_field';

/** n as little-endian u32 limbs. */
export const N_LIMBS: usize = memory.data<u32>([
  0xfc632551, 0xf3b9cac2, 0xa7179e84, 0xbce6faad, 0xffffffff, 0xffffffff, 0x00000000, 0xffffffff,
]);

/** -n^-1 mod 2^32: Montgomery's constant for n. */
// @ts-ignore: decorator
@inline const N0_INV: u32 = 0xee00bc4f;

/** 2^256 mod n (= 2^256 - n), the Montgomery form of 1. */
const R_MOD_N: usize = memory.data<u32>([
  0x039cdaaf, 0x0c46353d, 0x58e8617b, 0x43190552, 0x00000000, 0x00000000, 0xffffffff, 0x00000000,
]);

// Working registers of the binary extended Euclid in scDivN.
const regU: usize = memory.data(32);
const regV: usize = memory.data(32);
const regX1: usize = memory.data(32);
const regX2: usize = memory.data(32);

export function scIsZero(a: usize): bool {
  return (load<u64>(a) | load<u64>(a, 8) | load<u64>(a, 16) | load<u64>(a, 24)) == 0;
}

/** True if 0 < a < n. */
export function scIsInRange(a: usize): bool {
  return !scIsZero(a) && cmp256(a, N_LIMBS) < 0;
}

/** out = a + b over 256 bits; returns the carry out (0 or 1). */
function add256(out: usize, a: usize, b: usize): u32 {
  let c: u64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <u64>load<u32>(a + i) + load<u32>(b + i);
    store<u32>(out + i, <u32>c);
    c >>= 32;
  }
  return <u32>c;
}

/** out = a - b over 256 bits; returns the borrow out (0 or 1). */
function sub256(out: usize, a: usize, b: usize): u32 {
  let t: i64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    t += <i64>load<u32>(a + i) - <i64>load<u32>(b + i);
    store<u32>(out + i, <u32>t);
    t >>= 32;
  }
  return <u32>(-t);
}

/** a = a >> shift, for 0 < shift < 32. */
function shiftRight(a: usize, shift: u32): void {
  let low = load<u32>(a);
  for (let i: usize = 0; i < 28; i += 4) {
    const high = load<u32>(a + i + 4);
    store<u32>(a + i, (low >>> shift) | (high << (32 - shift)));
    low = high;
  }
  store<u32>(a + 28, low >>> shift);
}

/** a = a * 2^-k mod n for a < n, 0 < k < 32. */
function halveModN(a: usize, k: u32): void {
  // Add the multiple m n (m < 2^k) that clears the low k bits, then shift: the result
  // (a + m n) / 2^k is below (n + (2^k - 1) n) / 2^k = n.
  const a0: u32 = load<u32>(a);
  const m = <u64>((a0 * N0_INV) & ((1 << k) - 1));
  let c: u64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <u64>load<u32>(a + i) + m * load<u32>(N_LIMBS + i);
    store<u32>(a + i, <u32>c);
    c >>= 32;
  }
  // c (the bits above 2^256) is below 2^k, so the shift only needs its lowest bits.
  let low = load<u32>(a);
  for (let i: usize = 0; i < 28; i += 4) {
    const high = load<u32>(a + i + 4);
    store<u32>(a + i, (low >>> k) | (high << (32 - k)));
    low = high;
  }
  store<u32>(a + 28, (low >>> k) | (<u32>c << (32 - k)));
}

/** out = a - b mod n for a, b < n. */
function subModN(out: usize, a: usize, b: usize): void {
  if (sub256(out, a, b)) add256(out, out, N_LIMBS);
}

function isOne(a: usize): bool {
  return load<u64>(a) == 1 && (load<u64>(a, 8) | load<u64>(a, 16) | load<u64>(a, 24)) == 0;
}

/**
 * Strips the trailing zero bits of the nonzero u (shifting it right) and divides x by the
 * same power of two mod n.
 */
function stripTwos(u: usize, x: usize): void {
  while (true) {
    const low = load<u32>(u);
    if (low & 1) return;
    if (low == 0 && scIsZero(u)) return; // unreachable for coprime inputs; never spin
    // At most 31 bits per round so shiftRight's shift stays in (0, 32); a zero low limb
    // (u is nonzero, so some higher limb is not) takes ceil(32/31) rounds.
    const k: u32 = low == 0 ? 31 : <u32>ctz(low);
    shiftRight(u, k);
    halveModN(x, k);
  }
}

/**
 * out = num / den mod n by the binary extended Euclidean algorithm (Hankerson, Menezes,
 * Vanstone, "Guide to ECC", Alg. 2.22, started from x1 = num instead of 1).
 * Requires num < n and 0 < den < n; since n is prime, gcd(den, n) = 1 and the loop ends.
 * A den outside that range (excluded by callers) yields 0 instead of looping forever.
 */
export function scDivN(out: usize, num: usize, den: usize): void {
  if (!scIsInRange(den)) {
    memory.fill(out, 0, 32);
    return;
  }
  // Invariants: x1 * den = u * num and x2 * den = v * num (mod n); u, v > 0; gcd(u, v) = 1.
  memory.copy(regU, den, 32);
  memory.copy(regV, N_LIMBS, 32);
  memory.copy(regX1, num, 32);
  memory.fill(regX2, 0, 32);
  while (!isOne(regU) && !isOne(regV)) {
    stripTwos(regU, regX1);
    stripTwos(regV, regX2);
    if (cmp256(regU, regV) >= 0) {
      sub256(regU, regU, regV);
      subModN(regX1, regX1, regX2);
    } else {
      sub256(regV, regV, regU);
      subModN(regX2, regX2, regX1);
    }
  }
  memory.copy(out, isOne(regU) ? regX1 : regX2, 32);
}

/** out = a b 2^-256 mod n (Montgomery product, CIOS) for a < 2^256 and b < n. */
export function scMontMul(out: usize, a: usize, b: usize): void {
  // t (9 limbs) accumulates a b_i and is divided by 2^32 after each row by adding
  // the multiple of n that zeroes its low limb. t stays below 2n throughout.
  const t = montT;
  memory.fill(t, 0, 36);
  for (let i: usize = 0; i < 32; i += 4) {
    const bi = <u64>load<u32>(b + i);
    let c: u64 = 0;
    for (let j: usize = 0; j < 32; j += 4) {
      c += <u64>load<u32>(t + j) + <u64>load<u32>(a + j) * bi;
      store<u32>(t + j, <u32>c);
      c >>= 32;
    }
    c += <u64>load<u32>(t, 32);
    store<u32>(t, <u32>c, 32);
    const t9 = c >>> 32;
    // The u32 local keeps the product in 32-bit arithmetic (a load in a u64 context would
    // widen it).
    const t0: u32 = load<u32>(t);
    const m = <u64>(t0 * N0_INV);
    c = (<u64>t0 + m * <u64>load<u32>(N_LIMBS)) >>> 32;
    for (let j: usize = 4; j < 32; j += 4) {
      c += <u64>load<u32>(t + j) + m * <u64>load<u32>(N_LIMBS + j);
      store<u32>(t + j - 4, <u32>c);
      c >>= 32;
    }
    c += <u64>load<u32>(t, 32);
    store<u32>(t, <u32>c, 28);
    store<u32>(t, <u32>((c >>> 32) + t9), 32);
  }
  // t < 2n: one conditional subtraction makes it canonical.
  if (load<u32>(t, 32) != 0 || cmp256(t, N_LIMBS) >= 0) sub256(t, t, N_LIMBS);
  memory.copy(out, t, 32);
}

// Scratch for scMontMul and scVerifyScalars.
const montT: usize = memory.data(36);
const wMont: usize = memory.data(32);

/**
 * u1 = e / s and u2 = r / s mod n, for any 256-bit e (a digest may exceed n), r < n and
 * 0 < s < n: one division gives w = 2^256 / s, and each Montgomery product x w 2^-256 is then
 * x / s, fully reduced.
 */
export function scVerifyScalars(u1: usize, u2: usize, e: usize, r: usize, s: usize): void {
  scDivN(wMont, R_MOD_N, s);
  scMontMul(u1, e, wMont);
  scMontMul(u2, r, wMont);
}
