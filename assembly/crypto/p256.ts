// ECDSA P-256 signature verification (JWS ES256: raw r || s signatures over a SHA-256 digest).
//
// Verification computes R = u1 G + u2 Q with one interleaved (Straus) pass over both scalars.
// Each scalar is split into CHUNKS pieces of CHUNK_BITS bits, u = sum u_j 2^(CHUNK_BITS j),
// and every piece gets its own precomputed base 2^(CHUNK_BITS j) P, so the pass needs only
// CHUNK_BITS + 1 doublings instead of 256. The pieces are read from one width-w NAF of the
// whole scalar (a signed-digit form is valid however it is cut into pieces), and each base
// carries a table of its odd multiples P, 3P, ..., (2^(w-1) - 1) P in affine form, so every
// nonzero digit costs one mixed addition. Both kinds of table are built when a key is imported
// (fromJwk), off the per-request path: the tables for G once per module instance, the tables
// for Q per key.
//
// Everything here works on public values, so variable time is acceptable.

import {
  FIELD_BYTES, cmp256, fpAdd, fpEqual, fpIsCanonical, fpLoadBE, fpMul, fpSqr, fpSub,
} from './p256_field';
import { N_LIMBS, scIsInRange, scVerifyScalars } from './p256_scalar';
import {
  AFFINE_BYTES, JACOBIAN_BYTES, batchToAffine, pointAdd, pointAddMixed, pointDouble,
  pointFromAffine, pointIsInfinity, pointSetInfinity,
} from './p256_point';

const CHUNK_BITS: i32 = 32;
const CHUNKS: i32 = 8; // CHUNKS * CHUNK_BITS = 256
/** wNAF width for G: 2^(7-2) = 32 odd multiples per base (16 KiB of tables, built once). */
const WINDOW_G: i32 = 7;
/** wNAF width for Q: 2^(5-2) = 8 odd multiples per base (4 KiB per key). */
const WINDOW_Q: i32 = 5;
/** NAF digits of a scalar < 2^256 (the last carry can land one position higher). */
const DIGITS: i32 = 257;

const SIGNATURE_BYTES: i32 = 64;
const DIGEST_BYTES: i32 = 32;

/** Curve coefficient b, little-endian u32 limbs. */
const B_LIMBS: usize = memory.data<u32>([
  0x27d2604b, 0x3bce3c3e, 0xcc53b0f6, 0x651d06b0, 0x769886bc, 0xb3ebbd55, 0xaa3a93e7, 0x5ac635d8,
]);

/** The base point G (affine x then y), little-endian u32 limbs. */
const G_AFFINE: usize = memory.data<u32>([
  0xd898c296, 0xf4a13945, 0x2deb33a0, 0x77037d81, 0x63a440f2, 0xf8bce6e5, 0xe12c4247, 0x6b17d1f2,
  0x37bf51f5, 0xcbb64068, 0x6b315ece, 0x2bce3357, 0x7c0f9e16, 0x8ee7eb4a, 0xfe1a7f9b, 0x4fe342e2,
]);

/** p - n: an r below this can come from x(R) = r as well as from x(R) = r + n (< p). */
const P_MINUS_N: usize = memory.data<u32>([
  0x039cdaae, 0x0c46353d, 0x58e8617b, 0x43190553, 0x00000000, 0x00000000, 0x00000000, 0x00000000,
]);

function tableBytes(window: i32): i32 {
  return CHUNKS * (1 << (window - 2)) * <i32>AFFINE_BYTES;
}

const gTables: usize = memory.data(CHUNKS * (1 << (WINDOW_G - 2)) * 64);
let gTablesReady = false;

// Per-verification scratch.
const sigR: usize = memory.data(32);
const sigS: usize = memory.data(32);
const digestE: usize = memory.data(32);
const scalarU1: usize = memory.data(32);
const scalarU2: usize = memory.data(32);
const nafU1: usize = memory.data(DIGITS);
const nafU2: usize = memory.data(DIGITS);
const acc: usize = memory.data(96);
const zz: usize = memory.data(32);
const candidate: usize = memory.data(32);
const rhs: usize = memory.data(32);

// Scratch for key import: the point Q, and for buildTables the current base
// 2^(CHUNK_BITS j) A and its double.
const keyPoint: usize = memory.data(64);
const base: usize = memory.data(96);
const twice: usize = memory.data(96);

/**
 * A P-256 public key ready for verification: the point Q was checked to be on the curve and
 * its wNAF tables are precomputed.
 */
