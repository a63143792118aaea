// ECDSA P-256 (ES256) verification in the guest: assembly/crypto/p256*.ts through the harness
// assembly/testing/crypto_p256.ts (build: node scripts/build-plugin.mjs --harness crypto_p256).
//
// Sources of truth:
// - Wycheproof ecdsa_secp256r1_sha256_p1363_test.json: every vector must get its expected
//   result. Policy for "acceptable" results: the file has none (every vector is "valid" or
//   "invalid"), and this test asserts that, so a future file that adds some fails here until
//   a policy is chosen. Every group's public key is a valid point, so fromJwk must accept it;
//   the file has no invalid-key groups (asserted too), and key refusal is tested separately.
// - node:crypto (OpenSSL): the guest's answer must equal crypto.verify for signatures over
//   random messages and for tampered signatures. node cannot verify a bare digest, so
//   tampered digests are checked against the expectation "invalid", and digests node cannot
//   produce (e >= n, e = 0) against signatures made by the small BigInt signer below, whose
//   output node accepts for ordinary digests.
// - BigInt arithmetic for the field (mod p) and scalar (mod n) operations under the curve code.
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHarness, repoRoot } from '../lib/harness.js';

interface P256Harness {
  p256Verify(x: Uint8Array, y: Uint8Array, digest: Uint8Array, sig: Uint8Array): number;
  p256KeyAccepted(x: Uint8Array, y: Uint8Array): number;
  p256LoadKey(x: Uint8Array, y: Uint8Array): number;
  p256VerifyLoaded(digest: Uint8Array, sig: Uint8Array): number;
  fieldOp(op: number, a: Uint8Array, b: Uint8Array): Uint8Array | null;
  scalarDiv(num: Uint8Array, den: Uint8Array): Uint8Array | null;
  scalarMontMul(a: Uint8Array, b: Uint8Array): Uint8Array | null;
  curveOp(op: number, a: Uint8Array, b: Uint8Array): Uint8Array | null;
}

const KEY_REFUSED = -1;
const INVALID = 0;
const VALID = 1;

// ---- BigInt reference -------------------------------------------------------------------

const P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;
const G: Point = {
  x: 0x6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296n,
  y: 0x4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5n,
};

type Point = { x: bigint; y: bigint } | null; // null is the point at infinity

const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;

function modInv(a: bigint, m: bigint): bigint {
  let [r0, r1, t0, t1] = [mod(a, m), m, 1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [t0, t1] = [t1, t0 - q * t1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return mod(t0, m);
}

function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  base = mod(base, m);
  while (exp > 0n) {
    if (exp & 1n) result = (result * base) % m;
    base = (base * base) % m;
    exp >>= 1n;
  }
  return result;
}

function pointAdd(a: Point, b: Point): Point {
  if (a === null) return b;
  if (b === null) return a;
  let lambda: bigint;
  if (a.x === b.x) {
    if (mod(a.y + b.y, P) === 0n) return null;
    lambda = mod((3n * a.x * a.x - 3n) * modInv(2n * a.y, P), P);
  } else {
    lambda = mod((b.y - a.y) * modInv(b.x - a.x, P), P);
  }
  const x = mod(lambda * lambda - a.x - b.x, P);
  return { x, y: mod(lambda * (a.x - x) - a.y, P) };
}

function pointMul(k: bigint, a: Point): Point {
  let result: Point = null;
  for (let bit = BigInt(k.toString(2).length - 1); bit >= 0n; bit--) {
    result = pointAdd(result, result);
    if ((k >> bit) & 1n) result = pointAdd(result, a);
  }
  return result;
}

/** ECDSA signature (r, s) of the 256-bit digest value e under private key d with nonce k. */
function refSign(d: bigint, e: bigint, k: bigint): { r: bigint; s: bigint } {
  const r = mod(pointMul(k, G)!.x, N);
  const s = mod(modInv(k, N) * (e + r * d), N);
  if (r === 0n || s === 0n) throw new Error('retry with another nonce');
  return { r, s };
}

/** The smallest x >= start on the curve, with its y (p = 3 mod 4, so sqrt is a power). */
function pointWithSmallX(start: bigint): { x: bigint; y: bigint } {
  for (let cx = start; ; cx++) {
    const rhs = mod(cx ** 3n - 3n * cx + B, P);
    const cy = modPow(rhs, (P + 1n) / 4n, P);
    if ((cy * cy) % P === rhs) return { x: cx, y: cy };
  }
}

// ---- encoding helpers -------------------------------------------------------------------

const be32 = (v: bigint): Buffer => Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
const int = (bytes: Uint8Array): bigint => BigInt('0x' + (Buffer.from(bytes).toString('hex') || '0'));
const sha256 = (data: Uint8Array): Buffer => crypto.createHash('sha256').update(data).digest();
const sig64 = (r: bigint, s: bigint): Buffer => Buffer.concat([be32(r), be32(s)]);

function flipBit(bytes: Uint8Array, bit: number): Buffer {
  const out = Buffer.from(bytes);
  out[bit >> 3] ^= 0x80 >> (bit & 7);
  return out;
}

/** Minimal DER encoding of the ECDSA-Sig-Value SEQUENCE { r INTEGER, s INTEGER }. */
function derSignature(p1363: Uint8Array): Buffer {
  const integer = (v: Uint8Array): Buffer => {
    let body = Buffer.from(v);
    while (body.length > 1 && body[0] === 0) body = body.subarray(1);
    if (body[0] & 0x80) body = Buffer.concat([Buffer.from([0]), body]);
    return Buffer.concat([Buffer.from([0x02, body.length]), body]);
  };
  const content = Buffer.concat([integer(p1363.subarray(0, 32)), integer(p1363.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, content.length]), content]);
}

