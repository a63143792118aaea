/**
 * Path hygiene shared by the config loader and the forwardAuth path matcher.
 *
 * A "clean" path is one whose meaning cannot differ between us, Traefik's router and the
 * upstream: it starts with `/`, has no empty (`//`), `.` or `..` segment, no percent-encoding
 * (`%2f`, `%2e`, `%00`, double encoding ...), no `\`, `;`, `#`, `?`, whitespace, control or
 * non-ASCII characters. Anything else is "unsure" and is never treated as a public path.
 */
export function isCleanPath(path: string): boolean {
  if (path.length === 0 || path.charCodeAt(0) !== 0x2f) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
    if (c === 0x25 /* % */ || c === 0x5c /* \ */ || c === 0x3b /* ; */ || c === 0x23 /* # */ || c === 0x3f /* ? */) return false;
  }
  const segments = path.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    // an empty segment is only fine as the very last one (a trailing slash)
    if (seg === '' && i !== segments.length - 1) return false;
    if (seg === '.' || seg === '..') return false;
  }
  return true;
}
