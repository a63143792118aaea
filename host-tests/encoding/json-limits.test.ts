// Limits (size before parsing, depth boundary), large and deep hostile inputs, duplicate
// detection on both sides of the linear/set switch, and the JsonValue accessors.
import { beforeAll, describe, expect, it } from 'vitest';
import { type EncodingHarness, loadEncoding, utf8 } from './helpers.js';

let h: EncodingHarness;
beforeAll(async () => {
  h = await loadEncoding();
});

const parse = (text: string | Uint8Array, depth: number, bytes: number): string =>
  h.jsonRoundTripLimits(typeof text === 'string' ? utf8(text) : text, depth, bytes);

const nestArrays = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const nestObjects = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
const nestMixed = (n: number): string => {
  let open = '';
  let close = '';
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) { open += '[0,'; close = ']' + close; } else { open += '{"k":'; close = '}' + close; }
  }
  return open + 'null' + close;
};

describe('JSON depth limit', () => {
  it('accepts exactly maxDepth levels and rejects maxDepth + 1 (arrays, objects, mixed)', () => {
    for (const max of [1, 2, 3, 16, 64, 100]) {
      for (const nest of [nestArrays, nestObjects, nestMixed]) {
        const ok = nest(max);
        expect(parse(ok, max, 1 << 20), `${nest.name}(${max})`).toBe(JSON.stringify(JSON.parse(ok)));
        expect(parse(nest(max + 1), max, 1 << 20)).toMatch(new RegExp(`^ERR:depth limit ${max} exceeded at \\d+$`));
      }
    }
    // Offset names the bracket that went one level too deep.
    expect(parse('[[[1]]]', 2, 100)).toBe('ERR:depth limit 2 exceeded at 2');
    expect(parse('{"a":{"b":{}}}', 2, 100)).toBe('ERR:depth limit 2 exceeded at 10');
  });

  it('counts depth, not the number of containers', () => {
    const wide = '[' + Array(500).fill('[{"a":[]}]').join(',') + ']';
    expect(parse(wide, 4, 1 << 20).startsWith('ERR')).toBe(false);
    expect(parse(wide, 3, 1 << 20)).toMatch(/^ERR:depth limit 3/);
  });

  it('maxDepth 0 allows only scalars', () => {
    expect(parse('1', 0, 10)).toBe('1');
    expect(parse('"x"', 0, 10)).toBe('"x"');
    expect(parse('[]', 0, 10)).toBe('ERR:depth limit 0 exceeded at 0');
    expect(parse('{}', 0, 10)).toBe('ERR:depth limit 0 exceeded at 0');
  });

  it('rejects 200,000 levels of nesting under a normal limit without trapping', () => {
    expect(parse('['.repeat(200000), 16, 1 << 20)).toBe('ERR:depth limit 16 exceeded at 16');
    expect(parse(nestObjects(100000), 16, 1 << 21)).toBe('ERR:depth limit 16 exceeded at 80');
  });

  it('parses 100,000 levels when the caller allows it (no recursion on the wasm stack)', () => {
    const deep = nestArrays(100000);
    expect(parse(deep, 100000, 1 << 20)).toBe(deep);
    const deepObj = nestObjects(50000);
    expect(parse(deepObj, 50000, 1 << 20)).toBe(deepObj);
    expect(parse('['.repeat(100000), 200000, 1 << 20)).toBe('ERR:unexpected end of input at 100000');
  });
});

