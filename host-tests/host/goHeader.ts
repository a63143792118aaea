// Go's net/http header model, which is what the http-wasm host reads and writes in Traefik:
// keys are canonicalized (textproto.CanonicalMIMEHeaderKey), values are byte strings kept in
// insertion order, Set replaces, Add appends, Del removes, Values is case-insensitive.

// Go's validHeaderFieldByte: RFC 7230 token characters.
function isTokenByte(c: number): boolean {
  if (c >= 0x30 && c <= 0x39) return true; // 0-9
  if (c >= 0x41 && c <= 0x5a) return true; // A-Z
  if (c >= 0x61 && c <= 0x7a) return true; // a-z
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

/**
 * textproto.CanonicalMIMEHeaderKey: "x-forwarded-for" -> "X-Forwarded-For". Keys with a byte
 * outside the token set (or a space) are returned unchanged, like Go.
 */
export function canonicalMIMEHeaderKey(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  for (const c of bytes) if (!isTokenByte(c)) return s;
  let upper = true;
  let out = '';
  for (const c of bytes) {
    let ch = c;
    if (upper && ch >= 0x61 && ch <= 0x7a) ch -= 0x20;
    else if (!upper && ch >= 0x41 && ch <= 0x5a) ch += 0x20;
    out += String.fromCharCode(ch);
    upper = ch === 0x2d;
  }
  return out;
}

/** Go `sort.Strings` order: byte-wise on UTF-8. */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export type HeaderValue = string | Uint8Array;

export function toBytes(v: HeaderValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
}

/** A Go http.Header: canonical key -> ordered byte-string values. */
export class GoHeader {
  private readonly map = new Map<string, Buffer[]>();

  static from(entries: Iterable<readonly [string, HeaderValue]>): GoHeader {
    const h = new GoHeader();
    for (const [k, v] of entries) h.add(k, v);
    return h;
  }

  clone(): GoHeader {
    const h = new GoHeader();
    for (const [k, vs] of this.map) h.map.set(k, vs.map((v) => Buffer.from(v)));
    return h;
  }

  set(name: string, value: HeaderValue): void {
    this.map.set(canonicalMIMEHeaderKey(name), [toBytes(value)]);
  }

  add(name: string, value: HeaderValue): void {
    const key = canonicalMIMEHeaderKey(name);
    const list = this.map.get(key);
    if (list) list.push(toBytes(value));
    else this.map.set(key, [toBytes(value)]);
  }

  del(name: string): void {
    this.map.delete(canonicalMIMEHeaderKey(name));
  }

  values(name: string): Buffer[] {
    return this.map.get(canonicalMIMEHeaderKey(name)) ?? [];
  }

  /** Keys as stored (canonical form), in Go's sorted order. */
  keys(): string[] {
    return [...this.map.keys()].sort(compareGoStrings);
  }

  get size(): number {
    return this.map.size;
  }

  /** [lowercase name, value] pairs, names sorted, values in order; values decoded as UTF-8. */
  entries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (const k of this.keys()) for (const v of this.map.get(k)!) out.push([k.toLowerCase(), v.toString('utf8')]);
    return out;
  }
}
