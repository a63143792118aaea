// Fixed-size unsigned big integers for RSA public-key operations, as little-endian arrays of
// 32-bit limbs in linear memory, with Montgomery multiplication (products in 64-bit arithmetic:
// wasm has no 64x64->128 multiply, so 32-bit limbs are the widest that fit a u64 product + carries).
//
// Every function takes raw pointers and a limb count and trusts them (callers validate sizes).
// Little-endian u32 limbs in little-endian linear memory are simply the number's bytes in
// little-endian order, which is how byte strings are converted below.

/** Largest operand handled, in limbs (4096 bits). */
export const MAX_LIMBS: i32 = 128;

// Montgomery accumulator: limbs + 1 words (the running value stays below 2n < 2R, so one extra
// limb holding 0 or 1 is enough), plus one spare word.
const T: usize = memory.data((MAX_LIMBS + 2) * 4);

/**
 * Writes the big-endian byte string at `src` (`len` bytes, len <= limbs * 4) into `limbs` limbs
 * at `dst`, zero-extending.
 */
export function limbsFromBytesBE(dst: usize, limbs: i32, src: usize, len: i32): void {
  memory.fill(dst, 0, <usize>limbs << 2);
  const last = src + <usize>len - 1;
  for (let i: usize = 0; i < <usize>len; i++) {
    store<u8>(dst + i, load<u8>(last - i));
  }
}

/** Writes the low `len` bytes of the number at `src` big-endian to `dst` (len <= limbs * 4). */
export function limbsToBytesBE(dst: usize, len: i32, src: usize): void {
  const last = dst + <usize>len - 1;
  for (let i: usize = 0; i < <usize>len; i++) {
    store<u8>(last - i, load<u8>(src + i));
  }
}

/** Returns -1, 0 or 1 as a <, =, > b. */
export function compareLimbs(a: usize, b: usize, limbs: i32): i32 {
  for (let i = limbs - 1; i >= 0; i--) {
    const offset = <usize>i << 2;
    const x = load<u32>(a + offset);
    const y = load<u32>(b + offset);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** OR of the XOR of every limb pair: zero exactly when a == b. Runs over all limbs regardless. */
export function differenceLimbs(a: usize, b: usize, limbs: i32): u32 {
  let diff: u32 = 0;
  for (let offset: usize = 0, end = <usize>limbs << 2; offset < end; offset += 4) {
    diff |= load<u32>(a + offset) ^ load<u32>(b + offset);
  }
  return diff;
}

/** r = a - b over `limbs` limbs (r may alias a or b); returns the final borrow (0 or 1). */
function subtractLimbs(r: usize, a: usize, b: usize, limbs: i32): u32 {
  let borrow: u64 = 0;
  for (let offset: usize = 0, end = <usize>limbs << 2; offset < end; offset += 4) {
    const d = <u64>load<u32>(a + offset) - <u64>load<u32>(b + offset) - borrow;
    store<u32>(r + offset, <u32>d);
    borrow = d >>> 63; // wrapped below zero => top bit set
  }
  return <u32>borrow;
}

/** -n0^-1 mod 2^32 for odd n0: the Montgomery constant for a modulus whose lowest limb is n0. */
export function montgomeryN0Inv(n0: u32): u32 {
  // Newton's iteration doubles the correct low bits each step; x = n0 is right mod 2^3 for odd n0.
  let x = n0;
  for (let i = 0; i < 4; i++) x *= 2 - n0 * x; // 3 -> 6 -> 12 -> 24 -> 48 bits
  return 0 - x;
}

/**
 * r = a * b * R^-1 mod n, with R = 2^(32 * limbs), for a, b < n and odd n < R.
 * r may alias a and/or b (the product is built in the module scratch T). Result is < n.
 *
 * Coarsely integrated operand scanning (CIOS) with the multiply and reduce passes fused into one
 * loop: row i adds a * b[i] and m * n so that the low limb cancels, then shifts one limb down.
 */
export function montMul(r: usize, a: usize, b: usize, n: usize, n0inv: u32, limbs: i32): void {
  const size = <usize>limbs << 2;
  memory.fill(T, 0, size + 4);
  const a0 = <u64>load<u32>(a);
  const n0 = <u64>load<u32>(n);
  for (let bp = b, bEnd = b + size; bp < bEnd; bp += 4) {
    const bi = <u64>load<u32>(bp);
    // Column 0 decides m; its low 32 bits become zero and are shifted out.
    let t = <u64>load<u32>(T) + a0 * bi;
    let carryMul = t >>> 32;
    const m = <u64>(<u32>t * n0inv);
    let u = (t & 0xFFFFFFFF) + m * n0;
    let carryRed = u >>> 32;
    // Columns 1..limbs-1, each stored one limb lower. Bounds: every sum is at most
    // (2^32-1)^2 + 2 * (2^32-1) = 2^64 - 1, so nothing overflows a u64.
    for (let j: usize = 4; j < size; j += 4) {
      t = <u64>load<u32>(T + j) + <u64>load<u32>(a + j) * bi + carryMul;
      carryMul = t >>> 32;
      u = (t & 0xFFFFFFFF) + m * <u64>load<u32>(n + j) + carryRed;
      carryRed = u >>> 32;
      store<u32>(T + j - 4, <u32>u);
    }
    t = <u64>load<u32>(T + size) + carryMul;
    u = (t & 0xFFFFFFFF) + carryRed;
    store<u32>(T + size - 4, <u32>u);
    store<u32>(T + size, <u32>((t >>> 32) + (u >>> 32)));
  }
  // T < 2n: one conditional subtraction brings it below n.
  if (load<u32>(T + size) != 0 || compareLimbs(T, n, limbs) >= 0) {
    subtractLimbs(r, T, n, limbs);
  } else {
    memory.copy(r, T, size);
  }
}

/** x = 2x mod n, for x < n. */
function doubleMod(x: usize, n: usize, limbs: i32): void {
  let carry: u32 = 0;
  for (let offset: usize = 0, end = <usize>limbs << 2; offset < end; offset += 4) {
    const v = load<u32>(x + offset);
    store<u32>(x + offset, (v << 1) | carry);
    carry = v >>> 31;
  }
  // 2x < 2n, so subtracting n once is enough.
  if (carry != 0 || compareLimbs(x, n, limbs) >= 0) subtractLimbs(x, x, n, limbs);
}

/**
 * Writes R^2 mod n (R = 2^(32 * limbs)) to `dst`: the factor that moves a number into Montgomery
 * form. `bits` is n's exact bit length (top bit set), n odd.
 *
 * Instead of reducing 2^(64 * limbs) directly, write 32 * limbs = a * 2^j with a odd: build the
 * Montgomery form of 2^a (that is 2^a * R mod n) by doubling 2^(bits-1), which is already below n,
 * then square it j times in Montgomery form to reach the Montgomery form of 2^(32 * limbs) = R,
 * which is R * R mod n.
 */
export function montgomeryRSquared(dst: usize, n: usize, n0inv: u32, limbs: i32, bits: i32): void {
  const rBits = limbs << 5;
  const j = ctz<i32>(rBits);
  const a = rBits >>> j;
  memory.fill(dst, 0, <usize>limbs << 2);
  const top = bits - 1;
  store<u32>(dst + (<usize>(top >>> 5) << 2), <u32>1 << (top & 31));
  for (let k = top; k < a + rBits; k++) doubleMod(dst, n, limbs);
  for (let k = 0; k < j; k++) montMul(dst, dst, dst, n, n0inv, limbs);
}
