/**
 * Finds the bearer token of a request, or the 400/401/302 answer when there is none or more
 * than one. RFC 6750: one method per request; the query form only when allowQueryToken is on.
 */
import type { PolicyConfig } from '../policy/types.js';
import { invalidRequest, loginRedirect, noToken, type Decision } from './decision.js';
import { queryOf } from './paths.js';
import { REASON } from './reasons.js';
import type { ForwardAuthRequest } from './request.js';

/** RFC 6750 b64token; stricter JWT checks follow in compact-jwt. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

const AUTH_SCHEME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

type Located = { token: string } | { decision: Decision };

function queryTokens(uri: string | undefined): string[] {
  const query = uri === undefined ? undefined : queryOf(uri);
  if (query === undefined) return [];
  try {
    return new URLSearchParams(query).getAll('access_token');
  } catch {
    return [];
  }
}

/**
 * `Bearer <token>` with the scheme in any casing. Another scheme is no bearer token at all
 * (undefined); `Bearer` with a missing or ill-formed credential is a malformed header ('').
 */
function bearerCredential(header: string): string | undefined {
  const m = /^([^ ]+)(?: +(.*))?$/s.exec(header);
  // an auth-scheme is an RFC 7230 token; "Bearer\t..." or "Bearer,..." is broken, not foreign
  if (!m || !AUTH_SCHEME.test(m[1])) return '';
  if (m[1].toLowerCase() !== 'bearer') return undefined;
  return m[2] ?? '';
}

export function locateToken(policy: PolicyConfig, request: ForwardAuthRequest): Located {
  if (request.authorization.length > 1) {
    return { decision: invalidRequest(policy, REASON.multipleAuthorizationHeaders) };
  }
  const inQuery = queryTokens(request.uri);
  if (inQuery.length > 1) return { decision: invalidRequest(policy, REASON.multipleQueryTokens) };

  const header = request.authorization[0];
  const credential = header === undefined ? undefined : bearerCredential(header);
  if (credential !== undefined) {
    if (inQuery.length > 0) return { decision: invalidRequest(policy, REASON.headerAndQueryToken) };
    // the size cap comes first: nothing longer than maxTokenBytes is looked at any further
    if (credential.length > policy.maxTokenBytes) return { token: credential };
    if (!B64TOKEN.test(credential)) return { decision: invalidRequest(policy, REASON.malformedAuthorizationHeader) };
    return { token: credential };
  }

  if (inQuery.length === 1) {
    if (!policy.allowQueryToken) return { decision: invalidRequest(policy, REASON.queryTokenNotAllowed) };
    return { token: inQuery[0] };
  }

  if (policy.loginRedirect && request.method.toUpperCase() === 'GET' && /\btext\/html\b/i.test(request.accept ?? '')) {
    return { decision: loginRedirect(policy.loginRedirect) };
  }
  return { decision: noToken(policy) };
}