export class P256PublicKey {
  /** CHUNKS tables of odd multiples of 2^(CHUNK_BITS j) Q, affine. */
  readonly tables: StaticArray<u8>;

  /** Use fromJwk: the tables must come from a validated point. (AssemblyScript does not
   *  enforce `private` here, so verification also checks the table size before reading.) */
  private constructor(tables: StaticArray<u8>) {
    this.tables = tables;
  }

  /**
   * Imports the JWK coordinates x and y (32 big-endian bytes each). Returns null unless both
   * are exactly 32 bytes, both are below p, and (x, y) satisfies y^2 = x^3 - 3x + b. (The
   * point at infinity has no affine encoding, and (0, 0) is not on the curve.)
   */
  static fromJwk(x: Uint8Array, y: Uint8Array): P256PublicKey | null {
    if (x.length != <i32>FIELD_BYTES || y.length != <i32>FIELD_BYTES) return null;
    const q = keyPoint;
    fpLoadBE(q, x.dataStart);
    fpLoadBE(q + 32, y.dataStart);
    if (!fpIsCanonical(q) || !fpIsCanonical(q + 32)) return null;
    if (!isOnCurve(q)) return null;
    const tables = new StaticArray<u8>(tableBytes(WINDOW_Q));
    buildTables(changetype<usize>(tables), q, WINDOW_Q);
    ensureGTables();
    return new P256PublicKey(tables);
  }
}

/** True if the affine point (x, y) with canonical coordinates satisfies y^2 = x^3 - 3x + b. */
function isOnCurve(a: usize): bool {
  fpSqr(rhs, a); // x^2
  fpMul(rhs, rhs, a); // x^3
  fpAdd(zz, a, a);
  fpAdd(zz, zz, a); // 3x
  fpSub(rhs, rhs, zz);
  fpAdd(rhs, rhs, B_LIMBS);
  fpSqr(zz, a + 32);
  return fpEqual(zz, rhs);
}

/**
 * Builds, at `out`, CHUNKS tables of 2^(window-2) affine odd multiples of the bases
 * 2^(CHUNK_BITS j) A for the affine point A. None of these multiples is infinity: A has prime
 * order n and every multiple used is below n.
 */
function buildTables(out: usize, a: usize, window: i32): void {
  const perChunk = 1 << (window - 2);
  const count = CHUNKS * perChunk;
  const jac = new StaticArray<u8>(count * <i32>JACOBIAN_BYTES);
  const jacPtr = changetype<usize>(jac);
  pointFromAffine(base, a);
  for (let j = 0; j < CHUNKS; j++) {
    if (j > 0) {
      for (let k = 0; k < CHUNK_BITS; k++) pointDouble(base, base);
    }
    let entry = jacPtr + <usize>(j * perChunk) * JACOBIAN_BYTES;
    memory.copy(entry, base, JACOBIAN_BYTES);
    pointDouble(twice, base);
    for (let k = 1; k < perChunk; k++) {
      pointAdd(entry + JACOBIAN_BYTES, entry, twice);
      entry += JACOBIAN_BYTES;
    }
  }
  batchToAffine(out, jacPtr, count);
}

function ensureGTables(): void {
  if (gTablesReady) return;
  buildTables(gTables, G_AFFINE, WINDOW_G);
  gTablesReady = true;
}

/** Bits [pos, pos + count) of the 256-bit scalar k (zero past bit 255), count <= 8. */
function scalarBits(k: usize, pos: i32, count: i32): u32 {
  if (pos >= 256) return 0;
  const limb = pos >>> 5;
  const shift = pos & 31;
  let bits = load<u32>(k + (<usize>limb << 2)) >>> shift;
  if (shift + count > 32 && limb < 7) bits |= load<u32>(k + (<usize>(limb + 1) << 2)) << (32 - shift);
  return bits & ((1 << count) - 1);
}

/**
 * Writes the width-`window` NAF of the scalar k to naf[0 .. DIGITS): every digit is 0 or odd
 * with |d| < 2^(window-1), and any `window` consecutive digits hold at most one nonzero.
 * (The recoding used by libsecp256k1's secp256k1_ecmult_wnaf.)
 */
