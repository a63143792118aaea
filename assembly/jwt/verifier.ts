// Access-token verification: JWS signature with a trusted key first, then the claims, in the
// order jose uses (typ, required claims, iss/aud, time). Returns the caller's identity or a short
// fixed reason (docs/policy-contract.md) that never contains the token.
import { JsonKind, JsonValue } from '../encoding/json';
import { Config, IssuerConfig, normalizeTokenType } from '../policy/config';
import { splitScopes } from '../policy/scopes';
import { VerificationKey } from './jwk';
import { KEY_AMBIGUOUS, KEY_NONE_FOR_ALG, KEY_UNKNOWN_KID, candidateKeys, parseClaims, parseCompactJws, verifySignature } from './jws';

export class Identity {
  issuerIndex: i32 = 0;
  subject: string = '';
  email: string = '';
  emailVerified: bool = false;
  scope: string = '';
  scopes: string[] = [];
  clientId: string = '';
  expiresAt: f64 = 0;
  notBefore: f64 = -Infinity;
  /**
   * The scope and email verdict decide() reached for this identity (0 = not reached yet),
   * remembered for cache hits: an identity lives in one instance's cache, whose configuration
   * never changes, and the claims it was made from cannot change either.
   */
  policyVerdict: i32 = 0;
  /** The user header value: the email, or the subject when there is no email. */
  user(): string {
    return this.email.length > 0 ? this.email : this.subject;
  }
}

export class VerifyResult {
  constructor(public identity: Identity | null, public reason: string) {}
  get ok(): bool {
    return this.identity != null;
  }
}

/** Where the verifier gets keys: inline sets, mounted files, test doubles. */
export abstract class KeySource {
  abstract keysFor(issuerIndex: i32): VerificationKey[];
  /** Called once per token on an unknown `kid`; returns true when the keys changed. Rate-limited by the source. */
  abstract reloadForUnknownKid(issuerIndex: i32, now: i64): bool;
}

function deny(reason: string): VerifyResult {
  return new VerifyResult(null, reason);
}

function findIssuer(config: Config, iss: string): i32 {
  for (let i = 0; i < config.issuers.length; i++) {
    if (config.issuers[i].issuer == iss) return i;
  }
  return -1;
}

/** A JSON number usable as a NumericDate; strings, booleans and null are not. */
function numericDate(claims: JsonValue, name: string): JsonValue | null {
  return claims.get(name);
}

function audienceAccepted(aud: JsonValue, accepted: string[]): i32 {
  // 1 accepted, 0 not accepted, -1 malformed
  if (aud.kind == JsonKind.String) return accepted.includes(aud.stringValue) ? 1 : 0;
  if (aud.kind != JsonKind.Array || aud.items.length == 0) return -1;
  let found = false;
  for (let i = 0; i < aud.items.length; i++) {
    const item = aud.items[i];
    if (item.kind != JsonKind.String) return -1;
    if (accepted.includes(item.stringValue)) found = true;
  }
  return found ? 1 : 0;
}