function jwkCoordinates(publicKey: crypto.KeyObject): { x: Buffer; y: Buffer } {
  const jwk = publicKey.export({ format: 'jwk' });
  return { x: Buffer.from(jwk.x!, 'base64url'), y: Buffer.from(jwk.y!, 'base64url') };
}

/** Deterministic pseudo-random bytes, so a failing case can be reproduced from its index. */
function seededBytes(seed: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0, block = 0; i < length; block++) {
    const chunk = crypto.createHash('sha256').update(`${seed}/${block}`).digest();
    i += chunk.copy(out, i);
  }
  return out;
}

// -----------------------------------------------------------------------------------------

let guest: P256Harness;

beforeAll(async () => {
  guest = await loadHarness<P256Harness>('crypto_p256');
});

describe('Wycheproof ecdsa_secp256r1_sha256_p1363_test.json', () => {
  interface Vector { tcId: number; msg: string; sig: string; result: string; flags: string[] }
  interface Group { publicKey: { wx: string; wy: string; curve: string }; sha: string; tests: Vector[] }
  const file = 'ecdsa_secp256r1_sha256_p1363_test.json';
  const data = JSON.parse(readFileSync(path.join(repoRoot, '../shared/testdata/wycheproof', file), 'utf8')) as {
    numberOfTests: number;
    testGroups: Group[];
  };

  it('has only valid and invalid results and only well-formed P-256 / SHA-256 groups', () => {
    const results = new Set(data.testGroups.flatMap((g) => g.tests.map((t) => t.result)));
    expect([...results].sort()).toEqual(['invalid', 'valid']);
    for (const group of data.testGroups) {
      expect(group.publicKey.curve).toBe('secp256r1');
      expect(group.sha).toBe('SHA-256');
    }
  });

  it('accepts every group key and gives every vector its expected result', () => {
    let checked = 0;
    const failures: string[] = [];
    for (const group of data.testGroups) {
      // wx / wy are big-endian integers (sometimes with a leading 00, sometimes shorter).
      const x = be32(BigInt('0x' + group.publicKey.wx));
      const y = be32(BigInt('0x' + group.publicKey.wy));
      expect(guest.p256LoadKey(x, y)).toBe(1);
      for (const vector of group.tests) {
        const digest = sha256(Buffer.from(vector.msg, 'hex'));
        const got = guest.p256VerifyLoaded(digest, Buffer.from(vector.sig, 'hex'));
        const want = vector.result === 'valid' ? VALID : INVALID;
        if (got !== want) failures.push(`tcId ${vector.tcId} (${vector.flags.join(',')}): got ${got}`);
        checked++;
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBe(data.numberOfTests);
  });
});

describe('agreement with node:crypto', () => {
  const KEYS = 5;
  const MESSAGES_PER_KEY = 200;

  it(`matches crypto.verify on ${KEYS * MESSAGES_PER_KEY} signatures and their tampered forms`, () => {
    const tally = { cases: 0, valid: 0, highS: 0 };
    const mismatches: string[] = [];
    for (let k = 0; k < KEYS; k++) {
      const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const { x, y } = jwkCoordinates(publicKey);
      expect(guest.p256LoadKey(x, y)).toBe(1);
      const nodeVerify = (msg: Uint8Array, sig: Uint8Array): number =>
        crypto.verify('sha256', msg, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig) ? VALID : INVALID;

      for (let m = 0; m < MESSAGES_PER_KEY; m++) {
        const msg = crypto.randomBytes(m % 97);
        const digest = sha256(msg);
        const sig = crypto.sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const r = int(sig.subarray(0, 32));
        const s = int(sig.subarray(32));
        const otherMsg = flipBit(msg.length ? msg : Buffer.from([0]), m % Math.max(8, msg.length * 8));
        const variants: Array<[string, Uint8Array, Uint8Array]> = [
          ['original', msg, sig],
          ['high s (r, n - s)', msg, sig64(r, N - s)],
          ['flipped bit in r', msg, flipBit(sig, m % 256)],
          ['flipped bit in s', msg, flipBit(sig, 256 + (m % 256))],
          ['other message', otherMsg, sig],
          ['r = 0', msg, sig64(0n, s)],
          ['s = 0', msg, sig64(r, 0n)],
          ['r = n', msg, sig64(N, s)],
          ['s = n', msg, sig64(r, N)],
          ['r + n (mod 2^256)', msg, sig64((r + N) % 2n ** 256n, s)],
          ['r and s swapped', msg, sig64(s, r)],
          ['truncated to 63 bytes', msg, sig.subarray(0, 63)],
          ['extended to 65 bytes', msg, Buffer.concat([sig, Buffer.from([0])])],
          ['DER encoding', msg, derSignature(sig)],
        ];
        for (const [name, variantMsg, variantSig] of variants) {
          const want = nodeVerify(variantMsg, variantSig);
          const got = guest.p256VerifyLoaded(sha256(variantMsg), variantSig);
          if (got !== want) mismatches.push(`key ${k} msg ${m} ${name}: guest ${got}, node ${want}`);
          tally.cases++;
          if (want === VALID) tally.valid++;
          if (want === VALID && name.startsWith('high s')) tally.highS++;
        }
        // node cannot verify a bare digest; any single flipped digest bit must fail.
        const flipped = flipBit(digest, (m * 37) % 256);
        if (guest.p256VerifyLoaded(flipped, sig) !== INVALID) mismatches.push(`key ${k} msg ${m} flipped digest accepted`);
      }
    }
    expect(mismatches).toEqual([]);
    // The originals and their high-s twins are the only valid forms, and node accepts them all.
    expect(tally.valid).toBe(2 * KEYS * MESSAGES_PER_KEY);
    expect(tally.highS).toBe(KEYS * MESSAGES_PER_KEY);
    expect(tally.cases).toBe(14 * KEYS * MESSAGES_PER_KEY);
  });

  it('keeps keys apart when several are used in turn', () => {
    const keys = [0, 1, 2].map(() => crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }));
    const msg = Buffer.from('eyJhbGciOiJFUzI1NiJ9.e30');
    const sigs = keys.map(({ privateKey }) => crypto.sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    for (let round = 0; round < 2; round++) {
      keys.forEach(({ publicKey }, i) => {
        const { x, y } = jwkCoordinates(publicKey);
        sigs.forEach((sig, j) => {
          expect(guest.p256Verify(x, y, sha256(msg), sig)).toBe(i === j ? VALID : INVALID);
        });
      });
    }
  });
});

describe('digests outside what node can produce (BigInt-signed)', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const d = int(Buffer.from(privateKey.export({ format: 'jwk' }).d!, 'base64url'));
  const { x, y } = jwkCoordinates(publicKey);

  it('the BigInt signer makes signatures node accepts', () => {
    for (let i = 0; i < 5; i++) {
      const msg = Buffer.from(`reference ${i}`);
      const { r, s } = refSign(d, int(sha256(msg)), int(seededBytes(`nonce ${i}`, 32)) % (N - 1n) + 1n);
      expect(crypto.verify('sha256', msg, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig64(r, s))).toBe(true);
      expect(guest.p256Verify(x, y, sha256(msg), sig64(r, s))).toBe(VALID);
    }
  });

  // e is the digest's full 256 bits; values >= n are used as they are (reduced mod n).
  const digests: Array<[string, bigint]> = [
    ['e = 0', 0n],
    ['e = 1', 1n],
    ['e = n - 1', N - 1n],
    ['e = n (reduces to 0)', N],
    ['e = n + 1', N + 1n],
    ['e = 2^256 - 1', 2n ** 256n - 1n],
    ['e = p', P],
  ];
  for (const [name, e] of digests) {
    it(`verifies a signature over the digest ${name} and rejects it for e +- 1`, () => {
      const { r, s } = refSign(d, mod(e, N), int(seededBytes(name, 32)) % (N - 1n) + 1n);
      expect(guest.p256LoadKey(x, y)).toBe(1);
      expect(guest.p256VerifyLoaded(be32(e), sig64(r, s))).toBe(VALID);
      expect(guest.p256VerifyLoaded(be32(e), sig64(r, N - s))).toBe(VALID);
      expect(guest.p256VerifyLoaded(be32(mod(e + 1n, 2n ** 256n)), sig64(r, s))).toBe(INVALID);
      expect(guest.p256VerifyLoaded(be32(mod(e - 1n, 2n ** 256n)), sig64(r, s))).toBe(INVALID);
    });
  }

  it('compares x(R) mod n with r when x(R) >= n (r = x(R) - n)', () => {
    // x(kG) >= n happens with probability about 2^-128, so build the case backwards: pick R
    // with x(R) in [n, p), any u1 and u2, and the public key Q = (R - u1 G) / u2. Then with
    // r = x(R) - n, s = r / u2 and e = u1 s, verification computes u1 G + u2 Q = R.
    const R = pointWithSmallX(N);
    const r = R.x - N;
    const u1 = int(seededBytes('u1', 32)) % N;
    const u2 = int(seededBytes('u2', 32)) % N;
    const Q = pointMul(modInv(u2, N), pointAdd(R, pointMul(N - u1, G)))!;
    const s = mod(r * modInv(u2, N), N);
    const e = mod(u1 * s, N);
    expect(guest.p256LoadKey(be32(Q.x), be32(Q.y))).toBe(1);
    expect(guest.p256VerifyLoaded(be32(e), sig64(r, s))).toBe(VALID);
    // The unreduced x(R) is not a valid r (>= n), and r + 1 is simply wrong.
    expect(guest.p256VerifyLoaded(be32(e), sig64(R.x, s))).toBe(INVALID);
    expect(guest.p256VerifyLoaded(be32(e), sig64(r + 1n, s))).toBe(INVALID);
    // (r, n - s) negates u1 and u2, giving -R with the same x.
    expect(guest.p256VerifyLoaded(be32(e), sig64(r, N - s))).toBe(VALID);
  });

  it('rejects r and s that are >= n even when they are congruent to valid values', () => {
    // Backwards as above, with small r and s so that r + n and s + n still fit in 32 bytes.
    const R = pointWithSmallX(1n);
    const r = R.x;
    const s = 0x1234567n;
    const u1 = int(seededBytes('u1 small', 32)) % N;
    const u2 = mod(r * modInv(s, N), N);
    const Q = pointMul(modInv(u2, N), pointAdd(R, pointMul(N - u1, G)))!;
    const e = mod(u1 * s, N);
    expect(guest.p256LoadKey(be32(Q.x), be32(Q.y))).toBe(1);
    expect(guest.p256VerifyLoaded(be32(e), sig64(r, s))).toBe(VALID);
    expect(guest.p256VerifyLoaded(be32(e), sig64(r + N, s))).toBe(INVALID);
    expect(guest.p256VerifyLoaded(be32(e), sig64(r, s + N))).toBe(INVALID);
  });

  it('handles u1 G + u2 Q landing on P + P and on P + (-P) (public key Q = G)', () => {
    expect(guest.p256LoadKey(be32(G!.x), be32(G!.y))).toBe(1);
    // u1 = u2 = 1: the second addition adds G to an accumulator already equal to G, which the
    // addition formula cannot do (it must double). R = 2G; r = s = e = x(2G) mod n.
    const r2 = mod(pointMul(2n, G)!.x, N);
    expect(guest.p256VerifyLoaded(be32(r2), sig64(r2, r2))).toBe(VALID);
    expect(guest.p256VerifyLoaded(be32(r2 + 1n), sig64(r2, r2))).toBe(INVALID);
    // u1 = 1, u2 = -1: R = G - G is the point at infinity, so no r can verify.
    for (const r of [r2, 1n, mod(G!.x, N)]) {
      const s = N - r; // u2 = r / s = -1
      expect(guest.p256VerifyLoaded(be32(s), sig64(r, s))).toBe(INVALID); // u1 = e / s = 1
    }
    // u1 = 3, u2 = 2 via R = 5G, as a non-degenerate control on the same key.
    const r5 = mod(pointMul(5n, G)!.x, N);
    const s5 = mod(r5 * modInv(2n, N), N);
    expect(guest.p256VerifyLoaded(be32(mod(3n * s5, N)), sig64(r5, s5))).toBe(VALID);
  });

  it('rejects digests of any length other than 32 bytes', () => {
    const msg = Buffer.from('length');
    const sig = crypto.sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const digest = sha256(msg);
    expect(guest.p256Verify(x, y, digest, sig)).toBe(VALID);
    for (const length of [0, 1, 20, 31, 33, 48, 64]) {
      const other = Buffer.alloc(length);
      digest.copy(other, 0, 0, Math.min(32, length));
      expect(guest.p256Verify(x, y, other, sig)).toBe(INVALID);
    }
  });
});

