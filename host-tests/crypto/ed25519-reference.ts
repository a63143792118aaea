// A slow, obviously-correct BigInt model of edwards25519 (after RFC 8032 section 6 / Appendix A),
// used only to construct special test inputs for the guest verifier: torsion points, mixed-order
// keys, non-canonical encodings, and signatures under arbitrary scalars.
import crypto from 'node:crypto';

export const P = 2n ** 255n - 19n;
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

const mod = (a: bigint, m: bigint = P): bigint => ((a % m) + m) % m;

function pow(base: bigint, exp: bigint, m: bigint = P): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

const inv = (x: bigint): bigint => pow(x, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

/** Extended coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z. */
export type Point = readonly [bigint, bigint, bigint, bigint];

export const IDENTITY: Point = [0n, 1n, 1n, 0n];

export function add(p: Point, q: Point): Point {
  const a = mod((p[1] - p[0]) * (q[1] - q[0]));
  const b = mod((p[1] + p[0]) * (q[1] + q[0]));
  const c = mod(2n * p[3] * q[3] * D);
  const d = mod(2n * p[2] * q[2]);
  const e = b - a, f = d - c, g = d + c, h = b + a;
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}

export function negate(p: Point): Point {
  return [mod(-p[0]), p[1], p[2], mod(-p[3])];
}

export function multiply(s: bigint, p: Point): Point {
  let q = IDENTITY;
  let base = p;
  let k = s;
  while (k > 0n) {
    if (k & 1n) q = add(q, base);
    base = add(base, base);
    k >>= 1n;
  }
  return q;
}

export function equal(p: Point, q: Point): boolean {
  return mod(p[0] * q[2] - q[0] * p[2]) === 0n && mod(p[1] * q[2] - q[1] * p[2]) === 0n;
}

export function isSmallOrder(p: Point): boolean {
  return equal(multiply(8n, p), IDENTITY);
}

export function bytesToInt(b: Uint8Array): bigint {
  return BigInt('0x' + (Buffer.from(b).reverse().toString('hex') || '0'));
}

export function intToBytes(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = n;
  for (let i = 0; i < length; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** x for a given y and sign, or null when none exists (no y >= p check: callers decide). */
export function recoverX(y: bigint, sign: number): bigint | null {
  const x2 = mod((y * y - 1n) * inv(D * y * y + 1n));
  if (x2 === 0n) return sign ? null : 0n;
  let x = pow(x2, (P + 3n) / 8n);
  if (mod(x * x - x2) !== 0n) x = mod(x * SQRT_M1);
  if (mod(x * x - x2) !== 0n) return null;
  if (Number(x & 1n) !== sign) x = P - x;
  return x;
}

/** Strict RFC 8032 decoding: y < p, x exists, and not (x = 0 with the sign bit set). */
export function decode(encoding: Uint8Array): Point | null {
  if (encoding.length !== 32) return null;
  const value = bytesToInt(encoding);
  const y = value & ((1n << 255n) - 1n);
  if (y >= P) return null;
  const x = recoverX(y, Number(value >> 255n));
  if (x === null) return null;
  return [x, y, 1n, mod(x * y)];
}

export function encode(p: Point): Uint8Array {
  const zi = inv(p[2]);
  const x = mod(p[0] * zi);
  const y = mod(p[1] * zi);
  return intToBytes(y | ((x & 1n) << 255n), 32);
}

export const BASE: Point = decode(Uint8Array.from(Buffer.from('58' + '66'.repeat(31), 'hex')))!;

/** A point of order exactly 8 (generates the torsion subgroup). */
export function torsionGenerator(): Point {
  for (let y = 2n; ; y++) {
    const x = recoverX(y, 0);
    if (x === null) continue;
    const t = multiply(L, [x, y, 1n, mod(x * y)]);
    if (!equal(multiply(4n, t), IDENTITY)) return t;
  }
}

export function sha512ModL(...parts: Uint8Array[]): bigint {
  const h = crypto.createHash('sha512');
  for (const part of parts) h.update(part);
  return bytesToInt(h.digest()) % L;
}

/**
 * Signs `message` under the public point `publicKey` = [secret]B + (anything the caller added),
 * with nonce r: returns R || S with S = r + k * secret mod L, k = SHA-512(R || A || M) mod L.
 */
export function signWithScalar(secret: bigint, publicKey: Uint8Array, message: Uint8Array, r: bigint): Uint8Array {
  const rEncoded = encode(multiply(r, BASE));
  const k = sha512ModL(rEncoded, publicKey, message);
  const s = mod(r + k * secret, L);
  return Uint8Array.from([...rEncoded, ...intToBytes(s, 32)]);
}
