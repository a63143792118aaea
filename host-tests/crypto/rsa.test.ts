// Guest RS256 verification (assembly/crypto/rsa.ts + bignum.ts) against Wycheproof, node:crypto and
// BigInt arithmetic.
//
// Policy for Wycheproof results (we are strict):
// - "valid" must verify and "invalid" must fail.
// - "acceptable" must FAIL. In the SHA-256 files these are legacy encodings (DigestInfo without the
//   NULL algorithm parameters, flag MissingNull) that RFC 8017 does not produce; the guest compares
//   the whole encoded block with the one canonical encoding, so it rejects them. The test asserts
//   both that they are rejected and that they really are MissingNull vectors, so a new kind of
//   "acceptable" vector in an updated file gets looked at instead of silently rejected.
// - Key groups the key policy refuses (e != 65537, size outside 2048..4096: in these files the e = 3
//   groups) must be refused outright, so none of their vectors verify. Their vectors are also run with
//   the guest's opt-in e = 3 flag, where valid ones must verify, to show the refusal is policy and
//   not arithmetic (one of them is a signature just below n).
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHarness, repoRoot } from '../lib/harness.js';

interface RsaHarness {
  rsaKeyBits(n: Uint8Array, e: Uint8Array, allowExponent3: number): number;
  rsaVerify(n: Uint8Array, e: Uint8Array, msg: Uint8Array, sig: Uint8Array, allowExponent3: number): number;
  rsaVerifyDigest(
    n: Uint8Array, e: Uint8Array, digest: Uint8Array, sig: Uint8Array, allowExponent3: number,
  ): number;
  rsaPublicOperation(n: Uint8Array, e: Uint8Array, sig: Uint8Array, allowExponent3: number): Uint8Array;
}

const REFUSED = -1;
const INVALID = 0;
const VALID = 1;

let guest: RsaHarness;
beforeAll(async () => {
  guest = await loadHarness<RsaHarness>('crypto_rsa');
});

const fromHex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const fromB64u = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64url'));
const toBigInt = (bytes: Uint8Array): bigint =>
  (bytes.length ? BigInt(`0x${Buffer.from(bytes).toString('hex')}`) : 0n);
const E65537 = new Uint8Array([1, 0, 1]);
const E3 = new Uint8Array([3]);

/** Big-endian bytes of `value`, left-padded with zeros to `length`. */
function toBytes(value: bigint, length: number): Uint8Array {
  const text = value.toString(16).padStart(length * 2, '0');
  if (text.length > length * 2) throw new Error('value does not fit');
  return fromHex(text);
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  base %= modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
  }
  return result;
}

// Deterministic pseudo-random numbers so a failure can be reproduced (mulberry32).
function makeRandom(seed: number): (limit: number) => number {
  let state = seed >>> 0;
  return (limit) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % limit;
  };
}

function randomBytes(random: (limit: number) => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = random(256);
  return out;
}