describe('key import (fromJwk)', () => {
  const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y } = jwkCoordinates(publicKey);
  const xi = int(x);
  const yi = int(y);

  it('accepts a valid key, its negation, and G', () => {
    expect(guest.p256KeyAccepted(x, y)).toBe(1);
    expect(guest.p256KeyAccepted(x, be32(P - yi))).toBe(1);
    expect(guest.p256KeyAccepted(be32(G!.x), be32(G!.y))).toBe(1);
  });

  it('refuses points that are not on the curve', () => {
    expect(guest.p256KeyAccepted(x, be32(mod(yi + 1n, P)))).toBe(0);
    expect(guest.p256KeyAccepted(be32(mod(xi + 1n, P)), y)).toBe(0);
    expect(guest.p256KeyAccepted(y, x)).toBe(0);
    // A point of the curve with another b (an invalid-curve attack point).
    const other = pointMul(3n, G)!;
    expect(guest.p256KeyAccepted(be32(other.x), be32(mod(other.y + 2n, P)))).toBe(0);
  });

  it('refuses the encodings of the point at infinity', () => {
    expect(guest.p256KeyAccepted(Buffer.alloc(32), Buffer.alloc(32))).toBe(0);
    expect(guest.p256KeyAccepted(Buffer.alloc(0), Buffer.alloc(0))).toBe(0);
    expect(guest.p256KeyAccepted(Buffer.alloc(1), Buffer.alloc(1))).toBe(0);
    expect(guest.p256KeyAccepted(Buffer.alloc(32), Buffer.alloc(0))).toBe(0);
  });

  it('refuses coordinates >= p, even when they are congruent to a point on the curve', () => {
    const small = pointWithSmallX(0n);
    expect(guest.p256KeyAccepted(be32(small.x), be32(small.y))).toBe(1);
    expect(guest.p256KeyAccepted(be32(small.x + P), be32(small.y))).toBe(0);
    expect(guest.p256KeyAccepted(be32(P), y)).toBe(0);
    expect(guest.p256KeyAccepted(x, be32(P))).toBe(0);
    expect(guest.p256KeyAccepted(be32(2n ** 256n - 1n), y)).toBe(0);
    expect(guest.p256KeyAccepted(x, be32(2n ** 256n - 1n))).toBe(0);
    // y + p also satisfies the equation mod p but is not a canonical encoding.
    const smallY = { x: small.x, y: P - small.y };
    if (smallY.y + P < 2n ** 256n) expect(guest.p256KeyAccepted(be32(smallY.x), be32(smallY.y + P))).toBe(0);
  });

  it('refuses coordinates of the wrong length', () => {
    const sec1 = Buffer.concat([Buffer.from([4]), x, y]);
    expect(guest.p256KeyAccepted(sec1, y)).toBe(0);
    expect(guest.p256KeyAccepted(x.subarray(1), y)).toBe(0);
    expect(guest.p256KeyAccepted(x, y.subarray(1))).toBe(0);
    expect(guest.p256KeyAccepted(Buffer.concat([Buffer.from([0]), x]), y)).toBe(0);
    expect(guest.p256KeyAccepted(x, Buffer.concat([Buffer.from([0]), y]))).toBe(0);
    expect(guest.p256KeyAccepted(x, Buffer.concat([y, Buffer.from([0])]))).toBe(0);
  });

  it('p256Verify reports a refused key as -1', () => {
    expect(guest.p256Verify(x, be32(mod(yi + 1n, P)), Buffer.alloc(32), Buffer.alloc(64, 1))).toBe(KEY_REFUSED);
  });
});

