/**
 * A Traefik dynamic-configuration snippet (file provider YAML) declaring the `mcpauth` plugin
 * middleware with the policy's options and the keys INLINE, for setups that cannot mount the
 * JWKS file into Traefik. Options carry the contract's names (docs/policy-contract.md). Strings
 * are written as JSON strings, which YAML reads as double-quoted scalars.
 */
import type { JWK, PolicyConfig } from '../policy/types.js';
import { toPublicJwks } from './public-jwk.js';

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

function emit(value: Yaml, indent: string): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return ' []';
    return value
      .map((item) => {
        const inner = emit(item, `${indent}  `);
        // "- key: v" for objects: first line joins the dash
        return typeof item === 'object' && !Array.isArray(item) && Object.keys(item).length > 0
          ? `\n${indent}- ${inner.trimStart()}`
          : `\n${indent}-${inner}`;
      })
      .join('');
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return ' {}';
    return entries.map(([k, v]) => `\n${indent}${k}:${emit(v, `${indent}  `)}`).join('');
  }
  return ` ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`;
}

function dedupeByKid(keys: JWK[]): JWK[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    if (k.kid === undefined) return true;
    if (seen.has(k.kid)) return false;
    seen.add(k.kid);
    return true;
  });
}

/** The plugin options of `policy`, with each issuer's keys inline (file-fed issuers get `jwks`). */
export function pluginOptions(policy: PolicyConfig, jwks: { keys: JWK[] }): Record<string, Yaml> {
  const fh = policy.forwardHeaders;
  return {
    resource: policy.resource,
    issuers: policy.issuers.map((issuer) => {
      const keys = dedupeByKid(toPublicJwks([...(issuer.jwks?.keys ?? []), ...(issuer.jwksFile ? jwks.keys : [])]).keys);
      return {
        issuer: issuer.issuer,
        audiences: issuer.audiences,
        algorithms: issuer.algorithms,
        type: issuer.type,
        jwks: JSON.stringify({ keys }),
      };
    }),
    authorizationServers: policy.authorizationServers,
    scopesSupported: policy.scopesSupported,
    ...(policy.resourceName !== undefined ? { resourceName: policy.resourceName } : {}),
    protectedPaths: policy.protectedPaths,
    publicPaths: policy.publicPaths,
    // The plugin refuses an explicitly empty list (it would silently drop a check): leave them out.
    ...(policy.requiredScopes.length > 0 ? { requiredScopes: policy.requiredScopes } : {}),
    ...(policy.allowedEmails.length > 0 ? { allowedEmails: policy.allowedEmails } : {}),
    requireEmailVerified: policy.requireEmailVerified,
    // every field written out: "" switches a header off (user would otherwise default on)
    forwardHeaders: {
      user: fh.user ?? '',
      email: fh.email ?? '',
      subject: fh.subject ?? '',
      scopes: fh.scopes ?? '',
      clientId: fh.clientId ?? '',
    },
    stripAuthorization: policy.stripAuthorization,
    clockSkewSeconds: policy.clockSkewSeconds,
    maxTokenBytes: policy.maxTokenBytes,
    allowQueryToken: policy.allowQueryToken,
    logLevel: policy.logLevel,
    ...(policy.loginRedirect !== undefined ? { loginRedirect: policy.loginRedirect } : {}),
  };
}

/**
 * The middleware name for each policy: `mcpauth` for the first resource (the name a
 * single-resource setup always had), `mcpauth-<path>` for the others (`mcpauth-sse` for
 * https://mcp.example.com/sse), numbered when paths do not tell them apart.
 */
export function snippetMiddlewareNames(policies: readonly PolicyConfig[]): string[] {
  const names: string[] = [];
  policies.forEach((policy, i) => {
    if (i === 0) {
      names.push('mcpauth');
      return;
    }
    const slug = new URL(policy.resource).pathname.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
    let name = slug.length > 0 ? `mcpauth-${slug}` : `mcpauth-${i + 1}`;
    if (names.includes(name)) name = `mcpauth-${i + 1}`;
    names.push(name);
  });
  return names;
}

/** The snippet: one plugin middleware per resource, each with its own resource and audience. */
export function traefikDynamicSnippet(policies: PolicyConfig | readonly PolicyConfig[], jwks: { keys: JWK[] }): string {
  const list = Array.isArray(policies) ? (policies as readonly PolicyConfig[]) : [policies as PolicyConfig];
  const names = snippetMiddlewareNames(list);
  const middlewares: { [key: string]: Yaml } = {};
  list.forEach((policy, i) => {
    middlewares[names[i]!] = { plugin: { mcpauth: pluginOptions(policy, jwks) } };
  });
  const doc: Yaml = { http: { middlewares } };
  return [
    '# Traefik dynamic configuration: the mcpauth plugin middleware with inline keys.',
    '# Needs the plugin in the static configuration (experimental.plugins.mcpauth or localPlugins.mcpauth).',
    '# Attach each middleware to the router that serves its resource; regenerate after a key rotation.',
    ...list.map((policy, i) => `#   ${names[i]}: ${policy.resource}`),
  ].join('\n') + emit(doc, '') + '\n';
}