/** A random odd number of exactly `bits` bits (top bit set), big-endian in ceil(bits / 8) bytes. */
function randomOddModulus(random: (limit: number) => number, bits: number): Uint8Array {
  const n = randomBytes(random, Math.ceil(bits / 8));
  const topBits = bits - 8 * (n.length - 1);
  n[0] = (n[0] & ((1 << topBits) - 1)) | (1 << (topBits - 1));
  n[n.length - 1] |= 1;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Wycheproof

interface WycheproofVector {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface WycheproofGroup {
  keySize: number;
  publicKey: { modulus: string; publicExponent: string };
  keyJwk: { n: string; e: string };
  tests: WycheproofVector[];
}
interface WycheproofFile { numberOfTests: number; testGroups: WycheproofGroup[] }

const WYCHEPROOF_DIR = path.join(repoRoot, '../shared/testdata/wycheproof');
const WYCHEPROOF_FILES = [
  'rsa_signature_2048_sha256_test.json',
  'rsa_signature_3072_sha256_test.json',
  'rsa_signature_4096_sha256_test.json',
];

const keyPolicyAccepts = (group: WycheproofGroup): boolean =>
  BigInt(`0x${group.publicKey.publicExponent}`) === 65537n && group.keySize >= 2048 && group.keySize <= 4096;

describe('Wycheproof RSASSA-PKCS1-v1_5 SHA-256', () => {
  for (const file of WYCHEPROOF_FILES) {
    const data = JSON.parse(readFileSync(path.join(WYCHEPROOF_DIR, file), 'utf8')) as WycheproofFile;
    const all = data.testGroups.flatMap((group) => group.tests);
    const count = (result: string): number => all.filter((t) => t.result === result).length;
    const refusedKeyVectors = data.testGroups
      .filter((group) => !keyPolicyAccepts(group))
      .reduce((sum, group) => sum + group.tests.length, 0);

    it(`${file}: all ${data.numberOfTests} vectors — ${count('valid')} valid verify, ${count('invalid')} invalid and ` +
      `${count('acceptable')} acceptable rejected, ${refusedKeyVectors} under refused keys`, () => {
      const mismatches: string[] = [];
      const seen = { valid: 0, invalid: 0, acceptable: 0, refusedKey: 0 };
      for (const group of data.testGroups) {
        const n = fromB64u(group.keyJwk.n);
        const e = fromB64u(group.keyJwk.e);
        // The JWK and the hex key agree (the hex modulus carries a leading zero byte, the JWK none).
        expect(toBigInt(n)).toBe(BigInt(`0x${group.publicKey.modulus}`));
        expect(toBigInt(e)).toBe(BigInt(`0x${group.publicKey.publicExponent}`));
        const accepted = keyPolicyAccepts(group);
        expect(guest.rsaKeyBits(n, e, 0)).toBe(accepted ? group.keySize : REFUSED);
        // The hex form, with its leading zero byte, is the same key.
        const hexModulus = fromHex(group.publicKey.modulus);
        expect(guest.rsaKeyBits(hexModulus, e, 0)).toBe(accepted ? group.keySize : REFUSED);

        for (const vector of group.tests) {
          const msg = fromHex(vector.msg);
          const sig = fromHex(vector.sig);
          const wanted = vector.result === 'valid' ? VALID : INVALID;
          if (vector.result === 'acceptable') expect(vector.flags).toEqual(['MissingNull']);
          seen[vector.result]++;
          if (accepted) {
            const got = guest.rsaVerify(n, e, msg, sig, 0);
            if (got !== wanted) {
              mismatches.push(`tcId ${vector.tcId} (${vector.result}: ${vector.comment}) -> ${got}`);
            }
          } else {
            seen.refusedKey++;
            const got = guest.rsaVerify(n, e, msg, sig, 0);
            if (got !== REFUSED) mismatches.push(`tcId ${vector.tcId} under refused key -> ${got}`);
            const withFlag = guest.rsaVerify(n, e, msg, sig, 1);
            if (withFlag !== wanted) {
              mismatches.push(`tcId ${vector.tcId} with e=3 allowed (${vector.comment}) -> ${withFlag}`);
            }
          }
        }
      }
      expect(mismatches).toEqual([]);
      expect(seen.valid + seen.invalid + seen.acceptable).toBe(data.numberOfTests);
      expect(seen).toEqual({
        valid: count('valid'),
        invalid: count('invalid'),
        acceptable: count('acceptable'),
        refusedKey: refusedKeyVectors,
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// node:crypto agreement

interface TestKey {
  bits: number;
  publicKey: crypto.KeyObject;
  privateKey: crypto.KeyObject;
  n: Uint8Array;
  e: Uint8Array;
}

function generateKey(bits: number): TestKey {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicExponent: 65537,
  });
  const jwk = publicKey.export({ format: 'jwk' });
  return { bits, publicKey, privateKey, n: fromB64u(jwk.n!), e: fromB64u(jwk.e!) };
}

describe('agreement with node:crypto on generated keys', () => {
  // Key generation is slow: a handful of keys, made once, each signing many messages.
  const SIGNATURES_PER_KEY: Record<number, number> = { 2048: 100, 3072: 60, 4096: 50 };
  let keys: TestKey[];
  beforeAll(() => {
    keys = [2048, 2048, 3072, 4096].map(generateKey);
  });

  const nodeVerify = (key: TestKey, msg: Uint8Array, sig: Uint8Array): number =>
    crypto.verify('sha256', msg, key.publicKey, sig) ? VALID : INVALID;

  it('verifies 310 fresh signatures and agrees with node on 5 tampered variants of each ' +
    '(signature/message bit flip, truncation, extension, leading zero byte)', () => {
    const random = makeRandom(10);
    const disagreements: string[] = [];
    const tally = { checked: 0, valid: 0 };
    for (const key of keys) {
      for (let round = 0; round < SIGNATURES_PER_KEY[key.bits]; round++) {
        const msg = randomBytes(random, random(300));
        const sig = new Uint8Array(crypto.sign('sha256', msg, key.privateKey));
        const flippedSig = sig.slice();
        flippedSig[random(sig.length)] ^= 1 << random(8);
        const flippedMsg = msg.length ? msg.slice() : new Uint8Array([0]);
        flippedMsg[random(flippedMsg.length)] ^= 1 << random(8);
        const cases: Array<[string, Uint8Array, Uint8Array]> = [
          ['original', msg, sig],
          ['signature bit flipped', msg, flippedSig],
          ['message bit flipped', flippedMsg, sig],
          ['signature truncated', msg, sig.subarray(0, sig.length - 1 - random(4))],
          ['signature extended', msg, Uint8Array.from([...sig, random(256)])],
          ['signature with a leading zero byte', msg, Uint8Array.from([0, ...sig])],
        ];
        for (const [name, m, s] of cases) {
          const want = nodeVerify(key, m, s);
          const got = guest.rsaVerify(key.n, key.e, m, s, 0);
          tally.checked++;
          if (got === VALID) tally.valid++;
          if (got !== want) disagreements.push(`${key.bits}-bit ${name}: guest ${got}, node ${want}`);
        }
      }
    }
    expect(disagreements).toEqual([]);
    expect(tally).toEqual({ checked: 6 * 310, valid: 310 });
  });

  it('agrees on edge-case signature values: 0, 1, n - 1, n, n + 1, all ones, empty', () => {
    const msg = new TextEncoder().encode('edge cases');
    for (const key of keys) {
      const k = key.n.length;
      const n = toBigInt(key.n);
      const cases: Array<[string, Uint8Array]> = [
        ['zero', new Uint8Array(k)],
        ['one', toBytes(1n, k)],
        ['n - 1', toBytes(n - 1n, k)],
        ['n', key.n],
        ['n + 1', toBytes(n + 1n, k)],
        ['all ones', new Uint8Array(k).fill(0xff)],
        ['empty', new Uint8Array(0)],
      ];
      for (const [name, sig] of cases) {
        expect({ name, bits: key.bits, got: guest.rsaVerify(key.n, key.e, msg, sig, 0) })
          .toEqual({ name, bits: key.bits, got: nodeVerify(key, msg, sig) });
      }
    }
  });

  it('keeps a leading zero byte of a signature significant: full length verifies, stripped is refused', () => {
    const key = keys[0];
    let msg = new Uint8Array(0);
    let sig = new Uint8Array(0);
    for (let counter = 0; sig[0] !== 0; counter++) {
      msg = new TextEncoder().encode(`leading zero ${counter}`);
      sig = new Uint8Array(crypto.sign('sha256', msg, key.privateKey));
    }
    expect(guest.rsaVerify(key.n, key.e, msg, sig, 0)).toBe(VALID);
    const stripped = sig.subarray(1);
    expect(nodeVerify(key, msg, stripped)).toBe(INVALID);
    expect(guest.rsaVerify(key.n, key.e, msg, stripped, 0)).toBe(INVALID);
  });

  it('checks the digest: a valid signature fails against any other digest or a digest of the wrong length', () => {
    const key = keys[0];
    const msg = new TextEncoder().encode('digest');
    const sig = new Uint8Array(crypto.sign('sha256', msg, key.privateKey));
    const digest = new Uint8Array(crypto.createHash('sha256').update(msg).digest());
    expect(guest.rsaVerifyDigest(key.n, key.e, digest, sig, 0)).toBe(VALID);
    for (let byte = 0; byte < 32; byte++) {
      const other = digest.slice();
      other[byte] ^= 0x80;
      expect(guest.rsaVerifyDigest(key.n, key.e, other, sig, 0)).toBe(INVALID);
    }
    expect(guest.rsaVerifyDigest(key.n, key.e, digest.subarray(0, 31), sig, 0)).toBe(INVALID);
    expect(guest.rsaVerifyDigest(key.n, key.e, Uint8Array.from([...digest, 0]), sig, 0)).toBe(INVALID);
    // The same key signing with SHA-384 (other DigestInfo, other digest length) is not RS256.
    const sig384 = new Uint8Array(crypto.sign('sha384', msg, key.privateKey));
    expect(guest.rsaVerify(key.n, key.e, msg, sig384, 0)).toBe(INVALID);
  });
});

// ---------------------------------------------------------------------------------------------
// Arithmetic

describe('modular exponentiation agrees with BigInt', () => {
  it('s^e mod n for random odd moduli of every size class 2048..4096 bits, e = 65537 and e = 3', () => {
    const random = makeRandom(20);
    const mismatches: string[] = [];
    // Sizes at the limb and byte boundaries (27-bit limbs) and random ones in between.
    const sizes = [2048, 2049, 2052, 2053, 2055, 2056, 2057, 3072, 4095, 4096];
    for (let i = 0; i < 150; i++) sizes.push(2048 + random(2049));
    for (const bits of sizes) {
      const nBytes = randomOddModulus(random, bits);
      const n = toBigInt(nBytes);
      const s = toBigInt(randomBytes(random, nBytes.length)) % n;
      for (const [e, eBytes] of [[65537n, E65537], [3n, E3]] as const) {
        const got = toBigInt(guest.rsaPublicOperation(nBytes, eBytes, toBytes(s, nBytes.length), 1));
        const want = modPow(s, e, n);
        if (got !== want) mismatches.push(`${bits} bits, e = ${e}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('handles s = 0, 1, 2, n - 1 and moduli of all-ones limbs; refuses s >= n', () => {
    const random = makeRandom(21);
    const moduli = [
      randomOddModulus(random, 2048),
      new Uint8Array(256).fill(0xff), // 2^2048 - 1: every limb at its maximum
      toBytes((1n << 4096n) - 1n, 512),
      toBytes((1n << 2047n) + 1n, 256), // smallest 2048-bit odd number
      toBytes((1n << 4095n) + 1n, 512),
    ];
    for (const nBytes of moduli) {
      const n = toBigInt(nBytes);
      const k = nBytes.length;
      for (const s of [0n, 1n, 2n, n - 1n, n - 2n, n >> 1n]) {
        const got = toBigInt(guest.rsaPublicOperation(nBytes, E65537, toBytes(s, k), 0));
        expect(got).toBe(modPow(s, 65537n, n));
      }
      expect(guest.rsaPublicOperation(nBytes, E65537, nBytes, 0).length).toBe(0);
      if (n + 1n < 1n << BigInt(8 * k)) {
        expect(guest.rsaPublicOperation(nBytes, E65537, toBytes(n + 1n, k), 0).length).toBe(0);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Key policy

describe('key refusal', () => {
  const random = makeRandom(30);
  let real2048: Uint8Array;
  beforeAll(() => {
    const { publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    real2048 = fromB64u(publicKey.export({ format: 'jwk' }).n!);
  });

  it('refuses 1024-bit (real) and 8192-bit moduli', () => {
    const real1024 = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const n1024 = fromB64u(real1024.publicKey.export({ format: 'jwk' }).n!);
    expect(guest.rsaKeyBits(n1024, E65537, 0)).toBe(REFUSED);
    const msg = new TextEncoder().encode('small key');
    const sig1024 = crypto.sign('sha256', msg, real1024.privateKey);
    expect(crypto.verify('sha256', msg, real1024.publicKey, sig1024)).toBe(true);
    expect(guest.rsaVerify(n1024, E65537, msg, sig1024, 0)).toBe(REFUSED);
    expect(guest.rsaKeyBits(randomOddModulus(random, 8192), E65537, 0)).toBe(REFUSED);
  });

  it('accepts exactly 2048..4096 bits, measured after stripping leading zero bytes', () => {
    expect(guest.rsaKeyBits(randomOddModulus(random, 2047), E65537, 0)).toBe(REFUSED);
    expect(guest.rsaKeyBits(randomOddModulus(random, 2048), E65537, 0)).toBe(2048);
    expect(guest.rsaKeyBits(randomOddModulus(random, 3000), E65537, 0)).toBe(3000);
    expect(guest.rsaKeyBits(randomOddModulus(random, 4096), E65537, 0)).toBe(4096);
    expect(guest.rsaKeyBits(randomOddModulus(random, 4097), E65537, 0)).toBe(REFUSED);
    expect(guest.rsaKeyBits(Uint8Array.from([0, 0, 0, ...real2048]), E65537, 0)).toBe(2048);
    const padded2047 = Uint8Array.from([0, ...randomOddModulus(random, 2047)]); // 257 bytes, 2047 bits
    expect(guest.rsaKeyBits(padded2047, E65537, 0)).toBe(REFUSED);
  });

  it('refuses an even modulus', () => {
    const even = real2048.slice();
    even[even.length - 1] &= 0xfe;
    expect(guest.rsaKeyBits(even, E65537, 0)).toBe(REFUSED);
    const even3072 = randomOddModulus(random, 3072);
    even3072[even3072.length - 1] &= 0xfe;
    expect(guest.rsaKeyBits(even3072, E65537, 0)).toBe(REFUSED);
  });

  it('refuses a zero-length or all-zero modulus', () => {
    expect(guest.rsaKeyBits(new Uint8Array(0), E65537, 0)).toBe(REFUSED);
    expect(guest.rsaKeyBits(new Uint8Array(256), E65537, 0)).toBe(REFUSED);
    expect(guest.rsaKeyBits(new Uint8Array([1]), E65537, 0)).toBe(REFUSED);
  });

  it('accepts e = 65537 (with or without leading zeros) and e = 3 only when opted in', () => {
    expect(guest.rsaKeyBits(real2048, E65537, 0)).toBe(2048);
    expect(guest.rsaKeyBits(real2048, Uint8Array.from([0, 0, 1, 0, 1]), 0)).toBe(2048);
    expect(guest.rsaKeyBits(real2048, E3, 0)).toBe(REFUSED);
    expect(guest.rsaKeyBits(real2048, E3, 1)).toBe(2048);
    expect(guest.rsaKeyBits(real2048, Uint8Array.from([0, 3]), 1)).toBe(2048);
  });

  it('refuses every other exponent, including ones whose low bytes read 65537', () => {
    const exponents = [
      [1], [], [0], [0, 0], [5], [17], [0xff, 0xff], [1, 0, 3], // 1, empty, 0, 0, 5, 17, 65535, 65539
      [1, 0, 1, 0, 1], [1, 0, 0, 0, 1, 0, 1], // 2^32 + 65537, 2^48 + 65537
      [1, 0, 1, 0], [1, 0, 0, 1], [2, 0, 1], // 65537 * 256, 2^24 + 1, 131073
    ];
    for (const e of exponents) {
      for (const allow3 of [0, 1]) {
        const bits = guest.rsaKeyBits(real2048, Uint8Array.from(e), allow3);
        expect({ e, allow3, bits }).toEqual({ e, allow3, bits: REFUSED });
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Robustness

describe('never traps on garbage', () => {
  it('returns -1/0/1 for 3000 random (n, e, msg, sig) combinations, and never verifies garbage', () => {
    const random = makeRandom(40);
    const plausibleLengths = [255, 256, 257, 384, 385, 511, 512, 513];
    const counts = { refused: 0, invalid: 0 };
    for (let round = 0; round < 3000; round++) {
      let n: Uint8Array;
      if (random(2) === 0) {
        n = randomBytes(random, random(700));
      } else {
        // A size that may pass the policy, with random top/bottom bits so some are and some aren't.
        n = randomBytes(random, plausibleLengths[random(plausibleLengths.length)]);
        if (random(4) !== 0) n[n.length - 1] |= 1;
        if (random(4) !== 0) n[0] |= 0x80;
      }
      const eChoices = [E65537, E3, randomBytes(random, random(9)), Uint8Array.from([0, 1, 0, 1])];
      const e = eChoices[random(eChoices.length)];
      let stripped = n.length;
      for (let i = 0; i < n.length && n[i] === 0; i++) stripped--;
      const sigLength = random(3) === 0 ? random(700) : stripped;
      const sig = randomBytes(random, sigLength);
      if (random(5) === 0 && sig.length) sig[0] = 0xff; // often >= n
      const msg = randomBytes(random, random(100));
      const allow3 = random(2);
      const result = random(2) === 0
        ? guest.rsaVerify(n, e, msg, sig, allow3)
        : guest.rsaVerifyDigest(n, e, randomBytes(random, random(65)), sig, allow3);
      expect([REFUSED, INVALID]).toContain(result);
      if (result === REFUSED) counts.refused++;
      else counts.invalid++;
    }
    // Both paths were exercised substantially.
    expect(counts.refused).toBeGreaterThan(500);
    expect(counts.invalid).toBeGreaterThan(500);
  });
});
