// Number conversion in the JSON parser (assembly/encoding/number.ts) against V8, whose
// Number()/JSON.parse are correctly rounded (round-half-even). Hard cases are built exactly with
// BigInt: the decimal expansion of the midpoint between two adjacent doubles, and values just
// above/below it, where any approximate algorithm picks the wrong neighbour.
import { beforeAll, describe, expect, it } from 'vitest';
import { type EncodingHarness, int, loadEncoding, pick, rng, utf8 } from './helpers.js';

let h: EncodingHarness;
beforeAll(async () => {
  h = await loadEncoding();
});

/** The parser's value for a top-level number literal; NaN when rejected. */
const parse = (text: string): number => h.jsonNumber(utf8(text));

/** Expect our conversion to match V8 bit for bit, or to reject when V8 overflows. */
function agree(text: string): void {
  const expected = Number(JSON.parse(text));
  const got = parse(text);
  if (!Number.isFinite(expected)) {
    expect(got, text).toBeNaN();
    expect(h.jsonRoundTrip(utf8(text)), text).toBe('ERR:number out of range at 0');
  } else if (!Object.is(got, expected)) {
    expect.fail(`${text.length > 120 ? text.slice(0, 60) + '...' + text.slice(-40) : text}: got ${got}, want ${expected}`);
  }
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const fromBits = (bits: bigint): number => {
  u64[0] = bits;
  return f64[0];
};
const toBits = (x: number): bigint => {
  f64[0] = x;
  return u64[0];
};

/** Exact decimal text of (2m+1) * 2^(e-1): the midpoint above m * 2^e, plus nudges. */
function midpointTexts(x: number): string[] {
  const bits = toBits(x);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const m = biased === 0 ? frac : frac | (1n << 52n);
  const e = (biased === 0 ? 1 : biased) - 1075;
  const twoMPlus1 = 2n * m + 1n;
  const exp2 = e - 1;
  let digits: bigint;
  let exp10: number;
  if (exp2 >= 0) {
    digits = twoMPlus1 << BigInt(exp2);
    exp10 = 0;
  } else {
    digits = twoMPlus1 * 5n ** BigInt(-exp2); // (2m+1) * 2^exp2 == digits * 10^exp2
    exp10 = exp2;
  }
  const t = (d: bigint, e10: number): string => (e10 === 0 ? d.toString() : `${d}e${e10}`);
  return [
    t(digits, exp10), // exactly halfway: round half to even
    t(digits * 10n + 1n, exp10 - 1), // a hair above
    t(digits * 10n - 1n, exp10 - 1), // a hair below
    t(digits * 10n ** 30n + 1n, exp10 - 30), // far digits decide
  ];
}

describe('JSON numbers: named cases', () => {
  it('parses the values claims use, exactly', () => {
    expect(parse('1.5e3')).toBe(1500);
    expect(Object.is(parse('-0'), -0)).toBe(true);
    expect(Object.is(parse('-0.0e5'), -0)).toBe(true);
    expect(Object.is(parse('0'), 0)).toBe(true);
    expect(parse('0.1')).toBe(0.1);
    expect(parse('1e-7')).toBe(1e-7);
    expect(parse('1700000000')).toBe(1700000000);
    expect(parse('1700000000.5')).toBe(1700000000.5);
    expect(parse('-1700000000')).toBe(-1700000000);
    expect(parse('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parse('9007199254740992')).toBe(2 ** 53);
    expect(parse('4294967296')).toBe(2 ** 32);
    expect(parse('1E22')).toBe(1e22);
    expect(parse('1e23')).toBe(1e23); // beyond exact powers of ten: slow path
    expect(parse('3.14159')).toBe(3.14159);
  });

  it('rounds 9007199254740993 (2^53 + 1, a tie) to even: 9007199254740992', () => {
    expect(parse('9007199254740993')).toBe(9007199254740992);
    expect(parse('9007199254740995')).toBe(9007199254740996); // tie, rounds up to even
    expect(parse('9007199254740993.0000000000000000001')).toBe(9007199254740994); // just above the tie
    expect(parse('-9007199254740993')).toBe(-9007199254740992);
  });

  it('sets isInteger only for plain literals with |n| <= 2^53', () => {
    const cases: Array<[string, number]> = [
      ['0', 1], ['-0', 1], ['1', 1], ['-1', 1], ['1700000000', 1], ['9007199254740992', 1], ['-9007199254740992', 1],
      ['9007199254740993', 0], ['-9007199254740993', 0], ['18446744073709551616', 0], ['12345678901234567', 0],
      ['1.0', 0], ['1e2', 0], ['1E0', 0], ['0.5', 0], ['1700000000.0', 0], ['100000000000000000000', 0],
    ];
    for (const [text, want] of cases) expect(h.jsonNumberIsInteger(utf8(text)), text).toBe(want);
    expect(h.jsonNumberIsInteger(utf8('"1"'))).toBe(-1);
    expect(h.jsonNumberIsInteger(utf8('1e309'))).toBe(-1);
  });

  it('rejects values that are not finite in f64', () => {
    for (const t of ['1e309', '-1e309', '1E400', '-1e99999999999999999999', '1.8e308', '17976931348623159e292',
      '1797693134862315807937289714053034150799341327710e260', '1' + '0'.repeat(309), '-' + '9'.repeat(400)]) {
      expect(parse(t), t).toBeNaN();
      expect(h.jsonRoundTrip(utf8(t)), t).toBe('ERR:number out of range at 0');
      expect(h.jsonRoundTrip(utf8(`{"exp":${t}}`)), t).toBe('ERR:number out of range at 7');
    }
  });

  it('handles the edges of the f64 range', () => {
    for (const t of [
      '1.7976931348623157e308', '1.7976931348623158e308', // rounds down to MAX_VALUE
      '179769313486231580793728971405301e276', // just below the overflow midpoint
      '2.2250738585072014e-308', '2.2250738585072011e-308', '2.225073858507201e-308', // normal/subnormal border
      '4.9406564584124654e-324', '5e-324', '2.4703282292062328e-324', '2.4703282292062327e-324', // min subnormal, half of it
      '1e-400', '-1e-400', '0e99999', '0.0000e-99999', '1e-99999999999', '123456789e-330', '0.' + '0'.repeat(400) + '1',
      '1' + '0'.repeat(308), '9'.repeat(308), '0.' + '9'.repeat(1000), '1e+0', '1e-0', '1E+308', '10E307',
    ]) agree(t);
  });

  it('handles many significant digits (truncated beyond the 800-digit buffer)', () => {
    agree('0.' + '1'.repeat(2000));
    agree('1'.repeat(300) + '.' + '2'.repeat(700));
    agree('4.' + '9'.repeat(900) + 'e-324');
    // Exact midpoint of 1 and 1 + 2^-52, padded with zeros past 800 digits, then with a final 1.
    const mid = midpointTexts(1)[0];
    const [d, e] = mid.split('e');
    agree(`${d}${'0'.repeat(900)}e${Number(e) - 900}`);
    agree(`${d}${'0'.repeat(900)}1e${Number(e) - 901}`);
  });
});

describe('JSON numbers: random agreement with V8', () => {
  it('agrees on integers, JS-printed doubles and random decimal literals', () => {
    const r = rng(0x5eed);
    const texts: string[] = [];
    for (let i = 0; i < 2000; i++) {
      texts.push(String(int(r, 2 ** 31)), String(Math.floor(r() * 2 ** 53)), String(-Math.floor(r() * 2 ** 53)));
      texts.push(String(2 ** 53 + int(r, 1000)));
    }
    for (let i = 0; i < 4000; i++) {
      // Doubles across the whole range from random bits, printed the ways JS can print them.
      let x: number;
      do x = fromBits((BigInt(int(r, 2 ** 32)) << 32n) | BigInt(int(r, 2 ** 32))); while (!Number.isFinite(x));
      texts.push(JSON.stringify(x), x.toExponential(int(r, 21)), x.toPrecision(1 + int(r, 21)).replace(/\.?$/, ''));
      const y = r() * 10 ** (int(r, 40) - 20);
      texts.push(JSON.stringify(y), y.toFixed(int(r, 20)));
    }
    for (let i = 0; i < 6000; i++) {
      // Random grammar-valid literals with many digits and wide exponents.
      const intLen = 1 + int(r, 30);
      let s = (r() < 0.3 ? '-' : '') + (r() < 0.15 ? '0' : String(1 + int(r, 9)) + Array.from({ length: intLen - 1 }, () => int(r, 10)).join(''));
      if (r() < 0.6) s += '.' + Array.from({ length: 1 + int(r, 30) }, () => (r() < 0.2 ? 0 : int(r, 10))).join('');
      if (r() < 0.7) s += pick(r, ['e', 'E']) + pick(r, ['', '+', '-']) + String(int(r, 360));
      texts.push(s);
    }
    // toPrecision may give "1.00e+21"-style or "123." forms; keep the valid JSON ones.
    const valid = texts.filter((t) => /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(t));
    expect(valid.length).toBeGreaterThan(30000);
    for (const t of valid) agree(t);
  });

  it('rounds exact halfway points and their neighbours correctly (normal and subnormal)', () => {
    const r = rng(0x4a1f);
    const xs: number[] = [1, 0.1, 1e23, 2 ** 53, 2 ** -1022, 5e-324, 1.7976931348623155e308, 2.225073858507201e-308];
    for (let i = 0; i < 600; i++) {
      let x: number;
      do x = Math.abs(fromBits((BigInt(int(r, 2 ** 32)) << 32n) | BigInt(int(r, 2 ** 32))));
      while (!Number.isFinite(x) || x === Number.MAX_VALUE);
      xs.push(x);
      xs.push(fromBits(BigInt(int(r, 2 ** 32)) * BigInt(1 + int(r, 2 ** 20)))); // subnormals and small normals
      xs.push(1 + int(r, 2 ** 30) * 2 ** -(int(r, 30))); // short decimal-ish values
    }
    let checked = 0;
    for (const x of xs) {
      for (const t of midpointTexts(x)) {
        agree(t);
        agree('-' + t);
        checked += 2;
      }
    }
    expect(checked).toBeGreaterThan(10000);
  });
});