describe('never traps', () => {
  it('returns a verdict for thousands of random inputs of random lengths', () => {
    const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { x, y } = jwkCoordinates(publicKey);
    const msg = Buffer.from('fuzz');
    const sig = crypto.sign('sha256', msg, { key: privateKey, dsaEncoding: 'ieee-p1363' });
    const counts = { refused: 0, invalid: 0, valid: 0 };
    const lengths = [0, 1, 31, 32, 33, 63, 64, 65, 72, 200];
    for (let i = 0; i < 4000; i++) {
      const rand = seededBytes(`fuzz ${i}`, 4);
      const pick = (j: number): number => lengths[rand[j] % lengths.length];
      const gx = i % 4 === 0 ? x : seededBytes(`x ${i}`, pick(0));
      const gy = i % 4 === 0 ? y : seededBytes(`y ${i}`, pick(1));
      const digest = i % 3 === 0 ? sha256(msg) : seededBytes(`d ${i}`, pick(2));
      // Mostly 64-byte signatures, so the full verification path runs on garbage.
      const gsig = i % 5 === 0 ? seededBytes(`s ${i}`, pick(3)) : seededBytes(`s ${i}`, 64);
      const got = guest.p256Verify(gx, gy, digest, gsig);
      if (got === KEY_REFUSED) counts.refused++;
      else if (got === INVALID) counts.invalid++;
      else counts.valid++;
    }
    expect(counts.valid).toBe(0);
    expect(counts.invalid).toBeGreaterThan(500);
    expect(counts.refused).toBeGreaterThan(2000);
    // The module is still healthy afterwards.
    expect(guest.p256Verify(x, y, sha256(msg), sig)).toBe(VALID);
  });

  it('survives signatures with extreme r and s values', () => {
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { x, y } = jwkCoordinates(publicKey);
    expect(guest.p256LoadKey(x, y)).toBe(1);
    const extremes = [0n, 1n, 2n, N - 1n, N, N + 1n, P - 1n, P, 2n ** 255n, 2n ** 256n - 1n];
    for (const r of extremes) {
      for (const s of extremes) {
        for (const e of [0n, 1n, N - 1n, 2n ** 256n - 1n]) {
          expect(guest.p256VerifyLoaded(be32(e), sig64(r, s))).toBe(INVALID);
        }
      }
    }
  });
});

