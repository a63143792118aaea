/**
 * Public views of JWKs. Members are copied from an allowlist per key type, so private members
 * (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`, `priv`) and symmetric keys (`k`) can never leak into a
 * published JWKS, whatever the input carried.
 */
import type { JWK } from '../policy/types.js';

const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
};

/** The public signing key, or undefined for symmetric, encryption-only or unknown keys. */
export function toPublicJwk(jwk: JWK): JWK | undefined {
  const members = typeof jwk.kty === 'string' ? PUBLIC_MEMBERS[jwk.kty] : undefined;
  if (!members) return undefined;
  if (jwk.use !== undefined && jwk.use !== 'sig') return undefined;
  const out: JWK = { kty: jwk.kty };
  for (const m of members) {
    if (typeof jwk[m] !== 'string') return undefined;
    out[m] = jwk[m];
  }
  if (typeof jwk.kid === 'string') out.kid = jwk.kid;
  if (typeof jwk.alg === 'string') out.alg = jwk.alg;
  out.use = 'sig';
  return out;
}

export function toPublicJwks(keys: readonly JWK[]): { keys: JWK[] } {
  return { keys: keys.map(toPublicJwk).filter((k): k is JWK => k !== undefined) };
}
