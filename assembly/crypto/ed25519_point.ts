// Points of the twisted Edwards curve -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19) (edwards25519),
// after ref10. Representations, each a run of field elements at a pointer:
//   P2      (X : Y : Z)                 x = X/Z, y = Y/Z
//   P3      (X : Y : Z : T)             extended coordinates, also T = XY/Z
//   P1P1    ((X : Z), (Y : T))          x = X/Z, y = Y/T: the raw output of add/double
//   CACHED  (Y+X, Y-X, Z, 2dT)          a P3 prepared as the right operand of an addition
//   PRECOMP (y+x, y-x, 2dxy)            an affine (Z = 1) point prepared the same way
// Formulas are ref10's (Hisil-Wong-Carter-Dawson), in ref10's order, so that the limb bounds of
// ed25519_field.ts hold. Everything is variable time: only public values are processed.
import {
  FE_BYTES, feAdd, feSub, feNeg, feMul, feSq, feSq2, feCopy, feSetSmall, feFromBytes, feToBytes,
  feInvert, fePow22523, feIsNegative, feIsNonZero, isCanonicalEncoding,
} from './ed25519_field';
import { WNAF_DIGITS } from './ed25519_scalar';

export const P2_BYTES: usize = 3 * FE_BYTES;
export const P3_BYTES: usize = 4 * FE_BYTES;
export const P1P1_BYTES: usize = 4 * FE_BYTES;
export const CACHED_BYTES: usize = 4 * FE_BYTES;
export const PRECOMP_BYTES: usize = 3 * FE_BYTES;

// Field offsets inside a point.
const X: usize = 0;
const Y: usize = FE_BYTES;
const Z: usize = 2 * FE_BYTES;
const T: usize = 3 * FE_BYTES;

/** d = -121665/121666, 2d and sqrt(-1) mod p, as reduced limbs. */
// @ts-ignore: decorator
@lazy const D: usize = memory.data<i32>([
  56195235, 13857412, 51736253, 6949390, 114729, 24766616, 60832955, 30306712, 48412415, 21499315,
]);
// @ts-ignore: decorator
@lazy const D2: usize = memory.data<i32>([
  45281625, 27714825, 36363642, 13898781, 229458, 15978800, 54557047, 27058993, 29715967, 9444199,
]);
// @ts-ignore: decorator
@lazy const SQRTM1: usize = memory.data<i32>([
  34513072, 25610706, 9377949, 3500415, 12389472, 33281959, 41962654, 31548777, 326685, 11406482,
]);

// Scratch (the guest is single-threaded and none of these functions re-enter each other's use).
// @ts-ignore: decorator
@lazy const fa: usize = memory.data(<i32>FE_BYTES, 8);
// @ts-ignore: decorator
@lazy const fb: usize = memory.data(<i32>FE_BYTES, 8);
// @ts-ignore: decorator
@lazy const fc: usize = memory.data(<i32>FE_BYTES, 8);
// @ts-ignore: decorator
@lazy const fd: usize = memory.data(<i32>FE_BYTES, 8);

/**
 * Decodes a 32-byte point encoding (RFC 8032 5.1.3) into P3. Returns false, leaving `out`
 * unspecified, when y >= p (non-canonical), when x^2 = (y^2 - 1)/(d y^2 + 1) has no root, or when
 * x = 0 but the sign bit is set.
 */
export function geDecode(out: usize, s: usize): bool {
  if (!isCanonicalEncoding(s)) return false;
  const u = fa, v = fb, v3 = fc, check = fd;
  feFromBytes(out + Y, s);
  feSetSmall(out + Z, 1);
  feSq(u, out + Y);
  feMul(v, u, D);
  feSub(u, u, out + Z); //                  u = y^2 - 1
  feAdd(v, v, out + Z); //                  v = d y^2 + 1
  feSq(v3, v);
  feMul(v3, v3, v); //                      v^3
  feSq(out + X, v3);
  feMul(out + X, out + X, v);
  feMul(out + X, out + X, u); //            u v^7
  fePow22523(out + X, out + X); //          (u v^7)^((p - 5) / 8)
  feMul(out + X, out + X, v3);
  feMul(out + X, out + X, u); //            candidate x = u v^3 (u v^7)^((p - 5) / 8)
  feSq(check, out + X);
  feMul(check, check, v); //                v x^2, which is u or -u when a root exists
  feSub(check, check, u);
  if (feIsNonZero(check)) {
    feAdd(check, check, u);
    feAdd(check, check, u); //              v x^2 + u
    if (feIsNonZero(check)) return false;
    feMul(out + X, out + X, SQRTM1);
  }
  const sign = (load<u8>(s, 31) >> 7) != 0;
  if (sign && !feIsNonZero(out + X)) return false;
  if (feIsNegative(out + X) != sign) feNeg(out + X, out + X);
  feMul(out + T, out + X, out + Y);
  return true;
}

