// Differential tests of the JSON parser against JSON.parse on generated documents, and a
// no-trap fuzz over random bytes and mutated documents (any exception out of the harness,
// including a wasm trap, fails the test).
import { beforeAll, describe, expect, it } from 'vitest';
import { deepSame, type EncodingHarness, int, jsParse, loadEncoding, pick, rng, utf8 } from './helpers.js';
import { genDoc, keyOrder } from './generate.js';

let h: EncodingHarness;
beforeAll(async () => {
  h = await loadEncoding();
});

// Where this parser is deliberately stricter than JSON.parse.
const STRICTER = /^ERR:(duplicate member|lone surrogate escape|depth limit|number out of range)/;

/**
 * Parses `bytes` with both parsers and checks they are consistent: whatever we accept, JSON.parse
 * accepts with the same value; whatever JSON.parse accepts, we accept unless a stricter rule applies.
 * Returns whether we accepted.
 */
function differential(bytes: Uint8Array): boolean {
  const out = h.jsonRoundTrip(bytes);
  const js = jsParse(bytes);
  if (out.startsWith('ERR:')) {
    expect(out).toMatch(/^ERR:[a-zA-Z'",:\]} -]+.* \d+$/s);
    if (js !== undefined) expect(out, Buffer.from(bytes).toString('hex')).toMatch(STRICTER);
    return false;
  }
  expect(js, `we accepted what JSON.parse rejects: ${Buffer.from(bytes).toString('hex')}`).toBeDefined();
  expect(deepSame(JSON.parse(out), js!.value), `${out} vs ${Buffer.from(bytes).toString()}`).toBe(true);
  return true;
}

describe('JSON: agreement with JSON.parse on generated documents', () => {
  it('parses 5000 random documents to the same values, members in document order', () => {
    const r = rng(0x150f);
    let objects = 0;
    for (let i = 0; i < 5000; i++) {
      const text = genDoc(r, 1 + int(r, 6));
      const out = h.jsonRoundTrip(utf8(text));
      expect(out.startsWith('ERR:'), `${out} for ${text}`).toBe(false);
      const expected = JSON.parse(text);
      expect(deepSame(JSON.parse(out), expected), `${out} vs ${text}`).toBe(true);
      // JSON.parse keeps insertion order except for array-index names, which it sorts first.
      const keys = keyOrder(expected);
      if (keys.length > 0) objects++;
      if (!keys.some((k) => /^(0|[1-9]\d*)$/.test(k))) expect(keyOrder(JSON.parse(out))).toEqual(keys);
    }
    expect(objects).toBeGreaterThan(1000);
  });

  it('rejects the same documents once a duplicate member (possibly escaped) is spliced in', () => {
    const r = rng(0xd0b);
    let tested = 0;
    for (let i = 0; i < 1500; i++) {
      const text = genDoc(r, 4);
      const value = JSON.parse(text);
      // Pick a top-level object with at least one member and re-add one of its names.
      if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
      const names = Object.keys(value);
      if (names.length === 0) continue;
      const name = pick(r, names);
      const spelled = r() < 0.5 ? JSON.stringify(name) : '"' + [...name].map((c) => c.split('').map((u) => '\\u' + u.charCodeAt(0).toString(16).padStart(4, '0')).join('')).join('') + '"';
      const dup = r() < 0.5 ? `{${spelled}:0,${text.trim().slice(1)}` : `${text.trim().slice(0, -1)},${spelled}:0}`;
      expect(JSON.parse(dup)).toBeDefined(); // JSON.parse silently keeps the last one
      expect(h.jsonRoundTrip(utf8(dup)), dup).toMatch(/^ERR:duplicate member ".*" at \d+$/s);
      tested++;
    }
    expect(tested).toBeGreaterThan(200);
  });
});

describe('JSON: never traps', () => {
  it('survives 10,000 random byte strings, agreeing with JSON.parse on all it accepts', () => {
    const r = rng(0xf022);
    const alphabet = utf8('{}[]:,"\\/ \t\r\n0123456789-+.eEtrufalsn\u00e9');
    let accepted = 0;
    for (let i = 0; i < 10000; i++) {
      const len = int(r, 48);
      const bytes = new Uint8Array(len);
      for (let j = 0; j < len; j++) bytes[j] = r() < 0.8 ? alphabet[int(r, alphabet.length)] : int(r, 256);
      if (differential(bytes)) accepted++;
    }
    expect(accepted).toBeGreaterThan(50);
  });

  it('survives 10,000 mutated valid documents, agreeing with JSON.parse', () => {
    const r = rng(0x3a7e);
    const inserts = utf8('{}[]:,"\\ 0-.eE\u0000\u001f\u007f');
    let accepted = 0;
    for (let i = 0; i < 10000; i++) {
      const base = Array.from(utf8(genDoc(r, 1 + int(r, 5))));
      const mutations = 1 + int(r, 3);
      for (let m = 0; m < mutations && base.length > 0; m++) {
        const at = int(r, base.length);
        switch (int(r, 6)) {
          case 0: base[at] = int(r, 256); break;
          case 1: base[at] ^= 1 << int(r, 8); break;
          case 2: base.splice(at, 0, inserts[int(r, inserts.length)]); break;
          case 3: base.splice(at, 1); break;
          case 4: base.splice(at, 0, ...base.slice(at, at + int(r, 8))); break;
          default: base.length = at; break;
        }
      }
      if (differential(Uint8Array.from(base))) accepted++;
    }
    expect(accepted).toBeGreaterThan(1000);
  });
});
