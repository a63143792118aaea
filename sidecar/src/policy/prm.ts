/**
 * Protected Resource Metadata URL (RFC 9728 §3.1) of a resource, built as the plugin builds it:
 * `<origin as written>/.well-known/oauth-protected-resource<path of resource>`, without a query
 * or trailing slash.
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const schemeEnd = resource.indexOf('://') + 3;
  const slash = resource.indexOf('/', schemeEnd);
  const origin = slash < 0 ? resource : resource.slice(0, slash);
  let path = slash < 0 ? '' : resource.slice(slash);
  const q = path.indexOf('?');
  if (q >= 0) path = path.slice(0, q);
  while (path.endsWith('/')) path = path.slice(0, -1);
  return `${origin}/.well-known/oauth-protected-resource${path}`;
}