/** Writes the 32-byte encoding of a P2 point: y with x's sign in bit 255. */
export function geEncodeP2(s: usize, p: usize): void {
  const recip = fa, x = fb, y = fc;
  feInvert(recip, p + Z);
  feMul(x, p + X, recip);
  feMul(y, p + Y, recip);
  feToBytes(s, y);
  if (feIsNegative(x)) store<u8>(s, load<u8>(s, 31) | 0x80, 31);
}

/** out = -p for P3 (out may alias p). */
export function geNegP3(out: usize, p: usize): void {
  feNeg(out + X, p + X);
  feCopy(out + Y, p + Y);
  feCopy(out + Z, p + Z);
  feNeg(out + T, p + T);
}

export function geP3ToCached(out: usize, p: usize): void {
  feAdd(out, p + Y, p + X);
  feSub(out + FE_BYTES, p + Y, p + X);
  feCopy(out + 2 * FE_BYTES, p + Z);
  feMul(out + 3 * FE_BYTES, p + T, D2);
}

export function geP1P1ToP2(out: usize, p: usize): void {
  feMul(out + X, p + X, p + T);
  feMul(out + Y, p + Y, p + Z);
  feMul(out + Z, p + Z, p + T);
}

export function geP1P1ToP3(out: usize, p: usize): void {
  feMul(out + X, p + X, p + T);
  feMul(out + Y, p + Y, p + Z);
  feMul(out + Z, p + Z, p + T);
  feMul(out + T, p + X, p + Y);
}

/** r = 2p; r is P1P1, p is P2 (or the first three fields of a P3). r must not alias p. */
export function geP2Dbl(r: usize, p: usize): void {
  const t0 = fa;
  feSq(r + X, p + X);
  feSq(r + Z, p + Y);
  feSq2(r + T, p + Z);
  feAdd(r + Y, p + X, p + Y);
  feSq(t0, r + Y);
  feAdd(r + Y, r + Z, r + X);
  feSub(r + Z, r + Z, r + X);
  feSub(r + X, t0, r + Y);
  feSub(r + T, r + T, r + Z);
}

/** r = p + q; r is P1P1, p is P3, q is CACHED. r must not alias p. */
export function geAdd(r: usize, p: usize, q: usize): void {
  const t0 = fa;
  feAdd(r + X, p + Y, p + X);
  feSub(r + Y, p + Y, p + X);
  feMul(r + Z, r + X, q);
  feMul(r + Y, r + Y, q + FE_BYTES);
  feMul(r + T, q + 3 * FE_BYTES, p + T);
  feMul(r + X, p + Z, q + 2 * FE_BYTES);
  feAdd(t0, r + X, r + X);
  feSub(r + X, r + Z, r + Y);
  feAdd(r + Y, r + Z, r + Y);
  feAdd(r + Z, t0, r + T);
  feSub(r + T, t0, r + T);
}

/** r = p - q; r is P1P1, p is P3, q is CACHED. r must not alias p. */
export function geSub(r: usize, p: usize, q: usize): void {
  const t0 = fa;
  feAdd(r + X, p + Y, p + X);
  feSub(r + Y, p + Y, p + X);
  feMul(r + Z, r + X, q + FE_BYTES);
  feMul(r + Y, r + Y, q);
  feMul(r + T, q + 3 * FE_BYTES, p + T);
  feMul(r + X, p + Z, q + 2 * FE_BYTES);
  feAdd(t0, r + X, r + X);
  feSub(r + X, r + Z, r + Y);
  feAdd(r + Y, r + Z, r + Y);
  feSub(r + Z, t0, r + T);
  feAdd(r + T, t0, r + T);
}

