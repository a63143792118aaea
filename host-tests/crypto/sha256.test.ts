// Guest SHA-256 (assembly/crypto/sha256.ts) against FIPS 180-4 vectors and node:crypto, one-shot and
// streamed in random chunk splits (a published AssemblyScript SHA-256 passed one-shot tests while
// hashing streamed input wrong).
import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHarness } from '../lib/harness.js';

interface CryptoHarness {
  sha256(data: Uint8Array): Uint8Array;
  sha256Streamed(data: Uint8Array, chunkLengths: Int32Array, viaPointers: number): Uint8Array;
  sha256AfterReset(discarded: Uint8Array, data: Uint8Array): Uint8Array;
}

let guest: CryptoHarness;
beforeAll(async () => {
  guest = await loadHarness<CryptoHarness>('crypto_rsa');
});

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nodeSha256 = (data: Uint8Array): string => crypto.createHash('sha256').update(data).digest('hex');
const ascii = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'latin1'));

// Deterministic pseudo-random numbers so a failure can be reproduced (mulberry32).
function makeRandom(seed: number): (limit: number) => number {
  let state = seed >>> 0;
  return (limit) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % limit);
  };
}

function randomBytes(random: (limit: number) => number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = random(256);
  return out;
}

/** Chunk lengths that add up to `total`, with zero-length chunks and block-boundary sizes mixed in. */
function randomSplit(random: (limit: number) => number, total: number): Int32Array {
  const chunks: number[] = [];
  let left = total;
  while (left > 0) {
    const pick = random(5);
    // Empty, exactly one block, tiny, or anything up to 200 bytes.
    const size = [0, 64, 1 + random(8), random(Math.min(left, 200) + 1), random(Math.min(left, 200) + 1)][pick];
    chunks.push(Math.min(size, left));
    left -= Math.min(size, left);
  }
  return Int32Array.from(chunks);
}

describe('SHA-256 FIPS 180-4 vectors', () => {
  const vectors: Array<[string, Uint8Array, string]> = [
    ['"abc"', ascii('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    ['empty string', ascii(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    [
      '448-bit message',
      ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      '896-bit message',
      ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno' +
        'ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
  ];
  for (const [name, message, digest] of vectors) {
    it(`hashes ${name} one-shot and streamed`, () => {
      expect(hex(guest.sha256(message))).toBe(digest);
      expect(hex(guest.sha256Streamed(message, Int32Array.from([1, 2, 3]), 0))).toBe(digest);
      expect(hex(guest.sha256Streamed(message, Int32Array.from([5]), 1))).toBe(digest);
    });
  }

  it('hashes one million "a" one-shot and in 1000-byte and odd-sized chunks', () => {
    const million = new Uint8Array(1_000_000).fill(0x61);
    const digest = 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0';
    expect(hex(guest.sha256(million))).toBe(digest);
    expect(hex(guest.sha256Streamed(million, new Int32Array(1000).fill(1000), 0))).toBe(digest);
    expect(hex(guest.sha256Streamed(million, new Int32Array(20_000).fill(61), 1))).toBe(digest);
  });
});

describe('SHA-256 agrees with node:crypto', () => {
  it('for every length 0..1000 (random contents), one-shot', () => {
    const random = makeRandom(1);
    const mismatches: number[] = [];
    for (let length = 0; length <= 1000; length++) {
      const data = randomBytes(random, length);
      if (hex(guest.sha256(data)) !== nodeSha256(data)) mismatches.push(length);
    }
    expect(mismatches).toEqual([]);
  });

  it('for 600 random messages in random chunk splits, via update()/digest() and updateUnsafe()/digestInto()', () => {
    const random = makeRandom(2);
    const mismatches: string[] = [];
    for (let round = 0; round < 600; round++) {
      const data = randomBytes(random, random(1001));
      const split = randomSplit(random, data.length);
      const viaPointers = round & 1;
      if (hex(guest.sha256Streamed(data, split, viaPointers)) !== nodeSha256(data)) {
        mismatches.push(`length ${data.length} split [${split.join(',')}] viaPointers ${viaPointers}`);
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('forgets absorbed input on reset()', () => {
    const random = makeRandom(3);
    for (const [discarded, length] of [[1, 0], [63, 10], [64, 64], [100, 1000]]) {
      const data = randomBytes(random, length);
      expect(hex(guest.sha256AfterReset(randomBytes(random, discarded), data))).toBe(nodeSha256(data));
    }
  });
});
