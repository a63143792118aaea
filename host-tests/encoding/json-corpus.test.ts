// Accept/reject corpus for the strict JSON parser (assembly/encoding/json.ts), modelled on
// JSONTestSuite's y_ (must accept) and n_ (must reject) files, plus the project's stricter rules:
// duplicate members, lone surrogate escapes, BOM, out-of-range numbers, limits.
// Every accepted case must also agree with JSON.parse on the value.
import { beforeAll, describe, expect, it } from 'vitest';
import { deepSame, type EncodingHarness, jsParse, loadEncoding, utf8 } from './helpers.js';

let h: EncodingHarness;
beforeAll(async () => {
  h = await loadEncoding();
});

const r = String.raw;

// y_: valid JSON that must parse to the same value as JSON.parse.
const ACCEPT: string[] = [
  // arrays and whitespace
  r`[]`, r`[[]   ]`, r`[""]`, r`["a"]`, r`[false]`, r`[null, 1, "1", {}]`, r`[null]`, '[1\n]', ' [1]',
  r`[1,null,null,null,2]`, '[2] ', '\t[\r\n1\t]\r\n', ' \n\r\t[ \n\r\t1 \n\r\t, \n\r\t2 \n\r\t] \n\r\t',
  r`[[[[[[[[[[]]]]]]]]]]`, r`[{}, [], {"a": []}]`,
  // numbers
  r`[123e65]`, r`[0e+1]`, r`[0e1]`, r`[ 4]`, r`[-0]`, r`[-123]`, r`[-1]`, r`[20e1]`, r`[1E22]`, r`[1E-2]`, r`[1E+2]`,
  r`[123e45]`, r`[123.456e78]`, r`[1e-2]`, r`[1e+2]`, r`[123]`, r`[123.456789]`, r`[0]`, r`[-0.0]`, r`[0.0e-0]`,
  r`[-0.000000000000000000000000000000000000000000000000000000000000000000000000000001]`,
  r`[1.7976931348623157e308]`, r`[-1.7976931348623157e308]`, r`[5e-324]`, r`[2.2250738585072014e-308]`,
  r`[1e-400]`, r`[-1e-400]`, r`[100000000000000000000000000000000000000000000000000]`,
  r`[9007199254740993]`, r`[0.1]`, r`[1.5e3]`, r`[1e-7]`, r`1700000000`, r`-9007199254740992`,
  // objects
  r`{}`, r`{"asd":"sdf", "dfg":"fgh"}`, r`{"asd":"sdf"}`, r`{"":0}`, r`{"foo\u0000bar": 42}`,
  r`{ "min": -1.0e+28, "max": 1.0e+28 }`, r`{"x":[{"id": "xxx"}], "id": "xxx"}`, r`{"a":[]}`,
  '{\n"a": "b"\n}', r`{"a":{"a":{"a":1}}}`, r`{"a":1,"A":2}`, r`{"a":1,"a ":2,"\u00e9":3,"e\u0301":4}`,
  r`{"__proto__":1}`, r`{"constructor":{"prototype":null}}`,
  // strings and escapes
  r`["\u0060\u012a\u12AB"]`, r`["\uD801\udc37"]`, r`["\ud83d\ude39\ud83d\udc8d"]`, r`["\"\\\/\b\f\n\r\t"]`,
  r`["\\u0000"]`, r`["\""]`, r`["a/*b*/c/*d//e"]`, r`["\\a"]`, r`["\\n"]`, r`["\u0012"]`, r`["\uFFFF"]`,
  r`["asd"]`, r`[ "asd"]`, r`["\uDBFF\uDFFF"]`, r`["new\u00A0line"]`, r`["\u0000"]`, r`["\u002c"]`, '["π"]',
  '["\u{1BFFF}"]', r`["asd "]`, r`" "`, r`["\uD834\uDd1e"]`, r`["\u0821"]`, r`["\u0123"]`,
  r`["\u0061\u30af\u30EA\u30b9"]`, r`["new\u000Aline"]`, r`["\u200B"]`, r`["\u2064"]`, r`["\uFDD0"]`,
  r`["\uFFFE"]`, '["⍂㈴⍂"]', '["\u2028\u2029"]', '["€𝄞"]', '["\u007f"]', r`["\/"]`, r`["\u005C"]`,
  r`["\u0022"]`, '["\u{10FFFF}"]', '["\uE000\uFFFD"]',
  // top-level scalars
  r`false`, r`42`, r`-0.1`, r`null`, r`"asd"`, r`true`, r`""`, '["a"]\n', ' [] ', '  null  ',
];

