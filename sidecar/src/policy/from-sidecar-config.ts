/**
 * Derives the request policies from the sidecar's own settings (the old env vars: OAUTH_DOMAIN
 * gives the issuer, the resource URL(s), REQUIRED_SCOPES, ALLOWED_EMAILS, PROTECTED_PATH), so a
 * deployment without POLICY_FILE gets the same checks in forwardAuth mode as in the plugin.
 * They go through loadPolicy, so each is validated exactly like a policy file.
 */
import { loadPolicy } from './load.js';
import type { JWKS, PolicyConfig } from './types.js';

export interface SidecarPolicyInput {
  /** the sidecar's issuer URL (tokens it mints carry it as `iss`) */
  issuer: string;
  /**
   * canonical resource URL(s). policiesFromSidecarConfig: one policy each; policyFromSidecarConfig:
   * the first is `resource`, all are accepted audiences
   */
  resources: string[];
  requiredScopes?: string[];
  allowedEmails?: string[];
  /** the sidecar's public signing keys (inline) ... */
  jwks?: JWKS;
  /** ... or the JWKS file it writes */
  jwksFile?: string;
  /** e.g. [PROTECTED_PATH]; default ["/"] */
  protectedPaths?: string[];
  publicPaths?: string[];
}

/**
 * One policy per resource, in the given order, as the plugin is configured per resource: each
 * names its resource in its challenges and metadata and accepts only tokens minted for it
 * (audiences = [resource], RFC 8707), so a token for one MCP URL does not open another. With one
 * resource this is exactly policyFromSidecarConfig's policy.
 */
export function policiesFromSidecarConfig(input: SidecarPolicyInput): PolicyConfig[] {
  if (input.resources.length === 0) return [policyFromSidecarConfig(input)]; // throws: resource is required
  return input.resources.map((resource) => policyFromSidecarConfig({ ...input, resources: [resource] }));
}

/**
 * One policy for all the resources: `resource` is the first, and tokens for any of them are
 * accepted (a deliberate shared audience; the sidecar itself uses policiesFromSidecarConfig).
 */
export function policyFromSidecarConfig(input: SidecarPolicyInput): PolicyConfig {
  const [resource] = input.resources;
  return loadPolicy({
    resource,
    issuers: [
      {
        issuer: input.issuer,
        audiences: input.resources,
        type: 'at+jwt',
        ...(input.jwks ? { jwks: input.jwks } : {}),
        ...(input.jwksFile ? { jwksFile: input.jwksFile } : {}),
      },
    ],
    // An empty list is an error in a policy document ("remove the option"): leave them out.
    ...(input.requiredScopes?.length ? { requiredScopes: input.requiredScopes } : {}),
    ...(input.allowedEmails?.length ? { allowedEmails: input.allowedEmails } : {}),
    ...(input.protectedPaths ? { protectedPaths: input.protectedPaths } : {}),
    ...(input.publicPaths ? { publicPaths: input.publicPaths } : {}),
  });
}
