// JsonWriter and jsonQuote (assembly/encoding/jsonout.ts): output must parse with JSON.parse to
// the same value, strings must be escaped exactly like JSON.stringify, and misuse must be
// reported rather than produce silently broken JSON.
import { beforeAll, describe, expect, it } from 'vitest';
import { type EncodingHarness, int, loadEncoding, pick, rng } from './helpers.js';

let h: EncodingHarness;
beforeAll(async () => {
  h = await loadEncoding();
});

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;

describe('jsonQuote', () => {
  it('escapes quotes, backslash and every control character like JSON.stringify', () => {
    for (let c = 0; c < 0x80; c++) {
      const s = `a${String.fromCharCode(c)}b`;
      expect(h.jsonQuoteString(s), `char ${c}`).toBe(JSON.stringify(s));
    }
    expect(h.jsonQuoteString('"\\\b\f\n\r\t\u0000\u001f')).toBe('"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f"');
    expect(h.jsonQuoteString('')).toBe('""');
  });

  it('keeps non-ASCII as is and escapes lone surrogates (well-formed JSON.stringify)', () => {
    for (const s of ['é', '\u00a0', '\u2028\u2029', '€𝄞😀', '\u{10ffff}', '\ud800', '\udfff', 'a\ud800b', '\udc00\ud800', '\ud83d\ude00\ud83d', '\ufeff']) {
      expect(h.jsonQuoteString(s), JSON.stringify(s)).toBe(JSON.stringify(s));
      expect(JSON.parse(h.jsonQuoteString(s))).toBe(s);
    }
    expect(h.jsonQuoteString('\ud800')).toBe('"\\ud800"');
  });

  it('matches JSON.stringify on 20,000 random strings', () => {
    const r = rng(0x9007);
    const pool = ['"', '\\', '/', '\n', '\u0000', '\u001f', '\u007f', 'é', '\u2028', '😀', '\ud800', '\udc00', 'a', ' ', '\t'];
    for (let i = 0; i < 20000; i++) {
      let s = '';
      const n = int(r, 20);
      for (let j = 0; j < n; j++) s += r() < 0.5 ? pick(r, pool) : String.fromCharCode(int(r, 0x10000));
      const q = h.jsonQuoteString(s);
      if (q !== JSON.stringify(s)) expect.fail(`${JSON.stringify(s)} -> ${q}`);
    }
  });
});

describe('JsonWriter numbers', () => {
  it('writes integers without a fraction and keeps -0', () => {
    expect(h.writerNumber(0)).toBe('0');
    expect(h.writerNumber(-0)).toBe('-0');
    expect(h.writerNumber(1)).toBe('1');
    expect(h.writerNumber(-1700000000)).toBe('-1700000000');
    expect(h.writerNumber(2 ** 53 - 1)).toBe('9007199254740991');
    expect(h.writerNumber(0.5)).toBe('0.5');
    expect(h.writerNumber(1e21)).toBe('1e+21');
    expect(h.writerNumber(1.5e-7)).toBe('1.5e-7');
    expect(h.writerNumber(2 ** 53)).toMatch(JSON_NUMBER);
  });

  it('writes null for NaN and infinities (JSON has no spelling for them)', () => {
    expect(h.writerNumber(NaN)).toBe('null');
    expect(h.writerNumber(Infinity)).toBe('null');
    expect(h.writerNumber(-Infinity)).toBe('null');
  });

  it('round-trips 20,000 random doubles through JSON.parse', () => {
    const r = rng(0xd7a);
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    for (let i = 0; i < 20000; i++) {
      let x: number;
      if (i % 2 === 0) {
        do {
          u32[0] = int(r, 2 ** 32);
          u32[1] = int(r, 2 ** 32);
          x = f64[0];
        } while (!Number.isFinite(x));
      } else {
        x = (r() - 0.5) * 10 ** (int(r, 50) - 25);
      }
      const s = h.writerNumber(x);
      if (!JSON_NUMBER.test(s) || !Object.is(JSON.parse(s), x)) expect.fail(`${x} -> ${s}`);
    }
  });

  it('writes i64 integers exactly', () => {
    for (const v of [0n, 1n, -1n, 9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]) {
      expect(h.writerInteger(v)).toBe(v.toString());
    }
  });
});

describe('JsonWriter structure', () => {
  it('produces compact JSON that parses back to the same value', () => {
    for (const [s, n] of [['invalid_token', 401], ['quote " back \\ nl \n tab \t nul \u0000', -0.25], ['é€😀\u2028', 1e300], ['', 0]] as const) {
      const out = h.writerSample(s, n);
      expect(out.startsWith('VALID:')).toBe(true);
      const json = out.slice('VALID:'.length);
      expect(JSON.parse(json)).toEqual({
        error: s,
        [s]: n,
        list: [-9007199254740991, true, false, null, {}, [], ''],
        nested: { a: [0.5] },
      });
      expect(json).toBe(JSON.stringify(JSON.parse(json))); // compact, same member order and spelling
    }
  });

  it('flags misuse instead of emitting broken JSON silently', () => {
    expect(h.writerMisuse(0)).toBe(1);
    for (let script = 1; script <= 10; script++) expect(h.writerMisuse(script), `script ${script}`).toBe(0);
  });
});