// n_: must be rejected.
const REJECT: string[] = [
  // structure
  ``, ` `, `\n`, r`[1 true]`, '[a\u00e5]', r`["": 1]`, r`[""],`, r`[,1]`, r`[1,,2]`, r`["x",,]`, r`["x"]]`,
  r`["",]`, r`["x"`, r`[x`, r`[3[4]]`, r`[1:2]`, r`[,]`, r`[   , ""]`, '["a",\n4\n,1,', r`[1,]`, r`[1,,]`,
  r`[*]`, r`[""`, r`[1,`, '[1,\n1\n,1', r`[{}`, r`["x", truth]`, r`{`, r`[`, r`}`, r`]`, r`{]`, r`[}`,
  r`1 2`, r`[] []`, r`{}{}`, r`"a" "b"`, r`[1]x`, '[1]\u0000', '\u0000', '[\u000c]', '[\u00a0]',
  '\u2028[]', '[1]\u000b', '\ufeff[]', '\ufeff', '[1]\ufeff', r`[1]/**/`, r`[1]//`, r`/**/[1]`,
  r`[1]#`, r`[1];`, r`,`, r`:`,
  // objects
  r`{"x", null}`, r`{"x"::"b"}`, r`{[: "x"}`, r`{"a" b}`, r`{key: 'value'}`, r`{"a":"a" 123}`, r`{1:1}`,
  r`{null:null,null:null}`, r`{"id":0,,,,,}`, r`{'a':0}`, r`{"id":0,}`, r`{"a":"b"}/**/`, r`{"a":"b"}#`,
  r`{"a":"b",,"c":"d"}`, r`{a: "b"}`, r`{"a":"a`, r`{ "foo" : "bar", "a" }`, r`{"a"`, r`{"a" `, r`{"a":`,
  r`{"a" "b"}`, r`{"a",}`, r`{:"b"}`, r`{"a":"b"`, r`{"a":1 "b":2}`, r`{,}`, r`{"a":1,}`, r`{"a"=1}`,
  // duplicate members (project rule), including escaped spellings of the same name
  r`{"a":1,"a":2}`, r`{"a":1,"a":1}`, r`{"a":1,"\u0061":2}`, r`{"\u0061":1,"a":2}`, r`{"a":{"b":1,"b":2}}`,
  r`[{"a":1,"a":1}]`, '{"é":1,"\\u00e9":2}', '{"😀":1,"\\ud83d\\ude00":2}', r`{"a\/b":1,"a/b":2}`,
  r`{"":1,"":2}`, r`{"exp":1,"iat":2,"exp":3}`, r`{"a\n":1,"a\u000a":2}`, r`{"alg":"RS256","al\u0067":"none"}`,
  // numbers
  r`[++1234]`, r`[+1]`, r`[+Inf]`, r`[-01]`, r`[-1.0.]`, r`[-2.]`, r`[-NaN]`, r`[.-1]`, r`[.2e-3]`,
  r`[0.1.2]`, r`[0.3e+]`, r`[0.3e]`, r`[0.e1]`, r`[0E+]`, r`[0E]`, r`[0e+]`, r`[0e]`, r`[1.0e+]`, r`[1.0e-]`,
  r`[1.0e]`, r`[1 000.0]`, r`[1eE2]`, r`[2.e+3]`, r`[2.e-3]`, r`[2.e3]`, r`[9.e+]`, r`[Inf]`, r`[NaN]`,
  r`[012]`, r`[-012]`, r`[0x1]`, r`[0x42]`, r`[Infinity]`, r`[-Infinity]`, r`[1.]`, r`[.5]`, r`[1e]`, r`[-]`,
  r`[- 1]`, r`[1+2]`, r`[1e309]`, r`[-1e309]`, r`[1E400]`, r`{"a":1e999}`, r`[1.8e308]`, r`00`, r`-`,
  r`[1e+-2]`, r`[1e2.5]`, r`[0.0.0]`, r`[1_000]`, r`[１]`, r`[-.5]`, r`[1,0e]`,
  // strings
  r`["\uD800"]`, r`["\uDC00"]`, r`["\uD800\uD800"]`, r`["\uD800\u0041"]`, r`["\uD800abc"]`, r`["\uDFFF\uD800"]`,
  r`["\uD800\"]`, r`["\uDBFF"]`, r`["\ud83d"]`, r`["\ude00\ud83d"]`, r`["\x00"]`, r`["\a"]`, r`["\'"]`,
  r`["\U0041"]`, r`["\u00"]`, r`["\u00G0"]`, r`["\u+123"]`, r`["\u-123"]`, r`["\"]`, '["\\', r`["\uqqqq"]`,
  '["\t"]', '["new\nline"]', '["\u0000"]', '["\u001f"]', '["\r"]', r`['single quote']`, r`abc`, r`"`,
  r`["a`, r`["\u12"]`, r`"\u`, r`["\ "]`, r`["\0"]`, r`["\v"]`, r`["\e"]`, r`["\ud800\u"]`, r`["\ud800\ud"]`,
  // literals
  r`[tru]`, r`[True]`, r`[nul]`, r`[fals]`, r`[truee]`, r`[nulll]`, r`NULL`, r`nil`, r`[t]`, r`tRUE`, r`nan`,
  r`undefined`, r`[true false]`,
];

