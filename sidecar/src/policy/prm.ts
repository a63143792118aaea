/**
 * Protected Resource Metadata URL (RFC 9728 §3.1) of a resource:
 * `<origin>/.well-known/oauth-protected-resource<path of resource>`, without a trailing slash.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/oauth-protected-resource${path}`;
}
