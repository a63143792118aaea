// Resource indicators (RFC 8707): which MCP URLs tokens may be minted for, and how.
import { errors, type ResourceServer } from 'oidc-provider';
import type { SigningAlg } from '../config.js';

export interface ResourcePolicy {
  /** Canonical MCP URLs, no trailing slash; the first is the default audience. */
  resources: readonly string[];
  scopes: readonly string[];
  accessTokenTtl: number;
  signingAlg: SigningAlg;
}

/**
 * The canonical resource a requested indicator names, or undefined. A single trailing slash is
 * ignored (`https://mcp.example.com/` names `https://mcp.example.com`: URL serialisers add it
 * to bare origins); anything else must match exactly.
 */
export function canonicalResource(policy: ResourcePolicy, requested: string): string | undefined {
  const trimmed = requested.endsWith('/') ? requested.slice(0, -1) : requested;
  return policy.resources.find((resource) => resource === requested || resource === trimmed);
}

/** `features.resourceIndicators.getResourceServerInfo`: JWT access tokens for known resources. */
export function createGetResourceServerInfo(policy: ResourcePolicy) {
  return (_ctx: unknown, indicator: string): ResourceServer => {
    const audience = canonicalResource(policy, indicator);
    if (audience === undefined) throw new errors.InvalidTarget('resource indicator is not a protected MCP resource');
    return {
      scope: policy.scopes.join(' '),
      audience,
      accessTokenTTL: policy.accessTokenTtl,
      accessTokenFormat: 'jwt',
      jwt: { sign: { alg: policy.signingAlg } },
    };
  };
}