/** Checks signature and claims. `now` is Unix seconds from the real-time clock. */
export function verifyAccessToken(token: string, config: Config, keys: KeySource, now: i64): VerifyResult {
  const parsed = parseCompactJws(token, config.maxTokenBytes);
  if (parsed.jws == null) return deny(parsed.reason);
  const jws = parsed.jws!;
  if (jws.family == 0) return deny('algorithm not allowed');

  const claims = parseClaims(jws, config.maxTokenBytes);
  if (claims == null) return deny('malformed token claims');
  const issValue = claims.get('iss');
  if (issValue == null || issValue.kind != JsonKind.String) return deny('issuer not trusted');
  const issuerIndex = findIssuer(config, issValue.stringValue);
  if (issuerIndex < 0) return deny('issuer not trusted');
  const issuer: IssuerConfig = config.issuers[issuerIndex];
  if ((issuer.algorithms & jws.family) == 0) return deny('algorithm not allowed');

  let lookup = candidateKeys(jws, keys.keysFor(issuerIndex));
  if (lookup.status == KEY_UNKNOWN_KID && keys.reloadForUnknownKid(issuerIndex, now)) {
    lookup = candidateKeys(jws, keys.keysFor(issuerIndex));
  }
  if (lookup.status == KEY_UNKNOWN_KID) return deny('unknown key id');
  if (lookup.status == KEY_AMBIGUOUS) return deny('token has no key id');
  if (lookup.status == KEY_NONE_FOR_ALG) return deny('unknown key id');
  let verified = false;
  for (let i = 0; i < lookup.keys.length && !verified; i++) {
    if (verifySignature(jws, lookup.keys[i])) verified = true;
  }
  if (!verified) return deny('signature invalid');

  // From here on the claims are authentic.
  if (issuer.tokenType.length > 0) {
    if (!jws.hasTyp || normalizeTokenType(jws.typ) != issuer.tokenType) return deny('token type not accepted');
  }

  const skew = <f64>config.clockSkewSeconds;
  const nowF = <f64>now;
  const identity = new Identity();
  identity.issuerIndex = issuerIndex;

  const exp = numericDate(claims, 'exp');
  if (exp == null) return deny('token has no expiry');
  if (exp.kind != JsonKind.Number) return deny('malformed token claims');
  identity.expiresAt = exp.numberValue;
  const nbf = numericDate(claims, 'nbf');
  if (nbf != null) {
    if (nbf.kind != JsonKind.Number) return deny('malformed token claims');
    identity.notBefore = nbf.numberValue;
  }
  const iat = numericDate(claims, 'iat');
  if (iat != null && iat.kind != JsonKind.Number) return deny('malformed token claims');

  const aud = claims.get('aud');
  if (aud == null) return deny('audience not accepted');
  const audOk = audienceAccepted(aud, issuer.audiences);
  if (audOk < 0) return deny('malformed token claims');
  if (audOk == 0) return deny('audience not accepted');

  const sub = claims.get('sub');
  if (sub == null || sub.kind != JsonKind.String || sub.stringValue.length == 0) return deny('malformed token claims');
  identity.subject = sub.stringValue;

  const scope = claims.get('scope');
  if (scope != null) {
    if (scope.kind != JsonKind.String) return deny('malformed token claims');
    identity.scope = scope.stringValue;
    identity.scopes = splitScopes(scope.stringValue);
  }
  const email = claims.get('email');
  if (email != null) {
    if (email.kind != JsonKind.String) return deny('malformed token claims');
    identity.email = email.stringValue;
  }
  const verifiedFlag = claims.get('email_verified');
  // Only the JSON boolean true counts (checklist: "email_verified must be boolean true").
  identity.emailVerified = verifiedFlag != null && verifiedFlag.kind == JsonKind.Bool && verifiedFlag.boolValue;
  const clientId = claims.get('client_id');
  if (clientId != null) {
    if (clientId.kind != JsonKind.String) return deny('malformed token claims');
    identity.clientId = clientId.stringValue;
  }

  // These values become upstream request headers. Only printable ASCII passes: control
  // characters could split headers, and non-ASCII look-alikes (full-width letters, Cyrillic) could
  // be folded into another user's name by an upstream that normalizes Unicode.
  if (!headerSafe(identity.subject, MAX_IDENTITY_CHARS) || !headerSafe(identity.email, MAX_IDENTITY_CHARS) ||
      !headerSafe(identity.clientId, MAX_IDENTITY_CHARS) || !headerSafe(identity.scope, MAX_SCOPE_CHARS, false)) {
    return deny('malformed token claims');
  }

  const timeReason = checkTime(identity, nowF, skew);
  if (timeReason.length > 0) return deny(timeReason);
  if (iat != null && iat.numberValue > nowF + skew) return deny('token issued in the future');
  return new VerifyResult(identity, '');
}

/**
 * Time window with leeway, boundaries as jose draws them: expired when `exp <= now - skew`,
 * not yet valid when `nbf > now + skew`. Re-run on every cache hit.
 */
export function checkTime(identity: Identity, now: f64, skew: f64): string {
  if (identity.expiresAt <= now - skew) return 'token expired';
  if (identity.notBefore > now + skew) return 'token not yet valid';
  return '';
}

export const MAX_IDENTITY_CHARS: i32 = 1024;
export const MAX_SCOPE_CHARS: i32 = 4096;

/**
 * Printable ASCII (0x20-0x7e) only, at most `max` characters, and no space at either end: HTTP
 * drops a header value's surrounding spaces, so " admin" would reach the upstream as "admin".
 */
function headerSafe(s: string, max: i32, trimmed: bool = true): bool {
  if (s.length > max) return false;
  if (trimmed && s.length > 0 && (s.charCodeAt(0) == 0x20 || s.charCodeAt(s.length - 1) == 0x20)) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
