/**
 * The forwardAuth decision, as a function of (policy, request, keys, time) only: no I/O, no
 * clock, no logging, so the wasm plugin's decisions can be compared against it in a parity test.
 *
 * Order (the first failing step answers):
 *  1. path: public -> 200; not protected -> 200; unsure paths count as protected
 *  2. token location: several Authorization headers / header + query / several query tokens /
 *     malformed header / query token not allowed -> 400; none -> 401 (or 302 to loginRedirect)
 *  3. size cap (before any decoding) -> 401 token too large
 *  4. structure: 3 segments, strict base64url, UTF-8 JSON objects without duplicate members,
 *     `alg`/`kid`/`typ` of the right type, no `crit`, no `b64` other than true -> 401 malformed
 *  5. `iss` (unverified, only to pick the trusted entry; re-checked exactly) -> issuer not trusted
 *  6. `alg` in the issuer's list (so `none`, HS*, anything else never reach a key) -> algorithm
 *  7. `typ` as configured for the issuer -> token type not accepted
 *  8. key by `kid` in the issuer's loaded set only (`jku`/`x5u`/`jwk`/`x5c` never read);
 *     unknown -> unknown key id; key of another algorithm -> algorithm not allowed
 *  9. signature (exact length, then jose) -> signature invalid
 * 10. aud, exp/nbf/iat -> 401; scopes -> 403 insufficient_scope; email -> 403 access_denied
 */
import { compactVerify } from 'jose';

import { normalizeTyp } from '../policy/load.js';
import { normalizeEmail } from '../policy/email.js';
import type { IssuerPolicy, PolicyConfig } from '../policy/types.js';
import type { VerifyKey } from '../policy/verify-keys.js';
import { checkAccess, checkTokenClaims } from './claims.js';
import { parseCompactJwt, type CompactJwt } from './compact-jwt.js';
import { accessDenied, allow, insufficientScope, invalidToken, type Decision } from './decision.js';
import { locateToken } from './locate-token.js';
import { classifyPath } from './paths.js';
import { REASON } from './reasons.js';
import type { ForwardAuthRequest } from './request.js';

export interface DecideContext {
  /** current time, epoch seconds */
  now: number;
  /** the verification keys currently loaded for a configured issuer */
  keysFor(issuer: string): readonly VerifyKey[];
}

/** Printable ASCII, bounded: safe to put in a header for the upstream. */
function headerSafe(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024 && /^[\x20-\x7e]+$/.test(value);
}

function typAccepted(typ: unknown, expected: string): boolean {
  if (expected === '') return typ === undefined;
  return typeof typ === 'string' && normalizeTyp(typ) === expected;
}

function headerWellFormed(header: Record<string, unknown>): boolean {
  if (typeof header.alg !== 'string') return false;
  if (header.kid !== undefined && typeof header.kid !== 'string') return false;
  if (header.typ !== undefined && typeof header.typ !== 'string') return false;
  // No extension is understood, so any `crit` is refused (RFC 7515 §4.1.11); `b64: false`
  // (RFC 7797) would change what the signature covers.
  if ('crit' in header) return false;
  if ('b64' in header && header.b64 !== true) return false;
  return true;
}

async function signatureValid(token: string, jwt: CompactJwt, key: VerifyKey): Promise<boolean> {
  // RSA signatures are exactly the modulus length, ECDSA/EdDSA exactly 64 bytes (raw r||s, no DER).
  if (jwt.signature.length !== key.signatureBytes) return false;
  try {
    await compactVerify(token, key.key, { algorithms: [key.alg] });
    return true;
  } catch {
    return false;
  }
}

function identityHeaders(payload: Record<string, unknown>, policy: PolicyConfig): Record<string, string> {
  const fh = policy.forwardHeaders;
  const email = normalizeEmail(payload.email) !== undefined ? (payload.email as string) : undefined;
  const sub = headerSafe(payload.sub) ? payload.sub : undefined;
  const clientId = headerSafe(payload.client_id) ? payload.client_id : undefined;
  const scope = headerSafe(payload.scope) ? payload.scope : undefined;
  const out: Record<string, string> = {};
  const user = email ?? sub;
  if (fh.user && user) out[fh.user] = user;
  if (fh.email && email) out[fh.email] = email;
  if (fh.subject && sub) out[fh.subject] = sub;
  if (fh.scopes && scope) out[fh.scopes] = scope;
  if (fh.clientId && clientId) out[fh.clientId] = clientId;
  return out;
}

/** Verifies a located bearer token and applies the access rules (steps 3-10). */
export async function decideToken(policy: PolicyConfig, token: string, ctx: DecideContext): Promise<Decision> {
  if (token.length > policy.maxTokenBytes) return invalidToken(policy, REASON.tokenTooLarge);
  const jwt = parseCompactJwt(token);
  if (!jwt || !headerWellFormed(jwt.header)) return invalidToken(policy, REASON.malformedToken);
  const { header, payload } = jwt;
  const alg = header.alg as string;

  const iss = payload.iss;
  const issuer: IssuerPolicy | undefined = typeof iss === 'string' ? policy.issuers.find((i) => i.issuer === iss) : undefined;
  if (!issuer) return invalidToken(policy, REASON.issuerNotTrusted);
  if (!(issuer.algorithms as string[]).includes(alg)) return invalidToken(policy, REASON.algorithmNotAllowed);
  if (!typAccepted(header.typ, issuer.type)) return invalidToken(policy, REASON.typeNotAccepted);

  const keys = ctx.keysFor(issuer.issuer);
  let candidates: readonly VerifyKey[];
  if (typeof header.kid === 'string') {
    const key = keys.find((k) => k.kid === header.kid);
    // the issuer goes along so the caller knows whose keys to reload
    if (!key) return { ...invalidToken(policy, REASON.unknownKeyId), issuer: issuer.issuer };
    if (key.alg !== alg) return invalidToken(policy, REASON.algorithmNotAllowed);
    candidates = [key];
  } else {
    candidates = keys.filter((k) => k.alg === alg);
    if (candidates.length === 0) return { ...invalidToken(policy, REASON.unknownKeyId), issuer: issuer.issuer };
  }
  let verified = false;
  for (const key of candidates) {
    if (await signatureValid(token, jwt, key)) {
      verified = true;
      break;
    }
  }
  if (!verified) return invalidToken(policy, REASON.signatureInvalid);

  const failure = checkTokenClaims(payload, issuer, ctx.now, policy.clockSkewSeconds) ?? checkAccess(payload, policy);
  const who = {
    ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}),
    ...(typeof payload.client_id === 'string' ? { clientId: payload.client_id } : {}),
    issuer: issuer.issuer,
  };
  if (failure) {
    const d = failure.kind === 'invalid_token' ? invalidToken(policy, failure.reason)
      : failure.kind === 'insufficient_scope' ? insufficientScope(policy, failure.reason)
        : accessDenied(policy, failure.reason);
    return { ...d, ...who };
  }
  return { ...allow(REASON.tokenValid, identityHeaders(payload, policy)), ...who };
}

/** The full decision for one forwardAuth request. */
export async function decide(policy: PolicyConfig, request: ForwardAuthRequest, ctx: DecideContext): Promise<Decision> {
  const pathClass = classifyPath(policy, request.uri);
  if (pathClass === 'public') return allow(REASON.publicPath);
  if (pathClass === 'unprotected') return allow(REASON.notProtected);
  const located = locateToken(policy, request);
  if ('decision' in located) return located.decision;
  return decideToken(policy, located.token, ctx);
}
