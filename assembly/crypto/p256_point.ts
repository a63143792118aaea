// Point arithmetic on P-256 (y^2 = x^3 - 3x + b) in Jacobian coordinates.
//
// Layout in linear memory: a Jacobian point is X, Y, Z (3 x 32 bytes) and stands for the
// affine (X / Z^2, Y / Z^3); Z = 0 is the point at infinity. An affine point is x, y
// (2 x 32 bytes) and is never the point at infinity. Formulas are from the Explicit-Formulas
// Database (hyperelliptic.org/EFD, "g1p/shortw/jacobian-3"); every function allows `out`
// to alias an input and handles the exceptional cases (infinity, P + P, P + -P), which
// adversarial signatures can reach.

import {
  fpAdd, fpCopy, fpEqual, fpInv, fpIsZero, fpMul, fpNeg, fpSetOne, fpSqr, fpSub,
} from './p256_field';

export const JACOBIAN_BYTES: usize = 96;
export const AFFINE_BYTES: usize = 64;

// Scratch for pointDouble (dbl-2001-b).
const dDelta: usize = memory.data(32);
const dGamma: usize = memory.data(32);
const dBeta: usize = memory.data(32);
const dAlpha: usize = memory.data(32);
const dT: usize = memory.data(32);

// Scratch for the additions (add-2007-bl, madd-2007-bl).
const aZ1Z1: usize = memory.data(32);
const aZ2Z2: usize = memory.data(32);
const aU1: usize = memory.data(32);
const aU2: usize = memory.data(32);
const aS1: usize = memory.data(32);
const aS2: usize = memory.data(32);
const aH: usize = memory.data(32);
const aHH: usize = memory.data(32);
const aI: usize = memory.data(32);
const aJ: usize = memory.data(32);
const aR: usize = memory.data(32);
const aV: usize = memory.data(32);
const aT: usize = memory.data(32);

// Scratch for batchToAffine.
const bInv: usize = memory.data(32);
const bZinv: usize = memory.data(32);
const bZinv2: usize = memory.data(32);

export function pointSetInfinity(p: usize): void {
  fpSetOne(p);
  fpSetOne(p + 32);
  memory.fill(p + 64, 0, 32);
}

export function pointIsInfinity(p: usize): bool {
  return fpIsZero(p + 64);
}

/** out = the Jacobian form (x, y, 1) of the affine point a. */
export function pointFromAffine(out: usize, a: usize): void {
  memory.copy(out, a, 64);
  fpSetOne(out + 64);
}

/** out = 2p. Doubling infinity gives infinity (Z3 = 2 Y1 Z1 = 0). */
export function pointDouble(out: usize, p: usize): void {
  const X1 = p, Y1 = p + 32, Z1 = p + 64;
  fpSqr(dDelta, Z1); // delta = Z1^2
  fpSqr(dGamma, Y1); // gamma = Y1^2
  fpMul(dBeta, X1, dGamma); // beta = X1 * gamma
  // alpha = 3 (X1 - delta)(X1 + delta), the a = -3 shortcut for 3 X1^2 + a Z1^4
  fpSub(dT, X1, dDelta);
  fpAdd(dAlpha, X1, dDelta);
  fpMul(dAlpha, dT, dAlpha);
  fpAdd(dT, dAlpha, dAlpha);
  fpAdd(dAlpha, dT, dAlpha);
  // Z3 = (Y1 + Z1)^2 - gamma - delta (reads Y1, Z1 before they are overwritten)
  fpAdd(dT, Y1, Z1);
  fpSqr(dT, dT);
  fpSub(dT, dT, dGamma);
  fpSub(out + 64, dT, dDelta);
  // X3 = alpha^2 - 8 beta
  fpAdd(dBeta, dBeta, dBeta);
  fpAdd(dBeta, dBeta, dBeta); // beta := 4 beta
  fpSqr(dT, dAlpha);
  fpSub(dT, dT, dBeta);
  fpSub(out, dT, dBeta);
  // Y3 = alpha (4 beta - X3) - 8 gamma^2
  fpSub(dBeta, dBeta, out);
  fpMul(dBeta, dAlpha, dBeta);
  fpSqr(dGamma, dGamma);
  fpAdd(dGamma, dGamma, dGamma);
  fpAdd(dGamma, dGamma, dGamma);
  fpAdd(dGamma, dGamma, dGamma);
  fpSub(out + 32, dBeta, dGamma);
}

/**
 * Shared tail of both additions once U1, U2 (in aU1 / aU2), S1, S2 (aS1 / aS2) are known:
 * H = U2 - U1, r = 2 (S2 - S1). Returns false (writing nothing) when H = 0, which the caller
 * resolves as doubling (r = 0) or infinity. Leaves H in aH and HH = H^2 in aHH for Z3.
 */
