// Random JSON document generator for differential tests against JSON.parse. It writes the text
// itself (not via JSON.stringify) so documents contain every escape form (\/, \uXXXX in either
// case, escaped surrogate pairs), raw non-ASCII, odd whitespace and varied number spellings.
// Member names are unique per object AFTER unescaping (the parser rejects duplicates).
import { int, pick } from './helpers.js';

const WS = [' ', '\t', '\n', '\r'];
const SHORT_ESCAPES: Array<[string, string]> = [
  ['\\"', '"'], ['\\\\', '\\'], ['\\/', '/'], ['\\b', '\b'], ['\\f', '\f'], ['\\n', '\n'], ['\\r', '\r'], ['\\t', '\t'],
];
const RAW_CHARS = ['a', 'Z', '0', ' ', '~', '\u007f', '\u00e9', '\u00a0', '\u03c0', '\u2028', '\u20ac', '\uffff', '\u{1f600}', '\u{10ffff}', '\u{1d11e}', '\u0800', '\u07ff'];

function hex4(n: number, upper: boolean): string {
  const s = n.toString(16).padStart(4, '0');
  return upper ? s.toUpperCase() : s;
}

/** Returns [json text, decoded value] for a random string literal. */
export function genString(r: () => number, maxLen = 12): [string, string] {
  let text = '"';
  let value = '';
  const len = int(r, maxLen + 1);
  for (let i = 0; i < len; i++) {
    const k = r();
    if (k < 0.45) {
      const c = String.fromCharCode(0x20 + int(r, 0x5f));
      if (c === '"' || c === '\\') continue;
      text += c;
      value += c;
    } else if (k < 0.6) {
      const [t, v] = pick(r, SHORT_ESCAPES);
      text += t;
      value += v;
    } else if (k < 0.75) {
      // \uXXXX of a random non-surrogate BMP code unit (including controls and quotes).
      let u: number;
      do u = r() < 0.5 ? int(r, 0x80) : int(r, 0x10000); while (u >= 0xd800 && u <= 0xdfff);
      text += '\\u' + hex4(u, r() < 0.5);
      value += String.fromCharCode(u);
    } else if (k < 0.82) {
      // Escaped surrogate pair.
      const cp = 0x10000 + int(r, 0x100000);
      const hi = 0xd800 + ((cp - 0x10000) >> 10);
      const lo = 0xdc00 + ((cp - 0x10000) & 0x3ff);
      text += '\\u' + hex4(hi, r() < 0.5) + '\\u' + hex4(lo, r() < 0.5);
      value += String.fromCodePoint(cp);
    } else {
      const c = r() < 0.5 ? pick(r, RAW_CHARS) : String.fromCodePoint(randomScalar(r));
      text += c;
      value += c;
    }
  }
  return [text + '"', value];
}

function randomScalar(r: () => number): number {
  for (;;) {
    const cp = pick(r, [0x80 + int(r, 0x780), 0x800 + int(r, 0xf800), 0x10000 + int(r, 0x100000)]);
    if (cp < 0xd800 || cp > 0xdfff) return cp;
  }
}

export function genNumber(r: () => number): string {
  const k = r();
  if (k < 0.3) return String(int(r, 2 ** 31) * (r() < 0.3 ? -1 : 1));
  if (k < 0.45) return String(Math.floor(r() * 2 ** 53));
  if (k < 0.6) return JSON.stringify((r() - 0.5) * 10 ** (int(r, 40) - 20));
  if (k < 0.65) return pick(r, ['0', '-0', '-0.0', '0e0', '1E+2', '1e-2', '0.5', '1.5e3', '1e-7', '9007199254740993']);
  let s = (r() < 0.3 ? '-' : '') + (r() < 0.2 ? '0' : String(1 + int(r, 9)) + String(int(r, 1e6)));
  if (r() < 0.5) s += '.' + String(int(r, 1e9));
  if (r() < 0.5) s += pick(r, ['e', 'E']) + pick(r, ['', '+', '-']) + String(int(r, 300));
  return s;
}

function ws(r: () => number): string {
  if (r() < 0.6) return '';
  let s = '';
  const n = 1 + int(r, 3);
  for (let i = 0; i < n; i++) s += pick(r, WS);
  return s;
}

/** A random JSON text with nesting up to `depth`. */
export function genDoc(r: () => number, depth: number): string {
  const k = r();
  if (depth > 0 && k < 0.25) {
    const n = int(r, 6);
    const parts: string[] = [];
    for (let i = 0; i < n; i++) parts.push(ws(r) + genDoc(r, depth - 1) + ws(r));
    return '[' + (n === 0 ? ws(r) : parts.join(',')) + ']';
  }
  if (depth > 0 && k < 0.5) {
    const n = int(r, 6);
    const seen = new Set<string>();
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const [keyText, key] = genString(r, 6);
      if (seen.has(key)) continue;
      seen.add(key);
      parts.push(ws(r) + keyText + ws(r) + ':' + ws(r) + genDoc(r, depth - 1) + ws(r));
    }
    return '{' + (parts.length === 0 ? ws(r) : parts.join(',')) + '}';
  }
  if (k < 0.7) return genString(r)[0];
  if (k < 0.9) return genNumber(r);
  return pick(r, ['true', 'false', 'null']);
}

/** Member names of every object, depth first, in document order. */
export function keyOrder(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) for (const x of v) keyOrder(x, out);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      out.push(k);
      keyOrder(x, out);
    }
  }
  return out;
}
