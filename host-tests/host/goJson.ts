// Serializes plugin options the way Traefik does before handing them to the guest:
// Go's `json.Marshal(map[string]any)` (encoding/json, Go >= 1.22). Differences from JSON.stringify:
// - object keys are sorted at every level, by their UTF-8 bytes (Go sorts map keys as strings);
// - `<`, `>`, `&` are escaped as \u003c, \u003e, \u0026 (HTML-safe escaping is on by default);
// - U+2028 and U+2029 are escaped; control characters use \b \f \n \r \t or \u00XX;
// - invalid UTF-16 (lone surrogates, which Go would see as invalid UTF-8) becomes \ufffd;
// - -0 is written "-0"; NaN/Infinity and non-JSON values are errors (Go's Marshal fails too).

const HEX = '0123456789abcdef';

export class GoJsonError extends Error {
  readonly code = 'ERR_GO_JSON_UNSUPPORTED';
}

function escapeString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const c2 = s.charCodeAt(i + 1);
      if (c2 >= 0xdc00 && c2 <= 0xdfff) {
        out += s[i] + s[i + 1];
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) { out += '\\ufffd'; continue; }
    switch (c) {
      case 0x22: out += '\\"'; continue;
      case 0x5c: out += '\\\\'; continue;
      case 0x08: out += '\\b'; continue;
      case 0x0c: out += '\\f'; continue;
      case 0x0a: out += '\\n'; continue;
      case 0x0d: out += '\\r'; continue;
      case 0x09: out += '\\t'; continue;
      case 0x2028: out += '\\u2028'; continue;
      case 0x2029: out += '\\u2029'; continue;
    }
    if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) {
      out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
      continue;
    }
    out += s[i];
  }
  return out + '"';
}

// Go formats float64 with strconv 'f' (or 'e' outside [1e-6, 1e21)) and the shortest digits that
// round-trip, which is what Number#toString produces too; only -0 differs.
function formatNumber(n: number, where: string): string {
  if (!Number.isFinite(n)) throw new GoJsonError(`json: unsupported value: ${n} at ${where}`);
  if (Object.is(n, -0)) return '-0';
  return String(n);
}

function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encode(value: unknown, where: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': return escapeString(value);
    case 'boolean': return value ? 'true' : 'false';
    case 'number': return formatNumber(value, where);
    case 'object': break;
    default: throw new GoJsonError(`json: unsupported type ${typeof value} at ${where}`);
  }
  if (Array.isArray(value)) {
    return '[' + value.map((v, i) => encode(v, `${where}[${i}]`)).join(',') + ']';
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new GoJsonError(`json: unsupported object ${proto?.constructor?.name ?? '?'} at ${where}`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  entries.sort(([a], [b]) => compareUtf8(a, b));
  return '{' + entries.map(([k, v]) => escapeString(k) + ':' + encode(v, `${where}.${k}`)).join(',') + '}';
}

/** Go `json.Marshal` of a `map[string]any` (or any JSON-like value). */
export function goJsonMarshal(value: unknown): string {
  return encode(value, '$');
}