function addCore(out: usize): bool {
  fpSub(aH, aU2, aU1);
  if (fpIsZero(aH)) return false;
  fpSub(aR, aS2, aS1);
  fpAdd(aR, aR, aR);
  fpSqr(aHH, aH);
  fpAdd(aI, aHH, aHH);
  fpAdd(aI, aI, aI); // I = 4 HH
  fpMul(aJ, aH, aI); // J = H I
  fpMul(aV, aU1, aI); // V = U1 I
  // X3 = r^2 - J - 2 V
  fpSqr(aT, aR);
  fpSub(aT, aT, aJ);
  fpSub(aT, aT, aV);
  fpSub(out, aT, aV);
  // Y3 = r (V - X3) - 2 S1 J
  fpSub(aV, aV, out);
  fpMul(aV, aR, aV);
  fpMul(aT, aS1, aJ);
  fpAdd(aT, aT, aT);
  fpSub(out + 32, aV, aT);
  return true;
}

/** True if S2 == S1, i.e. the points with equal x are equal (not opposite). */
function sameY(): bool {
  return fpEqual(aS1, aS2);
}

/**
 * out = p + a for Jacobian p and affine a, with a negated first if `negate` (so the caller
 * can use -a = (x, -y) without copying). 7M + 4S in the general case.
 */
export function pointAddMixed(out: usize, p: usize, a: usize, negate: bool): void {
  const Z1 = p + 64;
  if (pointIsInfinity(p)) {
    pointFromAffine(out, a);
    if (negate) fpNeg(out + 32, out + 32);
    return;
  }
  fpSqr(aZ1Z1, Z1);
  fpCopy(aU1, p); // U1 = X1
  fpMul(aU2, a, aZ1Z1); // U2 = x2 Z1^2
  fpCopy(aS1, p + 32); // S1 = Y1
  fpMul(aS2, a + 32, Z1);
  fpMul(aS2, aS2, aZ1Z1); // S2 = y2 Z1^3
  if (negate) fpNeg(aS2, aS2);
  // addCore writes only X3 and Y3, so Z1 is still intact (even when out == p) for
  // Z3 = (Z1 + H)^2 - Z1Z1 - HH below.
  if (!addCore(out)) {
    if (sameY()) pointDouble(out, p);
    else pointSetInfinity(out);
    return;
  }
  fpAdd(aT, Z1, aH);
  fpSqr(aT, aT);
  fpSub(aT, aT, aZ1Z1);
  fpSub(out + 64, aT, aHH);
}

/** out = p + q for Jacobian p and q. 11M + 5S in the general case. */
export function pointAdd(out: usize, p: usize, q: usize): void {
  if (pointIsInfinity(p)) {
    memory.copy(out, q, 96);
    return;
  }
  if (pointIsInfinity(q)) {
    memory.copy(out, p, 96);
    return;
  }
  const Z1 = p + 64, Z2 = q + 64;
  fpSqr(aZ1Z1, Z1);
  fpSqr(aZ2Z2, Z2);
  fpMul(aU1, p, aZ2Z2); // U1 = X1 Z2^2
  fpMul(aU2, q, aZ1Z1); // U2 = X2 Z1^2
  fpMul(aS1, p + 32, Z2);
  fpMul(aS1, aS1, aZ2Z2); // S1 = Y1 Z2^3
  fpMul(aS2, q + 32, Z1);
  fpMul(aS2, aS2, aZ1Z1); // S2 = Y2 Z1^3
  // Z3 = ((Z1 + Z2)^2 - Z1Z1 - Z2Z2) H, computed before addCore can overwrite Z1 or Z2
  // (when out aliases p or q) and kept in aZ2Z2.
  fpAdd(aT, Z1, Z2);
  fpSqr(aT, aT);
  fpSub(aT, aT, aZ1Z1);
  fpSub(aZ2Z2, aT, aZ2Z2);
  if (!addCore(out)) {
    if (sameY()) pointDouble(out, p);
    else pointSetInfinity(out);
    return;
  }
  fpMul(out + 64, aZ2Z2, aH);
}

/**
 * Converts `count` Jacobian points at `jac` (none at infinity) to affine points at `aff`
 * with a single field inversion (Montgomery's trick). `aff` must not overlap `jac`.
 */
export function batchToAffine(aff: usize, jac: usize, count: i32): void {
  if (count <= 0) return;
  // Prefix products Z_0 ... Z_i go into the y slot of aff[i] until that slot is written.
  fpCopy(aff + 32, jac + 64);
  for (let i = 1; i < count; i++) {
    const a = aff + <usize>i * AFFINE_BYTES;
    fpMul(a + 32, a - AFFINE_BYTES + 32, jac + <usize>i * JACOBIAN_BYTES + 64);
  }
  fpInv(bInv, aff + <usize>(count - 1) * AFFINE_BYTES + 32); // (Z_0 ... Z_{count-1})^-1
  for (let i = count - 1; i >= 0; i--) {
    const a = aff + <usize>i * AFFINE_BYTES;
    const j = jac + <usize>i * JACOBIAN_BYTES;
    if (i > 0) {
      fpMul(bZinv, bInv, a - AFFINE_BYTES + 32); // Z_i^-1 = inv * (Z_0 ... Z_{i-1})
      fpMul(bInv, bInv, j + 64); // inv := (Z_0 ... Z_{i-1})^-1
    } else {
      fpCopy(bZinv, bInv);
    }
    fpSqr(bZinv2, bZinv);
    fpMul(a, j, bZinv2);
    fpMul(bZinv2, bZinv2, bZinv);
    fpMul(a + 32, j + 32, bZinv2);
  }
}
