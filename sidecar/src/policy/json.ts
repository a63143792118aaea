/**
 * Strict JSON (RFC 8259) for hostile input: JWT headers and claims, JWKS documents and policy
 * files. It takes the same decisions as the wasm plugin's parser (assembly/encoding/json.ts), so
 * both enforcement points accept and refuse the same bytes:
 *  - input must be well-formed UTF-8; a leading byte order mark is refused;
 *  - exactly one value, surrounded only by space, tab, LF, CR;
 *  - duplicate member names (after unescaping) are refused: `{"sub":"a","sub":"b"}` must not
 *    mean different things to different parsers;
 *  - only the RFC escapes; raw control characters and lone surrogate escapes are refused;
 *  - numbers follow the RFC grammar and must be finite as doubles;
 *  - the size is checked first, and nesting deeper than `maxDepth` containers is refused.
 * The result is a small tree rather than JS objects: member order is kept as written (JS objects
 * move integer-like keys first), `__proto__` is just a name, and a number remembers whether its
 * literal was a plain integer (policy options such as `maxTokenBytes: 1.0` are refused).
 * The error texts and byte offsets are the plugin's.
 */

export type JsonNode =
  | { kind: 'null' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'number'; value: number; isInteger: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'array'; items: JsonNode[] }
  | { kind: 'object'; keys: string[]; values: JsonNode[] };

export type JsonObject = Extract<JsonNode, { kind: 'object' }>;

export type JsonParseResult = { ok: true; value: JsonNode } | { ok: false; error: string };

/** The member named exactly `name`, or undefined (also when `node` is not an object). */
export function member(node: JsonNode, name: string): JsonNode | undefined {
  if (node.kind !== 'object') return undefined;
  const i = node.keys.indexOf(name);
  return i < 0 ? undefined : node.values[i];
}

/** ASCII-only case-insensitive equality: the Kelvin sign `K` is not `k`. */
export function asciiEqualsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0x41 && x <= 0x5a) x |= 0x20;
    if (y >= 0x41 && y <= 0x5a) y |= 0x20;
    if (x !== y) return false;
  }
  return true;
}

/** First member (in document order) whose name equals `name` ignoring ASCII case. */
export function memberIgnoreCase(node: JsonNode, name: string): JsonNode | undefined {
  if (node.kind !== 'object') return undefined;
  for (let i = 0; i < node.keys.length; i++) if (asciiEqualsIgnoreCase(node.keys[i]!, name)) return node.values[i];
  return undefined;
}

/**
 * A JS value as a tree, for policies given as objects (tests, the sidecar's derived policy).
 * `undefined` members are left out, as JSON.stringify does; a number counts as an integer
 * literal when it is a whole number within ±2^53.
 */
export function fromJs(value: unknown): JsonNode {
  if (value === null || value === undefined) return { kind: 'null' };
  if (typeof value === 'boolean') return { kind: 'bool', value };
  if (typeof value === 'number') return { kind: 'number', value, isInteger: Number.isInteger(value) && Math.abs(value) <= 2 ** 53 };
  if (typeof value === 'string') return { kind: 'string', value };
  if (Array.isArray(value)) return { kind: 'array', items: value.map(fromJs) };
  if (typeof value === 'object') {
    const keys: string[] = [];
    const values: JsonNode[] = [];
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      keys.push(k);
      values.push(fromJs(v));
    }
    return { kind: 'object', keys, values };
  }
  return { kind: 'string', value: String(value) };
}

/** The tree as plain JS data (objects get no prototype, so `__proto__` stays data). */
export function toJs(node: JsonNode): unknown {
  switch (node.kind) {
    case 'null':
      return null;
    case 'bool':
    case 'number':
    case 'string':
      return node.value;
    case 'array':
      return node.items.map(toJs);
    case 'object': {
      const out: Record<string, unknown> = Object.create(null);
      node.keys.forEach((k, i) => (out[k] = toJs(node.values[i]!)));
      return out;
    }
  }
}

