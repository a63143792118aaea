// Strict base64url (assembly/encoding/base64url.ts) against Node's Buffer, plus every rejection
// class the security checklist names: padding, '+', '/', whitespace, foreign bytes, len % 4 == 1
// and non-canonical trailing bits.
import { beforeAll, describe, expect, it } from 'vitest';
import { type EncodingHarness, int, loadEncoding, rng } from './helpers.js';

let h: EncodingHarness;
beforeAll(async () => {
  h = await loadEncoding();
});

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** Decodes through both entry points (string and ptr/len bytes); they must agree. */
function decodeBoth(s: string): Uint8Array | null {
  const fromString = h.b64Decode(s);
  const bytes = [...s].every((c) => c.charCodeAt(0) < 256) ? h.b64DecodeBytes(ascii(s)) : fromString;
  expect(bytes === null ? null : Array.from(bytes)).toEqual(fromString === null ? null : Array.from(fromString));
  return fromString;
}

describe('base64url round trips', () => {
  it('encodes and decodes random data of every length 0..300 like Buffer base64url', () => {
    const r = rng(0xb64);
    for (let len = 0; len <= 300; len++) {
      for (let rep = 0; rep < 4; rep++) {
        const data = Uint8Array.from({ length: len }, () => int(r, 256));
        const expected = Buffer.from(data).toString('base64url');
        const encoded = h.b64Encode(data);
        expect(encoded).toBe(expected);
        const decoded = decodeBoth(expected);
        expect(decoded).not.toBeNull();
        expect(Buffer.from(decoded!).equals(Buffer.from(data))).toBe(true);
      }
    }
  });

  it('decodes the empty string to zero bytes', () => {
    expect(Array.from(h.b64Decode('')!)).toEqual([]);
    expect(Array.from(h.b64DecodeBytes(new Uint8Array(0))!)).toEqual([]);
  });

  it('decodes every alphabet character in every position', () => {
    for (let i = 0; i < 64; i++) {
      const s = ALPHABET[i] + ALPHABET[(i * 7) % 64] + ALPHABET[(i * 13) % 64] + ALPHABET[(i * 29) % 64];
      expect(Buffer.from(decodeBoth(s)!).equals(Buffer.from(s, 'base64url'))).toBe(true);
    }
  });

  it('decodes RFC 4648 test vectors (url alphabet, unpadded)', () => {
    const vectors: Array<[string, string]> = [
      ['', ''], ['f', 'Zg'], ['fo', 'Zm8'], ['foo', 'Zm9v'], ['foob', 'Zm9vYg'], ['fooba', 'Zm9vYmE'], ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, enc] of vectors) {
      expect(h.b64Encode(Buffer.from(plain))).toBe(enc);
      expect(Buffer.from(decodeBoth(enc)!).toString()).toBe(plain);
    }
    // Bytes that need '-' and '_' (62 and 63).
    expect(h.b64Encode(Uint8Array.from([0xfb, 0xff, 0xbf]))).toBe('-_-_');
    expect(Array.from(decodeBoth('-_-_')!)).toEqual([0xfb, 0xff, 0xbf]);
  });
});