const b = (...parts: Array<string | number[]>): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

// Raw byte inputs: ill-formed UTF-8 must be rejected wherever it appears.
const BAD_UTF8: Array<[string, Uint8Array, number]> = [
  ['lone 0xFF', b('["', [0xff], '"]'), 2],
  ['overlong "/" (C0 AF)', b('["', [0xc0, 0xaf], '"]'), 2],
  ['overlong C1 BF', b('["', [0xc1, 0xbf], '"]'), 2],
  ['overlong 3-byte (E0 80 AF)', b('["', [0xe0, 0x80, 0xaf], '"]'), 2],
  ['overlong 3-byte (E0 9F BF)', b('["', [0xe0, 0x9f, 0xbf], '"]'), 2],
  ['overlong 4-byte (F0 80 80 AF)', b('["', [0xf0, 0x80, 0x80, 0xaf], '"]'), 2],
  ['overlong 4-byte (F0 8F BF BF)', b('["', [0xf0, 0x8f, 0xbf, 0xbf], '"]'), 2],
  ['UTF-8 encoded high surrogate (ED A0 80)', b('["', [0xed, 0xa0, 0x80], '"]'), 2],
  ['UTF-8 encoded low surrogate (ED BF BF)', b('["', [0xed, 0xbf, 0xbf], '"]'), 2],
  ['CESU-8 surrogate pair', b('["', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80], '"]'), 2],
  ['above U+10FFFF (F4 90 80 80)', b('["', [0xf4, 0x90, 0x80, 0x80], '"]'), 2],
  ['F5 lead byte', b('["', [0xf5, 0x80, 0x80, 0x80], '"]'), 2],
  ['FE byte', b('["', [0xfe], '"]'), 2],
  ['stray continuation 0x80', b('["', [0x80], '"]'), 2],
  ['stray continuation 0xBF', b('["a', [0xbf], '"]'), 3],
  ['truncated 2-byte at end of string', b('["', [0xc3], '"]'), 2],
  ['truncated 3-byte', b('["', [0xe2, 0x82], '"]'), 2],
  ['truncated 4-byte', b('["', [0xf0, 0x9f, 0x98], '"]'), 2],
  ['truncated at end of input', b('"', [0xe2, 0x82]), 1],
  ['lead byte followed by ASCII', b('["', [0xc3, 0x41], '"]'), 2],
  ['invalid byte outside strings', b('[1,', [0xff], ']'), 3],
  ['invalid byte in a member name', b('{"k', [0xc0, 0x80], '":1}'), 3],
  ['invalid byte after valid non-ASCII', b('["\u00e9\u20ac', [0xa9], '"]'), 7],
];

const GOOD_UTF8: Array<[string, Uint8Array, string]> = [
  ['U+0080', b('["', [0xc2, 0x80], '"]'), '\u0080'],
  ['U+07FF', b('["', [0xdf, 0xbf], '"]'), '\u07ff'],
  ['U+0800', b('["', [0xe0, 0xa0, 0x80], '"]'), '\u0800'],
  ['U+D7FF', b('["', [0xed, 0x9f, 0xbf], '"]'), '\ud7ff'],
  ['U+E000', b('["', [0xee, 0x80, 0x80], '"]'), '\ue000'],
  ['U+FFFF', b('["', [0xef, 0xbf, 0xbf], '"]'), '\uffff'],
  ['U+10000', b('["', [0xf0, 0x90, 0x80, 0x80], '"]'), '\u{10000}'],
  ['U+10FFFF', b('["', [0xf4, 0x8f, 0xbf, 0xbf], '"]'), '\u{10ffff}'],
];