/** r = p + q; r is P1P1, p is P3, q is PRECOMP. r must not alias p. */
export function geMadd(r: usize, p: usize, q: usize): void {
  const t0 = fa;
  feAdd(r + X, p + Y, p + X);
  feSub(r + Y, p + Y, p + X);
  feMul(r + Z, r + X, q);
  feMul(r + Y, r + Y, q + FE_BYTES);
  feMul(r + T, q + 2 * FE_BYTES, p + T);
  feAdd(t0, p + Z, p + Z);
  feSub(r + X, r + Z, r + Y);
  feAdd(r + Y, r + Z, r + Y);
  feAdd(r + Z, t0, r + T);
  feSub(r + T, t0, r + T);
}

/** r = p - q; r is P1P1, p is P3, q is PRECOMP. r must not alias p. */
export function geMsub(r: usize, p: usize, q: usize): void {
  const t0 = fa;
  feAdd(r + X, p + Y, p + X);
  feSub(r + Y, p + Y, p + X);
  feMul(r + Z, r + X, q + FE_BYTES);
  feMul(r + Y, r + Y, q);
  feMul(r + T, q + 2 * FE_BYTES, p + T);
  feAdd(t0, p + Z, p + Z);
  feSub(r + X, r + Z, r + Y);
  feAdd(r + Y, r + Z, r + Y);
  feSub(r + Z, t0, r + T);
  feAdd(r + T, t0, r + T);
}

// @ts-ignore: decorator
@lazy const s1: usize = memory.data(<i32>P1P1_BYTES, 8);
// @ts-ignore: decorator
@lazy const s3: usize = memory.data(<i32>P3_BYTES, 8);
// @ts-ignore: decorator
@lazy const s2: usize = memory.data(<i32>P2_BYTES, 8);

/** True when [8]p is the identity, i.e. p lies in the small (order <= 8) torsion subgroup. */
export function geIsSmallOrder(p: usize): bool {
  geP2Dbl(s1, p);
  geP1P1ToP2(s2, s1);
  geP2Dbl(s1, s2);
  geP1P1ToP2(s2, s1);
  geP2Dbl(s1, s2);
  geP1P1ToP2(s2, s1);
  // X = 0 means [8]p is (0, 1) or (0, -1); the latter has order 2, which would make p of order
  // 16, and the group (Z/8 x Z/L) has no such element. So X = 0 means [8]p is the identity.
  return !feIsNonZero(s2 + X);
}

/** Entries in a table of odd multiples for window width w: P, 3P, ..., (2^(w-1) - 1)P. */
// @ts-ignore: decorator
@inline export function oddMultipleCount(w: i32): i32 {
  return 1 << (w - 2);
}

// @ts-ignore: decorator
@lazy const twiceCached: usize = memory.data(<i32>CACHED_BYTES, 8);

/**
 * Fills `points` (count * P3_BYTES bytes) with the odd multiples P, 3P, 5P, ... of the P3 point p.
 * p may be `points` itself.
 */
export function geOddMultiplesP3(points: usize, p: usize, count: i32): void {
  memory.copy(points, p, P3_BYTES);
  if (count < 2) return;
  geP2Dbl(s1, p);
  geP1P1ToP3(s3, s1);
  geP3ToCached(twiceCached, s3);
  for (let i = 1; i < count; i++) {
    geAdd(s1, points + <usize>(i - 1) * P3_BYTES, twiceCached);
    geP1P1ToP3(points + <usize>i * P3_BYTES, s1);
  }
}

/** Window width for the base point; its table of 2^(w-2) affine odd multiples is built once. */
export const BASE_WINDOW: i32 = 8;
/** Window width for public keys (their tables live in the key objects, see ed25519.ts). */
export const KEY_WINDOW: i32 = 5;

/** Standard encoding of the base point B (y = 4/5, x even). */
// @ts-ignore: decorator
@lazy const BASE_ENCODING: usize = memory.data<u8>([
  0x58, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
  0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66,
]);

/** Reduces f fully (a round trip through its canonical encoding), keeping table limbs small. */
function feNormalize(f: usize): void {
  feToBytes(bytes32, f);
  feFromBytes(f, bytes32);
}

// @ts-ignore: decorator
@lazy const bytes32: usize = memory.data(32, 8);

/** The base point's PRECOMP table once built (0 before first use). Never freed. */
let baseTable: usize = 0;