describe('JSON size limit', () => {
  it('accepts input of exactly maxBytes and rejects one byte more', () => {
    const doc = '{"sub":"x"}';
    expect(parse(doc, 4, doc.length)).toBe(doc);
    expect(parse(doc, 4, doc.length - 1)).toBe(`ERR:size ${doc.length} exceeds limit ${doc.length - 1}`);
    expect(parse('', 4, 0)).toBe('ERR:unexpected end of input at 0');
    expect(parse('1', 4, 0)).toBe('ERR:size 1 exceeds limit 0');
    expect(parse('1', 4, -1)).toBe('ERR:size 1 exceeds limit -1');
  });

  it('checks the size before looking at the bytes', () => {
    const bad = new Uint8Array(9000).fill(0xff);
    expect(parse(bad, 4, 8192)).toBe('ERR:size 9000 exceeds limit 8192');
    expect(parse(bad, 4, 9000)).toBe('ERR:invalid UTF-8 at 0');
    expect(parse('['.repeat(9000), 4, 8192)).toBe('ERR:size 9000 exceeds limit 8192');
  });
});

describe('JSON large hostile inputs', () => {
  it('handles megabyte strings, numbers and arrays', () => {
    const MB = 1 << 20;
    const big = 'x'.repeat(MB - 10);
    expect(parse(`["${big}"]`, 4, MB)).toBe(`["${big}"]`);
    const escapes = '\\u00e9\\n\\ud83d\\ude00'.repeat(20000);
    expect(JSON.parse(parse(`"${escapes}"`, 4, MB))).toBe(JSON.parse(`"${escapes}"`));
    expect(parse('"' + 'a'.repeat(MB - 1), 4, MB)).toBe('ERR:unterminated string at 0');
    expect(parse('1'.repeat(400000), 4, MB)).toBe('ERR:number out of range at 0');
    expect(parse('0.' + '0'.repeat(400000) + '1', 4, MB)).toBe('0');
    expect(parse('0.' + '3'.repeat(400000), 4, MB)).toBe(String(Number('0.' + '3'.repeat(400000))));
    expect(parse('1e' + '9'.repeat(400000), 4, MB)).toBe('ERR:number out of range at 0');
    expect(parse('1e-' + '9'.repeat(400000), 4, MB)).toBe('0');
    const arr = '[' + Array(200000).fill('0').join(',') + ']';
    expect(parse(arr, 4, MB)).toBe(arr);
  });

  it('detects duplicates among 50,000 members (set path) and accepts them when distinct', () => {
    const members = Array.from({ length: 50000 }, (_, i) => `"k${i}":${i}`);
    const doc = '{' + members.join(',') + '}';
    expect(parse(doc, 4, 1 << 21)).toBe(doc);
    const dup = '{' + members.join(',') + ',"k\\u0031234":0}';
    expect(parse(dup, 4, 1 << 21)).toMatch(/^ERR:duplicate member "k1234" at \d+$/);
  });

  it('detects a duplicate at every position around the linear/set switch (32 members)', () => {
    for (let n = 1; n <= 40; n++) {
      for (let d = 0; d < n; d++) {
        const names = Array.from({ length: n }, (_, i) => `m${i}`);
        const doc = '{' + [...names, names[d]].map((k, i) => `"${k}":${i}`).join(',') + '}';
        expect(parse(doc, 4, 4096), doc).toMatch(new RegExp(`^ERR:duplicate member "m${d}" at `));
        const nested = `[${doc.replace(`"${names[d]}":${n}`, `"\\u006d${d}":${n}`)}]`;
        expect(parse(nested, 4, 4096), nested).toMatch(new RegExp(`^ERR:duplicate member "m${d}" at `));
      }
    }
  });

  it('keeps duplicate checks per object (same name in sibling and nested objects is fine)', () => {
    const doc = '{"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":{"b":1,"a":2}}';
    expect(parse(doc, 8, 4096)).toBe(doc);
    const many = '{' + Array.from({ length: 12 }, (_, i) => `"x${i}":{"x${i}":{"y":1}}`).join(',') + '}';
    expect(parse(many, 8, 4096)).toBe(many);
  });
});

