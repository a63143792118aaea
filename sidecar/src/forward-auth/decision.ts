/**
 * The answers of the decision table in docs/policy-contract.md, built as the plugin builds them
 * (assembly/policy/decision.ts): the same statuses, the same WWW-Authenticate strings (parameter
 * order and quoting), the same headers in the same order and the same JSON bodies.
 */
import type { PolicyConfig } from '../policy/types.js';
import { REASON } from './reasons.js';

/** What happens to the request: pass (no token needed), allow (verified), or answer here. */
export type Outcome = 'pass' | 'allow' | 'answer';

/** The caller behind a verified token. */
export interface Identity {
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  scope: string;
  /** `scope` split on spaces, empty entries dropped */
  scopes: string[];
  clientId: string;
  expiresAt: number;
  notBefore: number;
}

/** The user header value: the email, or the subject when there is no email. */
export const userOf = (id: Identity): string => (id.email.length > 0 ? id.email : id.subject);

export interface Decision {
  outcome: Outcome;
  /**
   * true when forwardAuth answers 2xx, so Traefik forwards the request: pass, allow, and the
   * metadata document's own 200/204 (see handler.ts on serving that document)
   */
  allow: boolean;
  /** the forwardAuth HTTP status (200 for pass and allow) */
  status: number;
  /** short fixed phrase for logs and metrics; never contains the token */
  reason: string;
  /** response headers in order: the answer's, or on allow the identity headers for the upstream */
  headers: Record<string, string>;
  /** response body ("" for none) */
  body: string;
  /** the verified caller (allow, and the 403 answers) */
  identity?: Identity;
  /** set on "unknown key id" for a token whose kid is not in this issuer's keys: worth a key reload */
  reloadIssuer?: string;
  /** the URI the upstream should get instead (the query token removed); undefined: unchanged */
  rewriteUri?: string;
}

type Answers = Pick<PolicyConfig, 'resourceMetadataUrl' | 'requiredScopes'>;

/** RFC 7235 quoted-string: backslash and double quote escaped. */
export function quoted(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

export function errorBody(error: string, description: string): string {
  return JSON.stringify({ error, error_description: description });
}

function answer(status: number, challenge: string, error: string, description: string): Decision {
  const headers: Record<string, string> = {};
  if (challenge.length > 0) headers['WWW-Authenticate'] = challenge;
  headers['Content-Type'] = 'application/json';
  headers['Cache-Control'] = 'no-store';
  return { outcome: 'answer', allow: false, status, reason: description, headers, body: errorBody(error, description) };
}

const scopeParam = (policy: Answers): string =>
  policy.requiredScopes.length > 0 ? `, scope=${quoted(policy.requiredScopes.join(' '))}` : '';

export function pass(reason: string): Decision {
  return { outcome: 'pass', allow: true, status: 200, reason, headers: {}, body: '' };
}

export function allow(identity: Identity, identityHeaders: Record<string, string>): Decision {
  return { outcome: 'allow', allow: true, status: 200, reason: REASON.tokenValid, headers: identityHeaders, body: '', identity };
}

/** 401 without an error code (RFC 6750 §3.1: the request carried no bearer token). */
export function missingToken(policy: Answers): Decision {
  return answer(401, `Bearer resource_metadata=${quoted(policy.resourceMetadataUrl)}${scopeParam(policy)}`, 'invalid_token', REASON.bearerTokenRequired);
}

export function invalidToken(policy: Answers, reason: string): Decision {
  return answer(401, `Bearer error="invalid_token", error_description=${quoted(reason)}, resource_metadata=${quoted(policy.resourceMetadataUrl)}${scopeParam(policy)}`, 'invalid_token', reason);
}

export function invalidRequest(policy: Answers, reason: string): Decision {
  return answer(400, `Bearer error="invalid_request", error_description=${quoted(reason)}, resource_metadata=${quoted(policy.resourceMetadataUrl)}`, 'invalid_request', reason);
}

export function insufficientScope(policy: Answers, reason: string, identity: Identity): Decision {
  const d = answer(403, `Bearer error="insufficient_scope", scope=${quoted(policy.requiredScopes.join(' '))}, resource_metadata=${quoted(policy.resourceMetadataUrl)}, error_description=${quoted(reason)}`, 'insufficient_scope', reason);
  return { ...d, identity };
}

/** 403 for email checks: insufficient_scope in the header, access_denied in the body. */
export function accessDenied(policy: Answers, reason: string, identity: Identity): Decision {
  const d = answer(403, `Bearer error="insufficient_scope", error_description=${quoted(reason)}, resource_metadata=${quoted(policy.resourceMetadataUrl)}`, 'access_denied', reason);
  return { ...d, identity };
}

/**
 * Browser clients (MCP Inspector) must be able to read a refusal's WWW-Authenticate header to find
 * the metadata: refusals (status >= 400) of a cross-origin request carry CORS headers. Tokens
 * travel in a header, never in cookies, so `*` is safe.
 */
export function withCors(d: Decision): Decision {
  if (d.outcome !== 'answer' || d.status < 400) return d;
  return { ...d, headers: { ...d.headers, 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'WWW-Authenticate' } };
}

export function uriTooLong(): Decision {
  return answer(414, '', 'invalid_request', REASON.uriTooLong);
}

export function serverError(reason: string): Decision {
  return answer(500, '', 'server_error', reason);
}

export function loginRedirect(location: string): Decision {
  return { outcome: 'answer', allow: false, status: 302, reason: REASON.loginRedirect, headers: { Location: location, 'Cache-Control': 'no-store' }, body: '' };
}

/** RFC 9728 Protected Resource Metadata for the policy's resource. */
export function metadataDocument(policy: Pick<PolicyConfig, 'resource' | 'authorizationServers' | 'scopesSupported' | 'resourceName'>): string {
  return JSON.stringify({
    resource: policy.resource,
    authorization_servers: policy.authorizationServers,
    bearer_methods_supported: ['header'],
    ...(policy.scopesSupported.length > 0 ? { scopes_supported: policy.scopesSupported } : {}),
    ...(policy.resourceName ? { resource_name: policy.resourceName } : {}),
  });
}

/** The metadata document (GET/HEAD, readable cross-origin), its CORS preflight (204), or 405. */
export function metadataAnswer(policy: Parameters<typeof metadataDocument>[0], method: string): Decision {
  if (method === 'OPTIONS') {
    // The preflight for the metadata document is answered here: it needs no upstream.
    return {
      outcome: 'answer',
      allow: true,
      status: 204,
      reason: REASON.metadata,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS',
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Max-Age': '86400',
      },
      body: '',
    };
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return {
      outcome: 'answer',
      allow: false,
      status: 405,
      reason: REASON.metadata,
      headers: { Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'application/json' },
      body: errorBody('invalid_request', 'method not allowed'),
    };
  }
  return {
    outcome: 'answer',
    allow: true,
    status: 200,
    reason: REASON.metadata,
    headers: { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' },
    body: method === 'GET' ? metadataDocument(policy) : '',
  };
}
