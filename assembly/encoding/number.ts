// Decimal text -> the nearest f64 (IEEE round-half-even), for number tokens the JSON parser has
// already checked against the RFC 8259 grammar.
//
// Accuracy: correctly rounded for every input. Two paths:
//  - fast path (Clinger 1990): at most 19 significant digits whose value is <= 2^53 and a
//    decimal exponent the f64 powers of ten 1e0..1e22 cover. One exactly-representable operand
//    times/divided by another rounds once, so the result is exact-nearest. Covers integers up to
//    2^53 and typical claims (1700000000, 0.1, 1.5e3, 1e-7).
//  - slow path (the "simple decimal conversion" Go's strconv uses as its exact fallback): the
//    significant digits in a big-decimal buffer shifted by powers of two until the binary
//    mantissa can be read off and rounded. Exact up to 800 significant digits; beyond that a
//    sticky "truncated" flag breaks ties upward, which is still exact because an f64 halfway
//    point never needs more than 767 significant digits.
// Cost of the slow path is bounded by the 800-digit buffer and the |exponent| <= ~330 window
// (a few hundred thousand simple operations at worst); larger exponents short-circuit to 0/Inf.

// @ts-ignore: decorator
@lazy const POW10 = memory.data<f64>([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]);

// Bits to shift by for a decimal point position of 0..8 (2^n stays below 10^dp); 27 beyond.
// @ts-ignore: decorator
@lazy const POWTAB = memory.data<u8>([1, 3, 6, 9, 13, 16, 19, 23, 26]);

// @ts-ignore: decorator
@inline const MAX_DIGITS: i32 = 800;
// Left shifts by at most 60 bits add at most 19 digits; the scratch holds nd + those.
// @ts-ignore: decorator
@inline const SCRATCH_SIZE: i32 = 832;
// @ts-ignore: decorator
@inline const MAX_SHIFT: i32 = 60; // 9 << 60 plus a carry still fits in u64

// Big-decimal state for the slow path: value = 0.d[0]d[1]...d[nd-1] * 10^dp (digits stored as
// 0..9). Module-level scratch: one conversion at a time, no allocation per number.
// @ts-ignore: decorator
@lazy const DIGITS = memory.data(MAX_DIGITS);
// @ts-ignore: decorator
@lazy const SCRATCH = memory.data(SCRATCH_SIZE);
let nd: i32 = 0;
let dp: i32 = 0;
let trunc: bool = false;

/**
 * Converts the `len` bytes at `ptr`, which must match `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
 * to the nearest f64. Magnitudes too large give +/-Infinity (the caller rejects them);
 * too small give +/-0.
 */
export function jsonNumberToF64Unsafe(ptr: usize, len: i32): f64 {
  let p = ptr;
  let end = ptr + <usize>len;
  let neg = false;
  if (p < end && load<u8>(p) == 0x2D) { neg = true; p++; }

  // Significant digits: the first 19 go into a u64 (10^19 < 2^64); later non-zero ones only set
  // `truncated`. `point` is where the decimal point sits relative to the significant digits.
  let digitsStart = p;
  let mantissa: u64 = 0;
  let significant: i64 = 0;
  let inMantissa: i32 = 0;
  let point: i64 = 0;
  let sawDot = false;
  let truncated = false;
  while (p < end) {
    let c = <u32>load<u8>(p);
    if (c == 0x2E) { sawDot = true; point = significant; p++; continue; }
    let d = c - 0x30;
    if (d > 9) break;
    p++;
    if (d == 0 && significant == 0) { point--; continue; } // leading zero
    significant++;
    if (inMantissa < 19) {
      mantissa = mantissa * 10 + <u64>d;
      inMantissa++;
    } else if (d != 0) {
      truncated = true;
    }
  }
  let digitsEnd = p;
  if (!sawDot) point = significant;

  let exp10: i64 = 0;
  if (p < end) { // 'e' / 'E'
    p++;
    let expNeg = false;
    if (p < end) {
      let s = load<u8>(p);
      if (s == 0x2D) { expNeg = true; p++; } else if (s == 0x2B) { p++; }
    }
    while (p < end) {
      let d = <u32>load<u8>(p) - 0x30;
      if (d > 9) break;
      // Saturate: anything beyond the clamp is far outside f64 range either way.
      if (exp10 < 1000000) exp10 = exp10 * 10 + <i64>d;
      p++;
    }
    if (expNeg) exp10 = -exp10;
  }

  if (mantissa == 0) return neg ? -0.0 : 0.0; // all digits zero (any exponent)

  // Fast path (same bounds as Go's atof64exact).
  if (!truncated && mantissa <= (<u64>1 << 53)) {
    let f = <f64>mantissa; // exact: mantissa <= 2^53
    if (neg) f = -f;
    let e = point + exp10 - <i64>inMantissa;
    if (e == 0) return f;
    if (e > 0 && e <= 15 + 22) {
      // "1234e30": move some zeros into the integer while it stays exact (<= 1e15 < 2^53).
      if (e > 22) {
        f *= load<f64>(POW10 + (<usize>(e - 22) << 3));
        e = 22;
      }
      if (f <= 1e15 && f >= -1e15) return f * load<f64>(POW10 + (<usize>e << 3));
    } else if (e < 0 && e >= -22) {
      return f / load<f64>(POW10 + (<usize>(-e) << 3));
    }
  }
  return slowPath(digitsStart, digitsEnd, point + exp10, neg);
}

