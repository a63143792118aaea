// goJsonMarshal must produce byte-for-byte what Traefik's json.Marshal(map[string]any) hands the
// guest. The expected strings below were produced by Go 1.26 encoding/json from the same values.
import { describe, expect, it } from 'vitest';
import { GoJsonError, goJsonMarshal } from '../host/goJson.js';

describe('goJsonMarshal (Go encoding/json reference vectors)', () => {
  const vectors: Array<[unknown, string]> = [
    [{ b: 1, a: { d: [1, 'x'], c: null } }, '{"a":{"c":null,"d":[1,"x"]},"b":1}'],
    [{ s: '<a&b>' }, '{"s":"\\u003ca\\u0026b\\u003e"}'],
    [{ s: '\u2028\u2029' }, '{"s":"\\u2028\\u2029"}'],
    [{ s: '\b\f\n\r\t\x01\x1f\x7f"\\/' }, '{"s":"\\b\\f\\n\\r\\t\\u0001\\u001f\x7f\\"\\\\/"}'],
    [{ s: 'caf\u00e9 \u{1F600}' }, '{"s":"café 😀"}'],
    // Go sorts keys by UTF-8 bytes: U+FFFF (EF BF BF) before U+10000 (F0 90 80 80), the reverse
    // of JavaScript's UTF-16 order.
    [{ '\u{10000}': 2, '\uffff': 1 }, '{"\uffff":1,"\u{10000}":2}'],
    [{ b: 1, B: 2, a: 3, _: 4, 1: 5 }, '{"1":5,"B":2,"_":4,"a":3,"b":1}'],
    [{ n: [1.5, 1e21, 1e-7, 100, 0.000001, 123456789012345680000, -2.5e-8] }, '{"n":[1.5,1e+21,1e-7,100,0.000001,123456789012345680000,-2.5e-8]}'],
    [{ e: {}, l: [] }, '{"e":{},"l":[]}'],
    [{ '<k>': 'v' }, '{"\\u003ck\\u003e":"v"}'],
    [
      { issuer: 'https://auth.example.com/?a=1&b=2', audiences: ['mcp', 'x'], enabled: true },
      '{"audiences":["mcp","x"],"enabled":true,"issuer":"https://auth.example.com/?a=1\\u0026b=2"}',
    ],
    [null, 'null'],
  ];

  it.each(vectors.map(([v, want], i) => ({ i, v, want })))('vector $i', ({ v, want }) => {
    expect(goJsonMarshal(v)).toBe(want);
  });

  it('replaces invalid UTF-16 (Go: invalid UTF-8) with \\ufffd', () => {
    // Go: json.Marshal(map[string]any{"s": "\xffa"}) == {"s":"\ufffda"}
    expect(goJsonMarshal({ s: '\ud800a' })).toBe('{"s":"\\ufffda"}');
    expect(goJsonMarshal({ s: 'a\udc00' })).toBe('{"s":"a\\ufffd"}');
  });

  it('writes -0 like Go', () => {
    expect(goJsonMarshal({ z: -0 })).toBe('{"z":-0}');
  });

  it('refuses what Go cannot marshal', () => {
    expect(() => goJsonMarshal({ n: NaN })).toThrow(GoJsonError);
    expect(() => goJsonMarshal({ n: Infinity })).toThrow(/unsupported value/);
    expect(() => goJsonMarshal({ u: undefined })).toThrow(/unsupported type undefined/);
    expect(() => goJsonMarshal({ d: new Date(0) })).toThrow(/unsupported object Date/);
    expect(() => goJsonMarshal({ b: 1n })).toThrow(/unsupported type bigint/);
  });
});