describe('point arithmetic against BigInt', () => {
  const enc = (pt: Point): Buffer => (pt === null ? Buffer.alloc(0) : Buffer.concat([be32(pt.x), be32(pt.y)]));
  const neg = (pt: Point): Point => (pt === null ? null : { x: pt.x, y: mod(-pt.y, P) });
  const points: Point[] = [G, pointMul(2n, G), pointMul(N - 1n, G)];
  for (let i = 0; i < 12; i++) points.push(pointMul(int(seededBytes(`point ${i}`, 32)) % N, G));

  it('adds, subtracts and doubles, including P + P, P + (-P) and infinity', () => {
    for (let i = 0; i < points.length; i++) {
      const a = points[i];
      const pairs: Point[] = [points[(i + 1) % points.length], a, neg(a)];
      for (const b of pairs) {
        const sum = pointAdd(a, b);
        expect(guest.curveOp(0, enc(a), enc(b))).toEqual(new Uint8Array(enc(sum)));
        expect(guest.curveOp(1, enc(a), enc(b))).toEqual(new Uint8Array(enc(sum)));
        expect(guest.curveOp(2, enc(a), enc(neg(b)))).toEqual(new Uint8Array(enc(sum)));
      }
      expect(guest.curveOp(3, enc(a), enc(null))).toEqual(new Uint8Array(enc(pointAdd(a, a))));
      // Infinity on either side.
      expect(guest.curveOp(0, enc(null), enc(a))).toEqual(new Uint8Array(enc(a)));
      expect(guest.curveOp(0, enc(a), enc(null))).toEqual(new Uint8Array(enc(a)));
      expect(guest.curveOp(1, enc(null), enc(a))).toEqual(new Uint8Array(enc(a)));
      expect(guest.curveOp(2, enc(null), enc(a))).toEqual(new Uint8Array(enc(neg(a))));
    }
    expect(guest.curveOp(3, enc(null), enc(null))).toEqual(new Uint8Array(0));
    expect(guest.curveOp(0, enc(null), enc(null))).toEqual(new Uint8Array(0));
  });
});

