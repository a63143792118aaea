// Outbound requests oidc-provider makes on a client's behalf (Client ID Metadata Documents,
// client jwks_uri). The library already applies a 2.5 s timeout, a body size limit and an
// SSRF guard (a dispatcher that drops connections to loopback/private/special-use addresses)
// before calling `configuration.fetch`; this wrapper only lifts the SSRF guard when the
// test-only CIMD_ALLOW_LOOPBACK setting is on, so tests can serve metadata from 127.0.0.1.

type FetchOptions = RequestInit & { dispatcher?: unknown };

export function createOutboundFetch(allowLoopback: boolean) {
  return (url: string | URL, options: FetchOptions): Promise<Response> => {
    if (!allowLoopback) return globalThis.fetch(url, options);
    const { dispatcher: _ssrfGuard, ...rest } = options;
    return globalThis.fetch(url, rest);
  };
}
