/**
 * Checks on a payload whose signature has verified, in one fixed order:
 * aud, exp/nbf/iat (one leeway; `exp <= now - leeway` is expired, so the boundary counts as
 * expired), then scopes (403) and the email allowlist (403).
 */
import { emailAllowed, normalizeEmail } from '../policy/email.js';
import type { IssuerPolicy, PolicyConfig } from '../policy/types.js';
import { REASON } from './reasons.js';

export type ClaimFailure = { status: 401 | 403; kind: 'invalid_token' | 'insufficient_scope' | 'access_denied'; reason: string };

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function audienceAccepted(aud: unknown, accepted: readonly string[]): boolean {
  const list = typeof aud === 'string' ? [aud] : aud;
  if (!Array.isArray(list) || list.length === 0) return false;
  if (!list.every((a) => typeof a === 'string')) return false;
  return list.some((a) => accepted.includes(a as string));
}

export function checkTokenClaims(payload: Record<string, unknown>, issuer: IssuerPolicy, now: number, leeway: number): ClaimFailure | undefined {
  const invalid = (reason: string): ClaimFailure => ({ status: 401, kind: 'invalid_token', reason });
  if (!audienceAccepted(payload.aud, issuer.audiences)) return invalid(REASON.audienceNotAccepted);

  const { exp, nbf, iat } = payload;
  if (!isNumericDate(exp)) return invalid(REASON.malformedToken);
  if (nbf !== undefined && !isNumericDate(nbf)) return invalid(REASON.malformedToken);
  if (iat !== undefined && !isNumericDate(iat)) return invalid(REASON.malformedToken);
  if (exp <= now - leeway) return invalid(REASON.tokenExpired);
  if (nbf !== undefined && nbf > now + leeway) return invalid(REASON.tokenNotYetValid);
  if (iat !== undefined && iat > now + leeway) return invalid(REASON.tokenNotYetValid);
  if (payload.scope !== undefined && typeof payload.scope !== 'string') return invalid(REASON.malformedToken);
  return undefined;
}

/** `scope` is space-delimited; each required scope must be present as a whole, case-sensitive. */
export function hasScopes(scope: unknown, required: readonly string[]): boolean {
  if (required.length === 0) return true;
  if (typeof scope !== 'string') return false;
  const granted = new Set(scope.split(' '));
  return required.every((s) => granted.has(s));
}

export function checkAccess(payload: Record<string, unknown>, policy: PolicyConfig): ClaimFailure | undefined {
  if (!hasScopes(payload.scope, policy.requiredScopes)) {
    return { status: 403, kind: 'insufficient_scope', reason: REASON.missingScope };
  }
  if (policy.requireEmailVerified && payload.email_verified !== true) {
    return { status: 403, kind: 'access_denied', reason: REASON.emailNotVerified };
  }
  if (policy.allowedEmails.length > 0) {
    const email = normalizeEmail(payload.email);
    if (email === undefined || !emailAllowed(email, policy.allowedEmails)) {
      return { status: 403, kind: 'access_denied', reason: REASON.emailNotAllowed };
    }
  }
  return undefined;
}
