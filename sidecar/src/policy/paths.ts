/**
 * Which requests need a token, decided exactly as the wasm plugin does (assembly/policy/paths.ts).
 * The rule is "when unsure, deny": a path only counts as public (or as the metadata document)
 * when it is already in the clean form Traefik routes on, so encoded or dotted spellings of a
 * protected path (`/x/../sse`, `/x/%2e%2e/sse`, `%2f`, `%00`, `;`) can never ride on a public
 * prefix. Protected prefixes are matched loosely (after decoding, collapsing slashes, resolving
 * dot segments and ASCII-lowercasing) because an upstream may be more lenient than Traefik.
 */

const asciiLower = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

/** The path part of a request URI (`/a/b?x` -> `/a/b`); a `#` ends it too; "" becomes "/". */
export function pathOf(uri: string): string {
  if (uri.length > 0 && !uri.includes('?') && !uri.includes('#')) return uri;
  let end = uri.length;
  const q = uri.indexOf('?');
  if (q >= 0) end = q;
  const h = uri.indexOf('#');
  if (h >= 0 && h < end) end = h;
  const p = uri.slice(0, end);
  return p.length === 0 ? '/' : p;
}

/** The query part without `?` (up to a `#`), or "". */
export function queryOf(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return '';
  const h = uri.indexOf('#', q);
  return uri.slice(q + 1, h >= 0 ? h : uri.length);
}

/**
 * A clean path: starts with `/`, printable ASCII, no percent-encoding, no `;`, `\`, `#`,
 * no empty (`//`), `.` or `..` segments. Only clean paths may be classified as public.
 */
export function isCleanPath(path: string): boolean {
  if (path.length === 0 || path.charCodeAt(0) !== 0x2f) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x25 || c === 0x3b || c === 0x5c || c === 0x23) return false;
    if (c === 0x2f && i + 1 < path.length) {
      const next = path.charCodeAt(i + 1);
      if (next === 0x2f) return false;
      if (next === 0x2e) {
        // "/." followed by the end, "/" or ".": a dot segment
        const after = i + 2 < path.length ? path.charCodeAt(i + 2) : 0x2f;
        if (after === 0x2f) return false;
        if (after === 0x2e) {
          const after2 = i + 3 < path.length ? path.charCodeAt(i + 3) : 0x2f;
          if (after2 === 0x2f) return false;
        }
      }
    }
  }
  return true;
}

/** A configured path prefix: starts with `/`, printable ASCII without `?#%;\`, no dot or empty segments. */
export function isValidPathPrefix(p: string): boolean {
  if (!p.startsWith('/')) return false;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c === 0x3f || c === 0x23 || c === 0x25 || c === 0x3b || c === 0x5c) return false;
  }
  return !(p.includes('//') || p.includes('/./') || p.includes('/../') || p.endsWith('/..') || p.endsWith('/.'));
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 55;
  if (c >= 0x61 && c <= 0x66) return c - 87;
  return -1;
}

/**
 * The loosest reading an upstream might give the path: percent-decoded (up to 3 rounds, so
 * double encoding does not hide a slash; each decoded byte is one character), `\` read as `/`,
 * NUL, `;`, `#` and `?` ending the path, slashes collapsed, dot segments resolved, ASCII-lowercased.
 */
export function loosePath(path: string): string {
  let s = path;
  for (let round = 0; round < 3; round++) {
    if (!s.includes('%')) break;
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x25 && i + 2 < s.length) {
        const h = hexValue(s.charCodeAt(i + 1));
        const l = hexValue(s.charCodeAt(i + 2));
        if (h >= 0 && l >= 0) {
          out += String.fromCharCode((h << 4) | l);
          i += 2;
          continue;
        }
      }
      out += s[i];
    }
    s = out;
  }
  const segments: string[] = [];
  let current = '';
  let ended = false;
  for (let i = 0; i <= s.length && !ended; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 0x2f;
    if (c === 0 || c === 0x3b || c === 0x23 || c === 0x3f) ended = true;
    if (c === 0x2f || c === 0x5c || ended) {
      const seg = asciiLower(current);
      current = '';
      if (seg.length === 0 || seg === '.') continue;
      if (seg === '..') {
        segments.pop();
        continue;
      }
      segments.push(seg);
      continue;
    }
    current += s[i];
  }
  return `/${segments.join('/')}`;
}

/** Raw prefix match, as Traefik's PathPrefix does (`/mcp` covers `/mcp`, `/mcp/x` and `/mcpx`). */
function matchesLoosePrefix(loose: string, prefixes: readonly string[]): boolean {
  for (const prefix of prefixes) {
    let p = asciiLower(prefix);
    while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
    if (p === '/' || loose.startsWith(p)) return true;
  }
  return false;
}

/** Segment-boundary prefix match on the clean path (`/health` covers `/health/x`, not `/healthz`). */
function matchesSegmentPrefix(path: string, prefixes: readonly string[]): boolean {
  for (const p of prefixes) {
    if (p === '/') return true;
    if (p.endsWith('/')) {
      if (path.startsWith(p) || path === p.slice(0, -1)) return true;
    } else if (path === p || path.startsWith(`${p}/`)) {
      return true;
    }
  }
  return false;
}

/** True when a request for `path` needs a valid token. */
export function needsToken(path: string, protectedPaths: readonly string[], publicPaths: readonly string[]): boolean {
  const clean = isCleanPath(path);
  if (clean && matchesSegmentPrefix(path, publicPaths)) return false;
  if (!clean) return true;
  if (protectedPaths.includes('/')) return true;
  return matchesLoosePrefix(loosePath(path), protectedPaths);
}