describe('JsonValue accessors', () => {
  const doc = utf8('{"Issuer":"a","aud":["x","y"],"exp":1700000000,"ok":true,"no":false,"nil":null,"k\u212a":1,"":2}');

  it('get is exact and case-sensitive', () => {
    expect(h.jsonGet(doc, 'Issuer')).toBe('"a"');
    expect(h.jsonGet(doc, 'issuer')).toBe('MISSING');
    expect(h.jsonGet(doc, 'aud')).toBe('["x","y"]');
    expect(h.jsonGet(doc, 'exp')).toBe('1700000000');
    expect(h.jsonGet(doc, 'nil')).toBe('null');
    expect(h.jsonGet(doc, '')).toBe('2');
    expect(h.jsonGet(doc, 'ex')).toBe('MISSING');
    expect(h.jsonGet(utf8('[1]'), 'a')).toBe('MISSING');
    expect(h.jsonGet(utf8('"a"'), 'a')).toBe('MISSING');
  });

  it('getIgnoreCase folds ASCII only (Kelvin sign is not k)', () => {
    expect(h.jsonGetIgnoreCase(doc, 'ISSUER')).toBe('"a"');
    expect(h.jsonGetIgnoreCase(doc, 'issuer')).toBe('"a"');
    expect(h.jsonGetIgnoreCase(doc, 'AUD')).toBe('["x","y"]');
    expect(h.jsonGetIgnoreCase(doc, 'kk')).toBe('MISSING'); // the member is "k\u212a"
    expect(h.jsonGetIgnoreCase(doc, 'K\u212a')).toBe('1');
    expect(h.jsonGetIgnoreCase(doc, 'issuer ')).toBe('MISSING');
    expect(h.jsonGetIgnoreCase(doc, 'Issue')).toBe('MISSING');
    expect(h.jsonGetIgnoreCase(utf8('{"a@":1,"A`":2}'), 'A@')).toBe('1'); // '@'/'`' are not a case pair
    expect(h.jsonGetIgnoreCase(utf8('{"a@":1,"A`":2}'), 'a`')).toBe('2');
    expect(h.jsonGetIgnoreCase(utf8('{"[":1}'), '{')).toBe('MISSING');
  });

  it('getIgnoreCase returns the first match; ambiguousKeyIgnoreCase reports the clash', () => {
    const clash = utf8('{"jwksUrl":"a","x":1,"JWKSURL":"b"}');
    expect(h.jsonGetIgnoreCase(clash, 'jwksurl')).toBe('"a"');
    expect(h.jsonAmbiguousKey(clash)).toBe('JWKSURL');
    expect(h.jsonAmbiguousKey(doc)).toBe('NONE');
    expect(h.jsonAmbiguousKey(utf8('{"a":1,"b":2}'))).toBe('NONE');
  });

  it('kind predicates, isTrue and length', () => {
    expect(h.jsonKindInfo(utf8('null'))).toBe('kind=0 null=1 bool=0 true=0 number=0 string=0 array=0 object=0 length=0');
    expect(h.jsonKindInfo(utf8('true'))).toBe('kind=1 null=0 bool=1 true=1 number=0 string=0 array=0 object=0 length=0');
    expect(h.jsonKindInfo(utf8('false'))).toBe('kind=1 null=0 bool=1 true=0 number=0 string=0 array=0 object=0 length=0');
    expect(h.jsonKindInfo(utf8('1'))).toBe('kind=2 null=0 bool=0 true=0 number=1 string=0 array=0 object=0 length=0');
    expect(h.jsonKindInfo(utf8('"true"'))).toBe('kind=3 null=0 bool=0 true=0 number=0 string=1 array=0 object=0 length=0');
    expect(h.jsonKindInfo(utf8('[1,[2,3]]'))).toBe('kind=4 null=0 bool=0 true=0 number=0 string=0 array=1 object=0 length=2');
    expect(h.jsonKindInfo(utf8('{"a":1,"b":{}}'))).toBe('kind=5 null=0 bool=0 true=0 number=0 string=0 array=0 object=1 length=2');
  });
});
