// SHA-512 in the guest (assembly/crypto/sha512.ts) against FIPS 180-4 / NIST example values and
// node:crypto, one-shot and streamed with random chunk splits.
import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadHarness } from '../lib/harness.js';
import { seededRandom } from './seeded-random.js';

interface Harness {
  sha512(data: Uint8Array): Uint8Array;
  sha512Chunked(data: Uint8Array, cuts: Int32Array, mixUnsafe: number): Uint8Array;
}

let guest: Harness;
beforeAll(async () => {
  guest = await loadHarness<Harness>('crypto_ed25519');
});

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const nodeSha512 = (b: Uint8Array) => crypto.createHash('sha512').update(b).digest('hex');
const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

describe('sha512 known answers (FIPS 180-4 examples)', () => {
  const vectors: Array<[string, Uint8Array, string]> = [
    ['empty', ascii(''),
      'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e'],
    ['"abc"', ascii('abc'),
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f'],
    ['448-bit two-block', ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'),
      '204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445'],
    ['896-bit two-block', ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'),
      '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909'],
    ['one million "a"', new Uint8Array(1_000_000).fill(0x61),
      'e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b'],
  ];
  for (const [name, input, digest] of vectors) {
    it(name, () => {
      expect(nodeSha512(input)).toBe(digest); // the transcription of the expected value is right
      expect(hex(guest.sha512(input))).toBe(digest);
    });
  }
});

describe('sha512 agrees with node:crypto', () => {
  it('one-shot on every length 0..300 (all padding boundaries: 111, 112, 128, 239, 240, 256)', () => {
    const rand = seededRandom(512);
    for (let n = 0; n <= 300; n++) {
      const data = rand.bytes(n);
      expect(hex(guest.sha512(data)), `length ${n}`).toBe(nodeSha512(data));
    }
  });

  it('one-shot on 300 random lengths 0..1000', () => {
    const rand = seededRandom(1000);
    for (let i = 0; i < 300; i++) {
      const data = rand.bytes(rand.int(1001));
      expect(hex(guest.sha512(data)), `length ${data.length}`).toBe(nodeSha512(data));
    }
  });

  it('streamed with random chunk splits (update and updateUnsafe), reusing one hasher', () => {
    const rand = seededRandom(4242);
    let checked = 0;
    for (let i = 0; i < 600; i++) {
      const data = rand.bytes(rand.int(1001));
      // Cut points: sometimes many tiny pieces, sometimes a few large ones, with empty pieces.
      const pieces = rand.int(i % 3 === 0 ? 40 : 6);
      const cuts = Int32Array.from(
        Array.from({ length: pieces }, () => rand.int(data.length + 1)).sort((a, b) => a - b),
      );
      const expected = nodeSha512(data);
      expect(hex(guest.sha512Chunked(data, cuts, 0)), `length ${data.length} cuts ${cuts.join(',')}`).toBe(expected);
      expect(hex(guest.sha512Chunked(data, cuts, 1)), `length ${data.length} cuts ${cuts.join(',')} unsafe`).toBe(expected);
      checked += 2;
    }
    expect(checked).toBe(1200);
  });

  it('streamed byte by byte and block-straddling splits', () => {
    const rand = seededRandom(77);
    for (const n of [0, 1, 127, 128, 129, 255, 256, 257, 640]) {
      const data = rand.bytes(n);
      const everyByte = Int32Array.from({ length: n }, (_, k) => k);
      expect(hex(guest.sha512Chunked(data, everyByte, 1)), `bytewise ${n}`).toBe(nodeSha512(data));
      const straddle = Int32Array.from([1, 127, 129, 255, 383].filter((c) => c <= n));
      expect(hex(guest.sha512Chunked(data, straddle, 0)), `straddle ${n}`).toBe(nodeSha512(data));
    }
  });
});