function slowPath(p: usize, end: usize, point: i64, neg: bool): f64 {
  // 0.1e311 and up cannot be finite; below 0.1e-330 rounds to zero (min subnormal ~4.9e-324).
  if (point > 310) return neg ? -Infinity : Infinity;
  if (point < -330) return neg ? -0.0 : 0.0;
  nd = 0;
  trunc = false;
  dp = <i32>point;
  let seen = false;
  for (; p < end; p++) {
    let d = <u32>load<u8>(p) - 0x30;
    if (d > 9) continue; // the '.'
    if (d == 0 && !seen) continue; // leading zero (already reflected in point)
    seen = true;
    if (nd < MAX_DIGITS) {
      store<u8>(DIGITS + <usize>nd, <u8>d);
      nd++;
    } else if (d != 0) {
      trunc = true;
    }
  }
  trim();
  if (nd == 0) return neg ? -0.0 : 0.0;

  // Scale by powers of two into [0.5, 1): value = 0.DIGITS * 10^dp * 2^binExp.
  let binExp: i32 = 0;
  while (dp > 0) {
    let n: i32 = dp >= 9 ? 27 : <i32>load<u8>(POWTAB + <usize>dp);
    shift(-n);
    binExp += n;
  }
  while (nd > 0 && (dp < 0 || (dp == 0 && load<u8>(DIGITS) < 5))) {
    let n: i32 = -dp >= 9 ? 27 : <i32>load<u8>(POWTAB + <usize>(-dp));
    shift(n);
    binExp -= n;
  }
  // [0.5, 1) -> the IEEE form [1, 2).
  binExp--;

  const BIAS: i32 = -1023;
  if (binExp < BIAS + 1) {
    // Subnormal: fix the exponent at the minimum and let the mantissa lose bits.
    let n = BIAS + 1 - binExp;
    shift(-n);
    binExp += n;
  }
  if (binExp - BIAS >= 0x7FF) return neg ? -Infinity : Infinity;

  // Read off 53 bits (implicit one + 52), rounded half-to-even.
  shift(53);
  let mant = roundedInteger();
  if (mant == (<u64>2 << 52)) { // rounding carried into a new bit
    mant >>= 1;
    binExp++;
    if (binExp - BIAS >= 0x7FF) return neg ? -Infinity : Infinity;
  }
  if ((mant & (<u64>1 << 52)) == 0) binExp = BIAS; // subnormal (or zero) encoding
  let bits = (mant & ((<u64>1 << 52) - 1)) | (<u64>((binExp - BIAS) & 0x7FF) << 52);
  if (neg) bits |= <u64>1 << 63;
  return reinterpret<f64>(bits);
}

