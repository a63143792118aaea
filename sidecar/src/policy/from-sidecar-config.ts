/**
 * Derives the request policy from the sidecar's own settings (the old env vars: OAUTH_DOMAIN
 * gives the issuer, the resource URL(s), REQUIRED_SCOPES, ALLOWED_EMAILS, PROTECTED_PATH), so a
 * deployment without POLICY_FILE gets the same checks in forwardAuth mode as in the plugin.
 * It goes through loadPolicy, so the result is validated exactly like a policy file.
 */
import { loadPolicy } from './load.js';
import type { JWKS, PolicyConfig } from './types.js';

export interface SidecarPolicyInput {
  /** the sidecar's issuer URL (tokens it mints carry it as `iss`) */
  issuer: string;
  /** canonical resource URL(s); the first is `resource`, all are accepted audiences */
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