describe('JSON corpus', () => {
  it('has a representative size', () => {
    expect(ACCEPT.length + REJECT.length + BAD_UTF8.length + GOOD_UTF8.length).toBeGreaterThanOrEqual(300);
  });

  it.each(ACCEPT.map((s) => [JSON.stringify(s), s]))('accepts %s', (_name, text) => {
    const out = h.jsonRoundTrip(utf8(text));
    expect(out.startsWith('ERR:'), out).toBe(false);
    const expected = JSON.parse(text);
    expect(deepSame(JSON.parse(out), expected), `${out} vs ${JSON.stringify(expected)}`).toBe(true);
  });

  it.each(REJECT.map((s) => [JSON.stringify(s), s]))('rejects %s', (_name, text) => {
    const out = h.jsonRoundTrip(utf8(text));
    expect(out.startsWith('ERR:'), out).toBe(true);
    expect(out).toMatch(/^ERR:.+ \d+$/); // short reason with an offset or limit
  });

  it.each(BAD_UTF8)('rejects invalid UTF-8: %s', (_name, bytes, offset) => {
    expect(h.utf8Check(bytes)).toBe(offset);
    expect(h.jsonRoundTrip(bytes)).toBe(`ERR:invalid UTF-8 at ${offset}`);
    expect(jsParse(bytes)).toBeUndefined(); // sanity: a strict decoder agrees
  });

  it.each(GOOD_UTF8)('accepts boundary UTF-8: %s', (_name, bytes, str) => {
    expect(h.utf8Check(bytes)).toBe(-1);
    expect(JSON.parse(h.jsonRoundTrip(bytes))).toEqual([str]);
  });

  it('checks UTF-8 across the 8-byte ASCII fast path', () => {
    for (let pos = 0; pos < 20; pos++) {
      const bytes = new Uint8Array(24).fill(0x61);
      bytes[pos] = 0xff;
      expect(h.utf8Check(bytes)).toBe(pos);
      expect(h.utf8Check(new Uint8Array(pos).fill(0x20))).toBe(-1);
    }
  });
});

describe('JSON error messages', () => {
  const err = (s: string | Uint8Array): string => h.jsonRoundTrip(typeof s === 'string' ? utf8(s) : s);

  it('names the problem and the byte offset', () => {
    expect(err('{"iss":"a","exp":1,"exp":2}')).toBe('ERR:duplicate member "exp" at 19');
    expect(err('{"a":1,"\\u0061":2}')).toBe('ERR:duplicate member "a" at 7');
    expect(err('[1,01]')).toBe('ERR:invalid number at 3');
    expect(err('[1e309]')).toBe('ERR:number out of range at 1');
    expect(err('  [1] x')).toBe('ERR:unexpected character after value at 6');
    expect(err('[1')).toBe('ERR:unexpected end of input at 2');
    expect(err('')).toBe('ERR:unexpected end of input at 0');
    expect(err('["\\uD800"]')).toBe('ERR:lone surrogate escape at 2');
    expect(err('["a\\x"]')).toBe('ERR:invalid escape at 3');
    expect(err('["a\nb"]')).toBe('ERR:control character in string at 3');
    expect(err('["abc')).toBe('ERR:unterminated string at 1');
    expect(err('[tru]')).toBe('ERR:invalid literal at 1');
    expect(err('{"a" 1}')).toBe("ERR:expected ':' at 5");
    expect(err('{"a":1 "b":2}')).toBe("ERR:expected ',' or '}' at 7");
    expect(err('[1 2]')).toBe("ERR:expected ',' or ']' at 3");
    expect(err('{1:2}')).toBe('ERR:expected member name at 1');
    expect(err('\ufeff{}')).toBe('ERR:byte order mark at 0');
    expect(err(b('["ab', [0xed, 0xa0, 0x80], '"]'))).toBe('ERR:invalid UTF-8 at 4');
  });

  it('escapes and shortens attacker-chosen member names in messages', () => {
    const long = 'k'.repeat(100);
    expect(err(`{"${long}":1,"${long}":2}`)).toBe(`ERR:duplicate member "${'k'.repeat(32)}..." at 106`);
    expect(err('{"a\\nb\\u0000":1,"a\\nb\\u0000":2}')).toBe('ERR:duplicate member "a\\nb\\u0000" at 16');
  });
});
