// Redirect URI policy for MCP clients, on top of what oidc-provider checks itself.
//
// oidc-provider accepts a `web` client registering `http://evil.example/cb` and refuses custom
// schemes for clients that omit `application_type`; MCP clients (Cursor, VS Code) omit it while
// mixing custom schemes, loopback http and https in one registration. These helpers decide which
// URIs are acceptable at all and which application type a registration implies.

/** Hosts that count as loopback for registration (RFC 8252 §7.3 and §8.3). */
const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]']);
const LOCALHOST = 'localhost';
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'vbscript:', 'blob:', 'about:']);

export const MAX_REDIRECT_URIS = 20;
export const MAX_REDIRECT_URI_LENGTH = 2000;

/** Returns why `uri` may not be registered, or undefined when it is acceptable. */
export function redirectUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string' || uri.length === 0) return 'must be a non-empty string';
  if (uri.length > MAX_REDIRECT_URI_LENGTH) return `must be at most ${MAX_REDIRECT_URI_LENGTH} characters`;
  // Control characters, spaces and backslashes are silently rewritten by URL parsers; a URI that
  // parses differently than it reads is refused rather than normalised.
  if (/[\x00-\x20\x7f\\]/.test(uri)) return 'must not contain whitespace, control characters or backslashes';
  if (uri.includes('#')) return 'must not contain a fragment';
  if (uri.includes('*')) return 'must not contain wildcards';
  const url = URL.parse(uri);
  if (!url) return 'must be an absolute URI';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol.slice(0, -1)} scheme`;
  if (url.username || url.password || authorityOf(uri)?.includes('@')) return 'must not contain userinfo';
  if (url.protocol === 'http:') {
    if (!isLoopbackHost(url.hostname)) return 'plain http is allowed for loopback hosts only';
  } else if (url.protocol === 'https:') {
    if (!url.hostname) return 'must name a host';
  } else if (!/^[a-z][a-z0-9+.-]*:$/.test(url.protocol)) {
    return 'has an invalid scheme';
  }
  return undefined;
}

/** The raw authority component (between `//` and the next `/`, `?` or `#`), if any. */
function authorityOf(uri: string): string | undefined {
  const start = uri.indexOf('//');
  if (start === -1 || start !== uri.indexOf(':') + 1) return undefined;
  const rest = uri.slice(start + 2);
  const end = rest.search(/[/?#]/);
  return end === -1 ? rest : rest.slice(0, end);
}

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_IPS.has(hostname) || hostname === LOCALHOST;
}

/** True for `http://localhost...`: registered localhost URIs match exactly, port included. */
export function isLocalhostHttp(uri: string): boolean {
  const url = URL.parse(uri);
  return url !== null && url.protocol === 'http:' && url.hostname === LOCALHOST;
}

/**
 * `native` when any redirect URI is a custom scheme or loopback http (the client runs on the
 * user's machine), else `web`. Used only when the client did not say.
 */
export function inferApplicationType(uris: readonly string[]): 'native' | 'web' {
  for (const uri of uris) {
    const url = URL.parse(uri);
    if (!url) continue;
    if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return 'native';
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'native';
  }
  return 'web';
}