describe('base64url rejections', () => {
  it('rejects padding in any position', () => {
    for (const s of ['Zg==', 'Zm8=', 'Zg=', '=', '====', 'Zm9v====', 'Z=g', '=Zm9']) {
      expect(decodeBoth(s), s).toBeNull();
    }
  });

  it("rejects the standard alphabet's '+' and '/'", () => {
    expect(Buffer.from([0xfb, 0xff]).toString('base64')).toBe('+/8=');
    for (const s of ['+/8', '+w', '/w', 'ab+c', 'ab/c', 'Zm9v+A', 'Zm9v/A']) {
      expect(decodeBoth(s), s).toBeNull();
    }
  });

  it('rejects whitespace anywhere', () => {
    for (const s of [' Zm9v', 'Zm9v ', 'Zm 9v', 'Zm9v\n', 'Zm\r\n9v', '\tZm9v', 'Zm9\u000bv', 'Zm9\u000cv', 'Zm\u00a0v']) {
      expect(decodeBoth(s), JSON.stringify(s)).toBeNull();
    }
  });

  it('rejects every byte outside the alphabet, including bytes >= 0x80', () => {
    let rejected = 0;
    for (let b = 0; b < 256; b++) {
      const c = String.fromCharCode(b);
      if (ALPHABET.includes(c)) continue;
      for (const pos of [0, 1, 2, 3]) {
        const chars = ['Q', 'U', 'F', 'B'];
        chars[pos] = c;
        const s = chars.join('');
        expect(h.b64DecodeBytes(ascii(s)), `byte ${b} at ${pos}`).toBeNull();
        expect(h.b64Decode(s), `char ${b} at ${pos}`).toBeNull();
        rejected++;
      }
    }
    expect(rejected).toBe((256 - 64) * 4);
  });

  it('rejects non-ASCII code units in the string form (incl. ones whose low byte is valid)', () => {
    // U+0141 has low byte 0x41 ('A'): a decoder that truncates code units would accept it.
    for (const s of ['\u0141AAA', 'AA\u0141A', 'QUFB\u00e9', '\u{1F600}AA', 'AAA\u0130', '\uff21AAA']) {
      expect(h.b64Decode(s), s).toBeNull();
    }
    // Raw UTF-8 bytes of a non-ASCII character inside the byte form.
    expect(h.b64DecodeBytes(Buffer.from('QUF\u00e9', 'utf8'))).toBeNull();
  });

  it('rejects lengths with len % 4 == 1', () => {
    for (const s of ['A', 'QUFBQ', 'Zm9vY', 'Zm9vYmFyZ']) {
      expect(decodeBoth(s), s).toBeNull();
    }
    // ...while len % 4 == 2 and 3 are fine.
    expect(decodeBoth('QQ')).not.toBeNull();
    expect(decodeBoth('QUE')).not.toBeNull();
  });

  it('rejects non-canonical trailing bits ("QR" vs "QQ")', () => {
    expect(Array.from(decodeBoth('QQ')!)).toEqual([0x41]);
    // Node accepts these and decodes to the same bytes as the canonical form; we must not.
    expect(Buffer.from('QR', 'base64url')).toEqual(Buffer.from('QQ', 'base64url'));
    expect(decodeBoth('QR')).toBeNull();
    expect(Array.from(decodeBoth('QUE')!)).toEqual([0x41, 0x41]);
    expect(decodeBoth('QUF')).toBeNull();
    // Exhaustive over the last character: exactly the canonical ones pass.
    let ok2 = 0;
    let ok3 = 0;
    for (const c of ALPHABET) {
      const v = ALPHABET.indexOf(c);
      const two = decodeBoth('Q' + c);
      expect(two !== null, 'Q' + c).toBe((v & 0x0f) === 0);
      if (two) ok2++;
      const three = decodeBoth('QU' + c);
      expect(three !== null, 'QU' + c).toBe((v & 0x03) === 0);
      if (three) ok3++;
    }
    expect(ok2).toBe(4);
    expect(ok3).toBe(16);
  });

  it('re-encoding any accepted random string gives the same string (canonical only)', () => {
    const r = rng(0xc0ffee);
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const len = int(r, 12);
      let s = '';
      for (let j = 0; j < len; j++) s += ALPHABET[int(r, 64)];
      const d = decodeBoth(s);
      if (len % 4 === 1) {
        expect(d).toBeNull();
        continue;
      }
      if (d !== null) {
        accepted++;
        expect(h.b64Encode(d)).toBe(s);
      } else {
        // Rejected only for non-canonical trailing bits: Node's lenient decode re-encodes differently.
        expect(Buffer.from(s, 'base64url').toString('base64url')).not.toBe(s);
      }
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});
