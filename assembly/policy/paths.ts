// Which requests need a token. The rule is "when unsure, deny": a path only counts as public (or as
// the metadata document) when it is already in the clean form Traefik routes on, so encoded or
// dotted spellings of a protected path (`/x/../sse`, `/x/%2e%2e/sse`, `%2f`, `%00`, `;`) can never
// ride on a public prefix. Protected prefixes are matched loosely (after decoding, collapsing
// slashes, resolving dot segments and ASCII-lowercasing) because an upstream may be more lenient
// about paths than Traefik is.
import { asciiLower } from './ascii';

/** The path part of a request URI (`/a/b?x` -> `/a/b`); `get_uri` never includes a fragment, but a `#` is cut too. */
export function pathOf(uri: string): string {
  if (uri.length > 0 && uri.indexOf('?') < 0 && uri.indexOf('#') < 0) return uri;
  let end = uri.length;
  const q = uri.indexOf('?');
  if (q >= 0) end = q;
  const h = uri.indexOf('#');
  if (h >= 0 && h < end) end = h;
  const p = uri.substring(0, end);
  return p.length == 0 ? '/' : p;
}

/** The query part without `?`, or "". */
export function queryOf(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return '';
  let end = uri.length;
  const h = uri.indexOf('#', q);
  if (h >= 0) end = h;
  return uri.substring(q + 1, end);
}

/**
 * A clean path: starts with `/`, printable ASCII, no percent-encoding, no `;`, `\`, `#`,
 * no empty (`//`), `.` or `..` segments. Only clean paths may be classified as public.
 */
export function isCleanPath(path: string): bool {
  if (path.length == 0 || path.charCodeAt(0) != 47) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x25 /* % */ || c == 0x3b /* ; */ || c == 0x5c /* \ */ || c == 0x23 /* # */) return false;
    if (c == 47 && i + 1 < path.length) {
      const next = path.charCodeAt(i + 1);
      if (next == 47) return false;
      if (next == 46) {
        // "/." followed by end, "/" or ".": a dot segment
        const after = i + 2 < path.length ? path.charCodeAt(i + 2) : 47;
        if (after == 47) return false;
        if (after == 46) {
          const after2 = i + 3 < path.length ? path.charCodeAt(i + 3) : 47;
          if (after2 == 47) return false;
        }
      }
    }
  }
  return true;
}

function hexValue(c: i32): i32 {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * The loosest reading an upstream might give the path: percent-decoded (repeatedly, up to 3
 * rounds, so double encoding does not hide a slash), `\` and `;` treated as separators-or-cut,
 * slashes collapsed, dot segments resolved, ASCII-lowercased.
 */
export function loosePath(path: string): string {
  let s = path;
  for (let round = 0; round < 3; round++) {
    if (!s.includes('%')) break;
    const codes = new Array<i32>();
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c == 37 && i + 2 < s.length) {
        const h = hexValue(s.charCodeAt(i + 1));
        const l = hexValue(s.charCodeAt(i + 2));
        if (h >= 0 && l >= 0) {
          codes.push((h << 4) | l);
          i += 2;
          continue;
        }
      }
      codes.push(c);
    }
    s = String.fromCharCodes(codes);
  }
  // Path parameters (`/sse;x=1`) and NUL end the path for many servers; backslashes act as slashes.
  const segments = new Array<string>();
  let current = new Array<i32>();
  let ended = false;
  for (let i = 0; i <= s.length && !ended; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 47;
    if (c == 0 || c == 0x3b || c == 0x23 || c == 0x3f) {
      ended = true;
    }
    if (c == 47 || c == 92 || ended) {
      const seg = asciiLower(String.fromCharCodes(current));
      current = new Array<i32>();
      if (seg.length == 0 || seg == '.') continue;
      if (seg == '..') {
        if (segments.length > 0) segments.pop();
        continue;
      }
      segments.push(seg);
      continue;
    }
    current.push(c);
  }
  let out = '/' + segments.join('/');
  // Keep a trailing slash so "/sse/" and "/sse" both match a "/sse" prefix below.
  return out;
}

/** Raw prefix match, as Traefik's PathPrefix does (`/mcp` covers `/mcp`, `/mcp/x` and `/mcpx`). */
function matchesLoosePrefix(loose: string, prefixes: string[]): bool {
  for (let i = 0; i < prefixes.length; i++) {
    let p = asciiLower(prefixes[i]);
    while (p.length > 1 && p.endsWith('/')) p = p.substring(0, p.length - 1);
    if (p == '/' || loose.startsWith(p)) return true;
  }
  return false;
}

/** Segment-boundary prefix match on the clean path (`/health` covers `/health` and `/health/x`, not `/healthz`). */
function matchesSegmentPrefix(path: string, prefixes: string[]): bool {
  for (let i = 0; i < prefixes.length; i++) {
    const p = prefixes[i];
    if (p == '/') return true;
    if (p.endsWith('/')) {
      if (path.startsWith(p) || path == p.substring(0, p.length - 1)) return true;
    } else if (path == p || path.startsWith(p + '/')) {
      return true;
    }
  }
  return false;
}

/** True when the request needs a valid token. */
export function needsToken(path: string, protectedPaths: string[], publicPaths: string[]): bool {
  return needsTokenOnPath(path, isCleanPath(path), protectedPaths, publicPaths);
}

/** needsToken when the caller already knows whether `path` is clean (`clean` = isCleanPath(path)). */
export function needsTokenOnPath(path: string, clean: bool, protectedPaths: string[], publicPaths: string[]): bool {
  if (clean && matchesSegmentPrefix(path, publicPaths)) return false;
  if (!clean) return true;
  // The common configuration protects everything: no need to build the loose form.
  if (protectedPaths.includes('/')) return true;
  return matchesLoosePrefix(loosePath(path), protectedPaths);
}
