/**
 * The answers of the decision table in docs/policy-contract.md, built in one place so the
 * status, `WWW-Authenticate` header and JSON body always agree with the contract (and with the
 * plugin, which a parity test compares against `decide`).
 */
import type { PolicyConfig } from '../policy/types.js';

export interface ErrorBody {
  error: string;
  error_description: string;
}

export interface Decision {
  allow: boolean;
  status: 200 | 302 | 400 | 401 | 403 | 500;
  /** short fixed phrase; never contains the token */
  reason: string;
  /** response headers: identity headers on allow, WWW-Authenticate / Location otherwise */
  headers: Record<string, string>;
  body?: ErrorBody;
  /** verified identity, for logs (present once the token verified) */
  subject?: string;
  clientId?: string;
  issuer?: string;
}

type Answers = Pick<PolicyConfig, 'resourceMetadataUrl' | 'requiredScopes'>;

const scopeParam = (policy: Answers): string | undefined =>
  policy.requiredScopes.length > 0 ? `scope="${policy.requiredScopes.join(' ')}"` : undefined;

const challenge = (...params: (string | undefined)[]): string =>
  `Bearer ${params.filter((p): p is string => p !== undefined).join(', ')}`;

function deny(status: 400 | 401 | 403, error: string, reason: string, wwwAuthenticate: string): Decision {
  return {
    allow: false,
    status,
    reason,
    headers: { 'WWW-Authenticate': wwwAuthenticate },
    body: { error, error_description: reason },
  };
}

export function allow(reason: string, headers: Record<string, string> = {}): Decision {
  return { allow: true, status: 200, reason, headers };
}

export const NO_TOKEN_REASON = 'missing token';

/** 401 without an error code (RFC 6750 §3.1: the request carried no token). */
export function noToken(policy: Answers): Decision {
  return deny(401, 'invalid_token', NO_TOKEN_REASON,
    challenge(`resource_metadata="${policy.resourceMetadataUrl}"`, scopeParam(policy)));
}

export function invalidToken(policy: Answers, reason: string): Decision {
  return deny(401, 'invalid_token', reason, challenge(
    'error="invalid_token"', `error_description="${reason}"`,
    `resource_metadata="${policy.resourceMetadataUrl}"`, scopeParam(policy)));
}

export function invalidRequest(policy: Answers, reason: string): Decision {
  return deny(400, 'invalid_request', reason, challenge(
    'error="invalid_request"', `error_description="${reason}"`,
    `resource_metadata="${policy.resourceMetadataUrl}"`));
}

export function insufficientScope(policy: Answers, reason: string): Decision {
  return deny(403, 'insufficient_scope', reason, challenge(
    'error="insufficient_scope"', scopeParam(policy),
    `resource_metadata="${policy.resourceMetadataUrl}"`, `error_description="${reason}"`));
}

/** 403 for the email allowlist: insufficient_scope in the header, access_denied in the body. */
export function accessDenied(policy: Answers, reason: string): Decision {
  const d = deny(403, 'insufficient_scope', reason, challenge(
    'error="insufficient_scope"', `error_description="${reason}"`,
    `resource_metadata="${policy.resourceMetadataUrl}"`));
  d.body = { error: 'access_denied', error_description: reason };
  return d;
}

export function serverError(reason: string): Decision {
  return { allow: false, status: 500, reason, headers: {}, body: { error: 'server_error', error_description: reason } };
}

export function loginRedirect(location: string): Decision {
  return { allow: false, status: 302, reason: 'login redirect', headers: { Location: location } };
}