/**
 * PRECOMP odd multiples B, 3B, ..., 127B of the base point, computed on first use (a few
 * milliseconds, once per instance): extended coordinates by repeated addition of 2B, then one
 * shared inversion (Montgomery's trick) to make them affine.
 */
function baseOddMultiples(): usize {
  if (baseTable != 0) return baseTable;
  const count = oddMultipleCount(BASE_WINDOW);
  // Unmanaged allocations: the GC neither moves nor frees them behind these raw pointers.
  const out = heap.alloc(<usize>count * PRECOMP_BYTES);
  const points = heap.alloc(<usize>count * P3_BYTES);
  const prefix = heap.alloc(<usize>count * FE_BYTES);
  geDecode(points, BASE_ENCODING); // a valid constant; the RFC 8032 vectors would fail otherwise
  geOddMultiplesP3(points, points, count);
  // prefix[i] = Z_0 * ... * Z_i
  feCopy(prefix, points + Z);
  for (let i = 1; i < count; i++) {
    feMul(prefix + <usize>i * FE_BYTES, prefix + <usize>(i - 1) * FE_BYTES, points + <usize>i * P3_BYTES + Z);
  }
  const inv = fa, zinv = fb, x = fc, y = fd;
  feInvert(inv, prefix + <usize>(count - 1) * FE_BYTES); // 1 / (Z_0 ... Z_(count-1))
  for (let i = count - 1; i >= 0; i--) {
    const point = points + <usize>i * P3_BYTES;
    if (i > 0) {
      feMul(zinv, inv, prefix + <usize>(i - 1) * FE_BYTES); // 1 / Z_i
      feMul(inv, inv, point + Z); //                            1 / (Z_0 ... Z_(i-1))
    } else {
      feCopy(zinv, inv);
    }
    feMul(x, point + X, zinv);
    feMul(y, point + Y, zinv);
    const entry = out + <usize>i * PRECOMP_BYTES;
    feAdd(entry, y, x);
    feSub(entry + FE_BYTES, y, x);
    feMul(entry + 2 * FE_BYTES, x, y);
    feMul(entry + 2 * FE_BYTES, entry + 2 * FE_BYTES, D2);
    feNormalize(entry);
    feNormalize(entry + FE_BYTES);
    feNormalize(entry + 2 * FE_BYTES);
  }
  heap.free(points);
  heap.free(prefix);
  baseTable = out;
  return out;
}

// @ts-ignore: decorator
@lazy const acc: usize = memory.data(<i32>P2_BYTES, 8);

/**
 * Writes the encoding of [a]P + [b]B to `out` (32 bytes), variable time (ref10
 * ge_double_scalarmult_vartime with a wider base window). `aDigits` and `bDigits` are
 * WNAF_DIGITS-digit signed windows (scWnaf) of widths KEY_WINDOW and BASE_WINDOW; `pTable` holds
 * the CACHED odd multiples of P for KEY_WINDOW.
 */
export function geDoubleScalarMultEncode(out: usize, aDigits: usize, pTable: usize, bDigits: usize): void {
  const bTable = baseOddMultiples();
  let i = WNAF_DIGITS - 1;
  while (i >= 0 && load<i8>(aDigits + <usize>i) == 0 && load<i8>(bDigits + <usize>i) == 0) i--;
  feSetSmall(acc + X, 0);
  feSetSmall(acc + Y, 1);
  feSetSmall(acc + Z, 1);
  for (; i >= 0; i--) {
    geP2Dbl(s1, acc);
    const ad = <i32>load<i8>(aDigits + <usize>i);
    if (ad > 0) {
      geP1P1ToP3(s3, s1);
      geAdd(s1, s3, pTable + <usize>(ad >> 1) * CACHED_BYTES);
    } else if (ad < 0) {
      geP1P1ToP3(s3, s1);
      geSub(s1, s3, pTable + <usize>((-ad) >> 1) * CACHED_BYTES);
    }
    const bd = <i32>load<i8>(bDigits + <usize>i);
    if (bd > 0) {
      geP1P1ToP3(s3, s1);
      geMadd(s1, s3, bTable + <usize>(bd >> 1) * PRECOMP_BYTES);
    } else if (bd < 0) {
      geP1P1ToP3(s3, s1);
      geMsub(s1, s3, bTable + <usize>((-bd) >> 1) * PRECOMP_BYTES);
    }
    geP1P1ToP2(acc, s1);
  }
  geEncodeP2(out, acc);
}