describe('field and scalar arithmetic against BigInt', () => {
  const special = [
    0n, 1n, 2n, 3n, P - 1n, P - 2n, P - 3n, (P - 1n) / 2n, (P + 1n) / 2n, 2n ** 255n, 2n ** 224n,
    2n ** 256n - 2n ** 224n, 2n ** 192n, 2n ** 96n - 1n, 2n ** 96n, P - 2n ** 96n, 0xffffffffn, 2n ** 32n,
    2n ** 224n - 1n, P - 2n ** 192n, N, N - 1n,
  ];
  const values = [...special];
  for (let i = 0; i < 1500; i++) values.push(int(seededBytes(`field ${i}`, 32)) % P);

  it('add, sub, mul and sqr mod p', () => {
    const wrong: string[] = [];
    const ops: Array<[number, string, (a: bigint, b: bigint) => bigint]> = [
      [0, 'add', (a, b) => mod(a + b, P)],
      [1, 'sub', (a, b) => mod(a - b, P)],
      [2, 'mul', (a, b) => (a * b) % P],
      [3, 'sqr', (a) => (a * a) % P],
    ];
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < (i < special.length ? special.length : 2); j++) {
        const a = values[i];
        const b = i < special.length ? special[j] : values[(i * 31 + j * 7) % values.length];
        for (const [op, name, f] of ops) {
          const got = int(guest.fieldOp(op, be32(a), be32(b))!);
          if (got !== f(a, b)) wrong.push(`${name}(${a.toString(16)}, ${b.toString(16)}) = ${got.toString(16)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('inverse mod p', () => {
    for (const a of values.slice(0, special.length + 40)) {
      const want = a === 0n ? 0n : modInv(a, P);
      expect(int(guest.fieldOp(4, be32(a), be32(0n))!)).toBe(want);
    }
  });

  const scalars = [1n, 2n, 3n, N - 1n, N - 2n, (N - 1n) / 2n, (N + 1n) / 2n, 2n ** 255n, 2n ** 128n, 0xffffffffn, 2n ** 32n];
  for (let i = 0; i < 300; i++) scalars.push(int(seededBytes(`scalar ${i}`, 32)) % (N - 1n) + 1n);

  it('division mod n', () => {
    for (let i = 0; i < scalars.length; i++) {
      const num = i % 7 === 0 ? 0n : scalars[(i * 13) % scalars.length];
      const den = scalars[i];
      expect(int(guest.scalarDiv(be32(num), be32(den))!)).toBe(mod(num * modInv(den, N), N));
    }
    // A denominator outside [1, n - 1] has no inverse; the result is 0 rather than a hang.
    for (const den of [0n, N, 2n ** 256n - 1n]) expect(int(guest.scalarDiv(be32(5n), be32(den))!)).toBe(0n);
  });

  it('Montgomery multiplication mod n', () => {
    const rInv = modInv(2n ** 256n, N);
    const lefts = [...scalars, 0n, N, 2n ** 256n - 1n]; // the left factor may be any 256-bit value
    for (let i = 0; i < lefts.length; i++) {
      const a = lefts[i];
      const b = i % 5 === 0 ? N - 1n : scalars[(i * 17) % scalars.length];
      expect(int(guest.scalarMontMul(be32(a), be32(b))!)).toBe(mod(a * b * rInv, N));
    }
  });
});
