/**
 * The forwardAuth decision, as a function of (policy, request, keys, time) only: no I/O, no
 * clock, no logging. It takes the plugin's decisions (assembly/policy/decision.ts) step by step,
 * in the order of docs/policy-contract.md ("Decision order"), and a parity test holds it to that:
 *  1. URI over 64 KiB (414); the metadata paths (answered; OPTIONS there 204); CORS preflight
 *     (pass); paths that need no token (pass);
 *  2. Authorization values too large to read (401 token too large); token location (400);
 *  3. no token (401, or 302 to loginRedirect for a browser GET); token over maxTokenBytes (401);
 *  4-8. the token itself (verify-token.ts): 401 with the first failing check's reason;
 *  9. scopes (403 insufficient_scope), email_verified and the allowlist (403 access_denied).
 * Refusals of a cross-origin request (Origin header) carry CORS headers; a request let through
 * with a query token gets the URI without it (`rewriteUri`), unless stripAuthorization is off.
 */
import { emailOnAllowlist } from '../policy/email.js';
import type { PolicyConfig } from '../policy/types.js';
import {
  accessDenied, allow, insufficientScope, invalidRequest, invalidToken, loginRedirect, metadataAnswer, missingToken, pass,
  uriTooLong, userOf, withCors, type Decision, type Identity,
} from './decision.js';
import { locateToken, uriWithoutAccessToken } from './locate-token.js';
import { classifyPath } from './paths.js';
import { REASON } from './reasons.js';
import type { ForwardAuthRequest } from './request.js';
import { verifyAccessToken, type KeysFor } from './verify-token.js';

export interface DecideContext {
  /** current time, Unix seconds */
  now: number;
  /** the verification keys currently loaded for a configured issuer */
  keysFor: KeysFor;
}

/**
 * The headers the upstream gets for a verified caller, set in the plugin's order; a later field
 * naming the same header (in any casing) replaces the value, as setting a header twice would.
 */
export function identityHeaders(policy: Pick<PolicyConfig, 'forwardHeaders'>, id: Identity): Record<string, string> {
  const f = policy.forwardHeaders;
  const out: Record<string, string> = {};
  const set = (name: string | undefined, value: string): void => {
    if (!name) return;
    const existing = Object.keys(out).find((k) => k.toLowerCase() === name.toLowerCase());
    out[existing ?? name] = value;
  };
  set(f.user, userOf(id));
  if (id.email.length > 0) set(f.email, id.email);
  set(f.subject, id.subject);
  set(f.scopes, id.scopes.join(' '));
  if (id.clientId.length > 0) set(f.clientId, id.clientId);
  return out;
}

function wantsHtml(request: ForwardAuthRequest): boolean {
  return request.method === 'GET' && request.accept.toLowerCase().includes('text/html');
}

/** Verifies a located bearer token and applies the access rules (steps 3-9). */
export function decideToken(policy: PolicyConfig, token: string, ctx: DecideContext): Decision {
  if (token.length > policy.maxTokenBytes) return invalidToken(policy, REASON.tokenTooLarge);
  const result = verifyAccessToken(token, policy, ctx.keysFor, ctx.now);
  if (!result.ok) {
    const d = invalidToken(policy, result.reason);
    return result.reloadIssuer === undefined ? d : { ...d, reloadIssuer: result.reloadIssuer };
  }
  const id = result.identity;
  if (policy.requiredScopes.some((s) => !id.scopes.includes(s))) return insufficientScope(policy, REASON.missingScope, id);
  if (policy.requireEmailVerified && !id.emailVerified) return accessDenied(policy, REASON.emailNotVerified, id);
  if (policy.allowedEmails.length > 0 && !emailOnAllowlist(policy.allowedEmails, id.email)) return accessDenied(policy, REASON.emailNotAllowed, id);
  return allow(id, identityHeaders(policy, id));
}

/** The full decision for one forwardAuth request. */
export function decide(policy: PolicyConfig, request: ForwardAuthRequest, ctx: DecideContext): Decision {
  let d = decideInner(policy, request, ctx);
  const uri = request.uri;
  if (d.outcome !== 'answer' && policy.allowQueryToken && policy.stripAuthorization && uri !== undefined && uri.includes('access_token')) {
    const rewritten = uriWithoutAccessToken(uri);
    if (rewritten !== uri) d = { ...d, rewriteUri: rewritten.length > 0 ? rewritten : '/' };
  }
  return request.crossOrigin ? withCors(d) : d;
}

function decideInner(policy: PolicyConfig, request: ForwardAuthRequest, ctx: DecideContext): Decision {
  if (request.uriTooLong) return uriTooLong();
  const pathClass = classifyPath(policy, request.uri);
  if (pathClass === 'metadata') return metadataAnswer(policy, request.method);
  if (request.method === 'OPTIONS' && request.preflight) return pass(REASON.corsPreflight);
  if (pathClass === 'public') return pass(REASON.publicPath);

  if (request.authorizationTooLarge) return invalidToken(policy, REASON.tokenTooLarge);
  const located = locateToken(policy, request);
  if (located.token === undefined) {
    if (located.error !== undefined) return invalidRequest(policy, located.error);
    if (policy.loginRedirect && wantsHtml(request)) return loginRedirect(policy.loginRedirect);
    return missingToken(policy);
  }
  return decideToken(policy, located.token, ctx);
}
