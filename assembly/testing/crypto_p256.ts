// Test harness for assembly/crypto/p256*.ts: exposes ECDSA P-256 verification and the field /
// scalar arithmetic under it to host-tests/crypto/p256.test.ts and host-tests/bench/p256-speed.mjs.
// All byte strings are big-endian; field and scalar inputs must be 32 bytes.

import { P256PublicKey, p256VerifyDigest } from '../crypto/p256';
import {
  fpAdd, fpInv, fpLoadBE, fpMul, fpSqr, fpStoreBE, fpSub,
} from '../crypto/p256_field';
import { scDivN, scMontMul } from '../crypto/p256_scalar';
import {
  batchToAffine, pointAdd, pointAddMixed, pointDouble, pointFromAffine, pointIsInfinity, pointSetInfinity,
} from '../crypto/p256_point';

/** -1 if the key is refused, else 1 if the signature verifies and 0 if not. */
export function p256Verify(x: Uint8Array, y: Uint8Array, digest: Uint8Array, sig: Uint8Array): i32 {
  const key = P256PublicKey.fromJwk(x, y);
  if (key == null) return -1;
  return p256VerifyDigest(key, digest, sig) ? 1 : 0;
}

/** 1 if fromJwk accepts (x, y), else 0. */
export function p256KeyAccepted(x: Uint8Array, y: Uint8Array): i32 {
  return P256PublicKey.fromJwk(x, y) != null ? 1 : 0;
}

// One imported key kept across calls, so many signatures can be checked (or timed) per key.
let loadedKey: P256PublicKey | null = null;

/** Imports (x, y) as the key for p256VerifyLoaded; 1 if accepted, else 0. */
export function p256LoadKey(x: Uint8Array, y: Uint8Array): i32 {
  loadedKey = P256PublicKey.fromJwk(x, y);
  return loadedKey != null ? 1 : 0;
}

/** p256VerifyDigest with the key from p256LoadKey: -1 if none is loaded, else 1 / 0. */
export function p256VerifyLoaded(digest: Uint8Array, sig: Uint8Array): i32 {
  const key = loadedKey;
  if (key == null) return -1;
  return p256VerifyDigest(key, digest, sig) ? 1 : 0;
}

/** Verifies `count` times (for the speed script: one boundary crossing per batch). */
export function p256VerifyLoadedRepeat(digest: Uint8Array, sig: Uint8Array, count: i32): i32 {
  const key = loadedKey;
  if (key == null) return -1;
  let ok = 0;
  for (let i = 0; i < count; i++) if (p256VerifyDigest(key, digest, sig)) ok++;
  return ok;
}

const opA: usize = memory.data(32);
const opB: usize = memory.data(32);
const opOut: usize = memory.data(32);

function result(): Uint8Array {
  const out = new Uint8Array(32);
  fpStoreBE(out.dataStart, opOut);
  return out;
}

/** Field operation `op` (0 add, 1 sub, 2 mul, 3 sqr of a, 4 inverse of a) mod p; a, b < p. */
export function fieldOp(op: i32, a: Uint8Array, b: Uint8Array): Uint8Array | null {
  if (a.length != 32 || b.length != 32) return null;
  fpLoadBE(opA, a.dataStart);
  fpLoadBE(opB, b.dataStart);
  if (op == 0) fpAdd(opOut, opA, opB);
  else if (op == 1) fpSub(opOut, opA, opB);
  else if (op == 2) fpMul(opOut, opA, opB);
  else if (op == 3) fpSqr(opOut, opA);
  else if (op == 4) fpInv(opOut, opA);
  else return null;
  return result();
}

/** num / den mod n; num < n and 0 < den < n. */
export function scalarDiv(num: Uint8Array, den: Uint8Array): Uint8Array | null {
  if (num.length != 32 || den.length != 32) return null;
  fpLoadBE(opA, num.dataStart);
  fpLoadBE(opB, den.dataStart);
  scDivN(opOut, opA, opB);
  return result();
}

/** a b 2^-256 mod n (Montgomery product); a < 2^256, b < n. */
export function scalarMontMul(a: Uint8Array, b: Uint8Array): Uint8Array | null {
  if (a.length != 32 || b.length != 32) return null;
  fpLoadBE(opA, a.dataStart);
  fpLoadBE(opB, b.dataStart);
  scMontMul(opOut, opA, opB);
  return result();
}

const ptA: usize = memory.data(96);
const ptB: usize = memory.data(96);
const ptOut: usize = memory.data(96);
const ptAffine: usize = memory.data(64);
const zScale: usize = memory.data(32);

/**
 * Loads the affine point `bytes` (x || y, 64 bytes; empty for infinity) as a Jacobian point
 * with Z = z (a small nonzero integer), so the formulas see Z != 1.
 */
function loadJacobian(dst: usize, bytes: Uint8Array, z: u32): bool {
  if (bytes.length == 0) {
    pointSetInfinity(dst);
    return true;
  }
  if (bytes.length != 64) return false;
  fpLoadBE(ptAffine, bytes.dataStart);
  fpLoadBE(ptAffine + 32, bytes.dataStart + 32);
  pointFromAffine(dst, ptAffine);
  memory.fill(zScale, 0, 32);
  store<u32>(zScale, z);
  fpMul(dst + 64, dst + 64, zScale); // Z = z
  fpSqr(opA, zScale);
  fpMul(dst, dst, opA); // X = x z^2
  fpMul(opA, opA, zScale);
  fpMul(dst + 32, dst + 32, opA); // Y = y z^3
  return true;
}

/**
 * Point operation on affine inputs (x || y, 64 bytes; empty for infinity), answered in affine
 * form (empty for infinity): 0 a + b (Jacobian + Jacobian), 1 a + b (Jacobian + affine),
 * 2 a - b (Jacobian + negated affine), 3 2a. Jacobian operands get Z = 3 and Z = 5.
 */
export function curveOp(op: i32, a: Uint8Array, b: Uint8Array): Uint8Array | null {
  if (!loadJacobian(ptA, a, 3)) return null;
  if (op == 0) {
    if (!loadJacobian(ptB, b, 5)) return null;
    pointAdd(ptOut, ptA, ptB);
  } else if (op == 1 || op == 2) {
    if (b.length != 64) return null; // mixed addition takes a finite affine point
    fpLoadBE(ptB, b.dataStart);
    fpLoadBE(ptB + 32, b.dataStart + 32);
    pointAddMixed(ptOut, ptA, ptB, op == 2);
  } else if (op == 3) {
    pointDouble(ptOut, ptA);
  } else {
    return null;
  }
  if (pointIsInfinity(ptOut)) return new Uint8Array(0);
  batchToAffine(ptAffine, ptOut, 1);
  const out = new Uint8Array(64);
  fpStoreBE(out.dataStart, ptAffine);
  fpStoreBE(out.dataStart + 32, ptAffine + 32);
  return out;
}