function trim(): void {
  while (nd > 0 && load<u8>(DIGITS + <usize>(nd - 1)) == 0) nd--;
  if (nd == 0) dp = 0;
}

/** Multiplies (k > 0) or divides (k < 0) the big decimal by 2^|k|. */
function shift(k: i32): void {
  if (nd == 0) return;
  if (k > 0) {
    while (k > MAX_SHIFT) { leftShift(MAX_SHIFT); k -= MAX_SHIFT; }
    leftShift(k);
  } else if (k < 0) {
    while (k < -MAX_SHIFT) { rightShift(MAX_SHIFT); k += MAX_SHIFT; }
    rightShift(-k);
  }
}

/** value *= 2^k, k <= 60. Digits are produced least significant first into SCRATCH. */
function leftShift(k: i32): void {
  let n: u64 = 0;
  let w = SCRATCH + <usize>SCRATCH_SIZE;
  for (let r = nd - 1; r >= 0; r--) {
    n += <u64>load<u8>(DIGITS + <usize>r) << <u64>k;
    let quo = n / 10;
    w--;
    store<u8>(w, <u8>(n - quo * 10));
    n = quo;
  }
  while (n > 0) {
    let quo = n / 10;
    w--;
    store<u8>(w, <u8>(n - quo * 10));
    n = quo;
  }
  let produced = <i32>(SCRATCH + <usize>SCRATCH_SIZE - w);
  let keep = produced < MAX_DIGITS ? produced : MAX_DIGITS;
  memory.copy(DIGITS, w, <usize>keep);
  for (let i = keep; i < produced; i++) {
    if (load<u8>(w + <usize>i) != 0) { trunc = true; break; }
  }
  dp += produced - nd;
  nd = keep;
  trim();
}

/** value /= 2^k, k <= 60 (a port of Go strconv's rightShift). */
function rightShift(k: i32): void {
  let r: i32 = 0;
  let w: i32 = 0;
  let n: u64 = 0;
  let sk = <u64>k;
  // Pick up enough leading digits to produce the first output digit.
  while ((n >> sk) == 0) {
    if (r >= nd) {
      if (n == 0) { nd = 0; dp = 0; return; }
      while ((n >> sk) == 0) { n *= 10; r++; }
      break;
    }
    n = n * 10 + <u64>load<u8>(DIGITS + <usize>r);
    r++;
  }
  dp -= r - 1;
  let mask: u64 = (<u64>1 << sk) - 1;
  // One digit in, one digit out; w < r throughout, so this never overwrites unread digits.
  for (; r < nd; r++) {
    let c = <u64>load<u8>(DIGITS + <usize>r);
    let dig = n >> sk;
    n &= mask;
    store<u8>(DIGITS + <usize>w, <u8>dig);
    w++;
    n = n * 10 + c;
  }
  // Remaining digits of the fraction.
  while (n > 0) {
    let dig = n >> sk;
    n &= mask;
    if (w < MAX_DIGITS) {
      store<u8>(DIGITS + <usize>w, <u8>dig);
      w++;
    } else if (dig > 0) {
      trunc = true;
    }
    n *= 10;
  }
  nd = w;
  trim();
}

/** The integer part of the big decimal, rounded half-to-even on the fraction. */
function roundedInteger(): u64 {
  if (dp > 20) return u64.MAX_VALUE;
  let n: u64 = 0;
  let i: i32 = 0;
  for (; i < dp && i < nd; i++) n = n * 10 + <u64>load<u8>(DIGITS + <usize>i);
  for (; i < dp; i++) n *= 10;
  if (shouldRoundUp(dp)) n++;
  return n;
}

function shouldRoundUp(at: i32): bool {
  if (at < 0 || at >= nd) return false;
  let digit = load<u8>(DIGITS + <usize>at);
  if (digit == 5 && at + 1 == nd) {
    // Exactly half, unless digits were dropped (then slightly above half).
    if (trunc) return true;
    return at > 0 && (load<u8>(DIGITS + <usize>(at - 1)) & 1) == 1;
  }
  return digit >= 5;
}
