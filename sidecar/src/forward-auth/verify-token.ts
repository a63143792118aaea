/**
 * Access-token verification as the plugin does it (assembly/jwt/verifier.ts): structure, issuer
 * and algorithm, key and signature first; then, on authentic claims, typ, exp/nbf/iat types, aud,
 * sub, the string claims, printable-ASCII identity values, and the time window. Returns the caller's identity
 * or a short fixed reason (docs/policy-contract.md) that never contains the token.
 */
import { member, type JsonNode } from '../policy/json.js';
import { normalizeTyp } from '../policy/load.js';
import type { PolicyConfig } from '../policy/types.js';
import type { VerifyKey } from '../policy/verify-keys.js';
import { candidateKeys, parseClaims, parseCompactJws, verifySignature } from './compact-jwt.js';
import type { Identity } from './decision.js';
import { REASON } from './reasons.js';

export type VerifyResult =
  | { ok: true; identity: Identity }
  /** `reloadIssuer`: the token's kid is not among this issuer's keys (worth one key reload) */
  | { ok: false; reason: string; reloadIssuer?: string };

/** The verification keys currently loaded for a configured issuer. */
export type KeysFor = (issuer: string) => readonly VerifyKey[];

const deny = (reason: string): VerifyResult => ({ ok: false, reason });

/** 1 accepted, 0 not accepted, -1 malformed (empty array, non-string member, not string/array). */
function audienceAccepted(aud: JsonNode, accepted: readonly string[]): number {
  if (aud.kind === 'string') return accepted.includes(aud.value) ? 1 : 0;
  if (aud.kind !== 'array' || aud.items.length === 0) return -1;
  let found = false;
  for (const item of aud.items) {
    if (item.kind !== 'string') return -1;
    if (accepted.includes(item.value)) found = true;
  }
  return found ? 1 : 0;
}

/** Space-delimited scopes (RFC 6749 §3.3), empty entries dropped. */
export function splitScopes(scope: string): string[] {
  return scope.split(' ').filter((s) => s.length > 0);
}

/** Longest `sub`, `email` and `client_id` accepted; `scope` may be longer. */
export const MAX_IDENTITY_CHARS = 1024;
export const MAX_SCOPE_CHARS = 4096;

/**
 * Values that become upstream request headers: printable ASCII only (control characters could
 * split headers; non-ASCII look-alikes could be folded onto another user by an upstream that
 * normalizes Unicode), and bounded.
 */
function headerSafe(s: string, max: number): boolean {
  return s.length <= max && /^[\x20-\x7e]*$/.test(s);
}

/** A value that starts or ends with a space. */
export const hasEdgeSpace = (s: string): boolean => s.startsWith(' ') || s.endsWith(' ');

/**
 * The time window with leeway, boundaries as jose draws them: expired when `exp <= now - skew`,
 * not yet valid when `nbf > now + skew`.
 */
export function checkTime(identity: Identity, now: number, skew: number): string {
  if (identity.expiresAt <= now - skew) return REASON.tokenExpired;
  if (identity.notBefore > now + skew) return REASON.tokenNotYetValid;
  return '';
}

/** Checks signature and claims of a bearer token at `now` (Unix seconds). */
export function verifyAccessToken(token: string, policy: PolicyConfig, keysFor: KeysFor, now: number): VerifyResult {
  const parsed = parseCompactJws(token, policy.maxTokenBytes);
  if (!parsed.ok) return deny(parsed.reason);
  const jws = parsed.jws;
  if (jws.family === undefined) return deny(REASON.algorithmNotAllowed);

  const claims = parseClaims(jws, policy.maxTokenBytes);
  if (!claims) return deny(REASON.malformedClaims);
  const iss = member(claims, 'iss');
  if (iss?.kind !== 'string') return deny(REASON.issuerNotTrusted);
  const issuer = policy.issuers.find((i) => i.issuer === iss.value);
  if (!issuer) return deny(REASON.issuerNotTrusted);
  if (!issuer.algorithms.includes(jws.family)) return deny(REASON.algorithmNotAllowed);

  const lookup = candidateKeys(jws, keysFor(issuer.issuer));
  if (lookup.status !== 'found') {
    if (lookup.status === 'unknown-kid') return { ok: false, reason: REASON.unknownKeyId, reloadIssuer: issuer.issuer };
    return deny(lookup.status === 'ambiguous' ? REASON.noKeyId : REASON.unknownKeyId);
  }
  if (!lookup.keys.some((key) => verifySignature(jws, key))) return deny(REASON.signatureInvalid);

  // From here on the claims are authentic.
  if (issuer.type.length > 0 && (jws.typ === undefined || normalizeTyp(jws.typ) !== issuer.type)) return deny(REASON.typeNotAccepted);

  const exp = member(claims, 'exp');
  if (exp === undefined) return deny(REASON.noExpiry);
  if (exp.kind !== 'number') return deny(REASON.malformedClaims);
  const nbf = member(claims, 'nbf');
  if (nbf !== undefined && nbf.kind !== 'number') return deny(REASON.malformedClaims);
  const iat = member(claims, 'iat');
  if (iat !== undefined && iat.kind !== 'number') return deny(REASON.malformedClaims);

  const aud = member(claims, 'aud');
  if (aud === undefined) return deny(REASON.audienceNotAccepted);
  const audOk = audienceAccepted(aud, issuer.audiences);
  if (audOk < 0) return deny(REASON.malformedClaims);
  if (audOk === 0) return deny(REASON.audienceNotAccepted);

  const sub = member(claims, 'sub');
  if (sub?.kind !== 'string' || sub.value.length === 0) return deny(REASON.malformedClaims);
  const optionalString = (name: string): string | null => {
    const v = member(claims, name);
    if (v === undefined) return '';
    return v.kind === 'string' ? v.value : null;
  };
  const scope = optionalString('scope');
  const email = optionalString('email');
  const clientId = optionalString('client_id');
  if (scope === null || email === null) return deny(REASON.malformedClaims);
  const verifiedFlag = member(claims, 'email_verified');
  if (clientId === null) return deny(REASON.malformedClaims);
  if (![sub.value, email, clientId].every((v) => headerSafe(v, MAX_IDENTITY_CHARS)) || !headerSafe(scope, MAX_SCOPE_CHARS)) {
    return deny(REASON.malformedClaims);
  }
  // Deliberately stricter than the plugin (reported): HTTP drops a header value's leading and
  // trailing spaces, so `sub: " admin"` would reach the upstream as `admin`, another user.
  if ([sub.value, email, clientId].some(hasEdgeSpace)) return deny(REASON.malformedClaims);

  const identity: Identity = {
    issuer: issuer.issuer,
    subject: sub.value,
    email,
    // Only the JSON boolean true counts.
    emailVerified: verifiedFlag?.kind === 'bool' && verifiedFlag.value,
    scope,
    scopes: splitScopes(scope),
    clientId,
    expiresAt: exp.value,
    notBefore: nbf?.kind === 'number' ? nbf.value : Number.NEGATIVE_INFINITY,
  };
  const timeReason = checkTime(identity, now, policy.clockSkewSeconds);
  if (timeReason) return deny(timeReason);
  if (iat !== undefined && iat.kind === 'number' && iat.value > now + policy.clockSkewSeconds) return deny(REASON.issuedInFuture);
  return { ok: true, identity };
}