/** Compact JSON text of the tree (members in document order). */
export function toJsonText(node: JsonNode): string {
  switch (node.kind) {
    case 'null':
      return 'null';
    case 'bool':
    case 'number':
    case 'string':
      return JSON.stringify(node.value);
    case 'array':
      return `[${node.items.map(toJsonText).join(',')}]`;
    case 'object':
      return `{${node.keys.map((k, i) => `${JSON.stringify(k)}:${toJsonText(node.values[i]!)}`).join(',')}}`;
  }
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Offset of the first byte that is not part of well-formed UTF-8, or -1. */
function utf8InvalidOffset(bytes: Uint8Array): number {
  try {
    fatalUtf8.decode(bytes);
    return -1;
  } catch {
    // Rare (hostile input only): find the offset the way the plugin reports it.
  }
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lower = 0x80;
    let upper = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) need = 1;
    else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      if (b0 === 0xe0) lower = 0xa0;
      if (b0 === 0xed) upper = 0x9f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      if (b0 === 0xf0) lower = 0x90;
      if (b0 === 0xf4) upper = 0x8f;
    } else return i;
    for (let k = 1; k <= need; k++) {
      const b = i + k < n ? bytes[i + k]! : -1;
      if (b < lower || b > upper) return i;
      lower = 0x80;
      upper = 0xbf;
    }
    i += need + 1;
  }
  return -1;
}

/** Member names in error messages are attacker text: cap their length. */
function shorten(s: string): string {
  return s.length <= 32 ? s : `${s.slice(0, 32)}...`;
}