function wnaf(naf: usize, k: usize, window: i32): void {
  memory.fill(naf, 0, DIGITS);
  let carry: u32 = 0;
  let bit = 0;
  while (bit < DIGITS) {
    if (scalarBits(k, bit, 1) == carry) {
      bit++;
      continue;
    }
    let now = window;
    if (now > DIGITS - bit) now = DIGITS - bit;
    let word = <i32>(scalarBits(k, bit, now) + carry);
    carry = (word >>> (window - 1)) & 1;
    word -= <i32>carry << window;
    store<i8>(naf + bit, <i8>word);
    bit += now;
  }
}

/** acc += digit * table[index of |digit|], for an odd digit or 0. */
// @ts-ignore: decorator
@inline
function addDigit(table: usize, digit: i32): void {
  if (digit == 0) return;
  const negate = digit < 0;
  const index = <usize>((negate ? -digit : digit) >>> 1);
  pointAddMixed(acc, acc, table + index * AFFINE_BYTES, negate);
}

/**
 * Verifies an ECDSA P-256 signature over a message digest (for ES256, the SHA-256 of the JWS
 * signing input). `digest` must be exactly 32 bytes; all 256 bits are used as the integer e,
 * which may exceed n (SEC 1 4.1.4). `signature` must be the 64-byte IEEE P1363 form r || s
 * (JWS, RFC 7518 section 3.4) with r and s in [1, n - 1]; DER or any other length is rejected.
 * Returns false on any malformed input, never traps. High-s signatures are valid ECDSA and are
 * accepted, as node:crypto and JOSE do.
 */
export function p256VerifyDigest(key: P256PublicKey, digest: Uint8Array, signature: Uint8Array): bool {
  if (digest.length != DIGEST_BYTES || signature.length != SIGNATURE_BYTES) return false;
  if (key.tables.length != tableBytes(WINDOW_Q)) return false;
  fpLoadBE(sigR, signature.dataStart);
  fpLoadBE(sigS, signature.dataStart + 32);
  if (!scIsInRange(sigR) || !scIsInRange(sigS)) return false;
  // e is the digest's 256 bits as an integer, possibly >= n: scVerifyScalars reduces it.
  fpLoadBE(digestE, digest.dataStart);
  scVerifyScalars(scalarU1, scalarU2, digestE, sigR, sigS); // u1 = e / s, u2 = r / s

  ensureGTables(); // already built by fromJwk; kept so verification never depends on that
  return verifyScalars(changetype<usize>(key.tables));
}

/** R = u1 G + u2 Q; true iff R is finite and x(R) mod n == r. */
function verifyScalars(qTables: usize): bool {
  wnaf(nafU1, scalarU1, WINDOW_G);
  wnaf(nafU2, scalarU2, WINDOW_Q);
  const gStride = <usize>(1 << (WINDOW_G - 2)) * AFFINE_BYTES;
  const qStride = <usize>(1 << (WINDOW_Q - 2)) * AFFINE_BYTES;
  pointSetInfinity(acc);
  for (let t = CHUNK_BITS; t >= 0; t--) {
    if (!pointIsInfinity(acc)) pointDouble(acc, acc);
    // Digit t of piece j is NAF digit j * CHUNK_BITS + t. Position CHUNK_BITS belongs to the
    // next piece's position 0, except for the last piece, whose position 256 is the NAF's
    // extra top digit.
    const firstChunk = t == CHUNK_BITS ? CHUNKS - 1 : 0;
    for (let j = firstChunk; j < CHUNKS; j++) {
      const pos = <usize>(j * CHUNK_BITS + t);
      addDigit(gTables + <usize>j * gStride, <i32>load<i8>(nafU1 + pos));
      addDigit(qTables + <usize>j * qStride, <i32>load<i8>(nafU2 + pos));
    }
  }
  if (pointIsInfinity(acc)) return false;
  // x(R) = X / Z^2 lies in [0, p); x(R) mod n == r iff X == c Z^2 for c = r or, when
  // r + n < p, c = r + n. This avoids a field inversion.
  fpSqr(zz, acc + 64);
  fpMul(candidate, sigR, zz);
  if (fpEqual(candidate, acc)) return true;
  if (cmp256(sigR, P_MINUS_N) >= 0) return false;
  addNoCarry(candidate, sigR, N_LIMBS); // r + n < p, so no carry out of 256 bits
  fpMul(candidate, candidate, zz);
  return fpEqual(candidate, acc);
}

function addNoCarry(out: usize, a: usize, b: usize): void {
  let c: u64 = 0;
  for (let i: usize = 0; i < 32; i += 4) {
    c += <u64>load<u32>(a + i) + load<u32>(b + i);
    store<u32>(out + i, <u32>c);
    c >>= 32;
  }
}