class ParseError extends Error {}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** Parses UTF-8 bytes (or a string, taken as its UTF-8 encoding). */
export function parseJson(input: Uint8Array | string, maxDepth: number, maxBytes: number): JsonParseResult {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
  const len = bytes.length;
  if (len > maxBytes) return { ok: false, error: `size ${len} exceeds limit ${maxBytes}` };
  if (len >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return { ok: false, error: 'byte order mark at 0' };
  const bad = utf8InvalidOffset(bytes);
  if (bad >= 0) return { ok: false, error: `invalid UTF-8 at ${bad}` };
  const depthLimit = maxDepth < 0 ? 0 : maxDepth;

  let pos = 0;
  let depth = 0;
  const fail = (what: string, at: number): never => {
    throw new ParseError(`${what} at ${at}`);
  };
  const skipWs = (): void => {
    while (pos < len) {
      const c = bytes[pos]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      pos++;
    }
  };
  const hex4 = (at: number): number => {
    if (len - at < 4) return -1;
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = bytes[at + i]!;
      let d: number;
      if (isDigit(c)) d = c - 0x30;
      else if ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) d = (c | 0x20) - 0x61 + 10;
      else return -1;
      v = (v << 4) | d;
    }
    return v;
  };
  const parseString = (): string => {
    const start = pos;
    let p = pos + 1;
    let out = '';
    let runStart = p;
    while (true) {
      if (p >= len) fail('unterminated string', start);
      const c = bytes[p]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        out += Buffer.from(bytes.subarray(runStart, p)).toString('utf8');
        if (p + 1 >= len) fail('unterminated string', start);
        const e = bytes[p + 1]!;
        const short: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
        if (short[e] !== undefined) {
          out += short[e];
          p += 2;
        } else if (e !== 0x75) {
          fail('invalid escape', p);
        } else {
          const u = hex4(p + 2);
          if (u < 0) fail('invalid \\u escape', p);
          if (u >= 0xd800 && u <= 0xdbff) {
            // A high surrogate must be followed by an escaped low surrogate.
            const lo = p + 7 < len && bytes[p + 6] === 0x5c && bytes[p + 7] === 0x75 ? hex4(p + 8) : -1;
            if (lo < 0xdc00 || lo > 0xdfff) fail('lone surrogate escape', p);
            out += String.fromCharCode(u, lo);
            p += 12;
          } else {
            if (u >= 0xdc00 && u <= 0xdfff) fail('lone surrogate escape', p);
            out += String.fromCharCode(u);
            p += 6;
          }
        }
        runStart = p;
        continue;
      }
      if (c < 0x20) fail('control character in string', p);
      // Input is validated UTF-8: the lead byte gives the sequence length.
      p += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    }
    out += Buffer.from(bytes.subarray(runStart, p)).toString('utf8');
    pos = p + 1;
    return out;
  };
  const parseNumber = (): JsonNode => {
    const start = pos;
    let p = pos;
    if (bytes[p] === 0x2d) p++;
    if (p >= len || !isDigit(bytes[p]!)) fail('invalid number', start);
    const intStart = p;
    if (bytes[p] === 0x30) {
      p++;
      // "01" is not a number: a leading zero must stand alone.
      if (p < len && isDigit(bytes[p]!)) fail('invalid number', start);
    } else {
      while (p < len && isDigit(bytes[p]!)) p++;
    }
    const intDigits = p - intStart;
    let plain = true;
    if (p < len && bytes[p] === 0x2e) {
      plain = false;
      p++;
      if (p >= len || !isDigit(bytes[p]!)) fail('invalid number', start);
      while (p < len && isDigit(bytes[p]!)) p++;
    }
    if (p < len && (bytes[p]! | 0x20) === 0x65) {
      plain = false;
      p++;
      if (p < len && (bytes[p] === 0x2b || bytes[p] === 0x2d)) p++;
      if (p >= len || !isDigit(bytes[p]!)) fail('invalid number', start);
      while (p < len && isDigit(bytes[p]!)) p++;
    }
    const text = Buffer.from(bytes.subarray(start, p)).toString('latin1');
    const value = Number(text);
    if (!Number.isFinite(value)) fail('number out of range', start);
    // Exactness is judged on the literal, not on the double (9007199254740993 rounds to 2^53).
    let isInteger = false;
    if (plain && intDigits <= 16) isInteger = BigInt(text.slice(intStart - start)) <= 2n ** 53n;
    pos = p;
    return { kind: 'number', value, isInteger };
  };
  const matches = (word: string): boolean => {
    if (len - pos < word.length) return false;
    for (let i = 0; i < word.length; i++) if (bytes[pos + i] !== word.charCodeAt(i)) return false;
    return true;
  };
  const parseValue = (): JsonNode => {
    if (pos >= len) fail('unexpected end of input', pos);
    const c = bytes[pos]!;
    if (c === 0x7b || c === 0x5b) {
      if (depth >= depthLimit) throw new ParseError(`depth limit ${depthLimit} exceeded at ${pos}`);
      depth++;
      const isObject = c === 0x7b;
      const close = isObject ? 0x7d : 0x5d;
      pos++;
      skipWs();
      const keys: string[] = [];
      const values: JsonNode[] = [];
      const items: JsonNode[] = [];
      if (pos < len && bytes[pos] === close) {
        pos++;
        depth--;
        return isObject ? { kind: 'object', keys, values } : { kind: 'array', items };
      }
      const seen = new Set<string>();
      while (true) {
        if (isObject) {
          if (pos >= len || bytes[pos] !== 0x22) fail(pos >= len ? 'unexpected end of input' : 'expected member name', pos);
          const keyPos = pos;
          const key = parseString();
          if (seen.has(key)) fail(`duplicate member ${JSON.stringify(shorten(key))}`, keyPos);
          seen.add(key);
          keys.push(key);
          skipWs();
          if (pos >= len || bytes[pos] !== 0x3a) fail(pos >= len ? 'unexpected end of input' : "expected ':'", pos);
          pos++;
          skipWs();
          values.push(parseValue());
        } else {
          items.push(parseValue());
        }
        skipWs();
        if (pos >= len) fail('unexpected end of input', pos);
        const d = bytes[pos]!;
        if (d === 0x2c) {
          pos++;
          skipWs();
          continue;
        }
        if (d === close) {
          pos++;
          depth--;
          return isObject ? { kind: 'object', keys, values } : { kind: 'array', items };
        }
        fail(isObject ? "expected ',' or '}'" : "expected ',' or ']'", pos);
      }
    }
    if (c === 0x22) return { kind: 'string', value: parseString() };
    if (c === 0x2d || isDigit(c)) return parseNumber();
    if (c === 0x74 && matches('true')) {
      pos += 4;
      return { kind: 'bool', value: true };
    }
    if (c === 0x66 && matches('false')) {
      pos += 5;
      return { kind: 'bool', value: false };
    }
    if (c === 0x6e && matches('null')) {
      pos += 4;
      return { kind: 'null' };
    }
    return fail(c === 0x74 || c === 0x66 || c === 0x6e ? 'invalid literal' : 'unexpected character', pos);
  };

  try {
    skipWs();
    const value = parseValue();
    skipWs();
    if (pos !== len) fail('unexpected character after value', pos);
    return { ok: true, value };
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, error: err.message };
    throw err;
  }
}
