// Access tokens signed with the running sidecar's own current signing key (read from its storage),
// shaped like the JWT access tokens it issues (RFC 9068: typ at+jwt, iss, aud, sub, client_id,
// scope, email). Lets the deployment checks use the key set the sidecar really wrote to JWKS_FILE
// without driving a browser login.
import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT } from 'jose';
import type { SidecarConfig } from '../../../sidecar/src/config.js';
import { loadSigningKeys } from '../../../sidecar/src/keys/keystore.js';
import type { RunningSidecar } from '../../../sidecar/src/server.js';

export type SignAccessToken = (claims: Record<string, unknown>) => Promise<string>;

export async function sidecarSigner(sidecar: RunningSidecar, config: SidecarConfig): Promise<SignAccessToken> {
  const keys = await loadSigningKeys(sidecar.storage, { alg: config.signingAlg });
  const jwk = keys.privateJwks.keys[0]!;
  const privateKey = await importJWK(jwk, config.signingAlg);
  return (claims) =>
    new SignJWT({ jti: randomUUID(), ...claims })
      .setProtectedHeader({ alg: config.signingAlg, typ: 'at+jwt', kid: jwk.kid })
      .sign(privateKey);
}

/** The claims of a token the sidecar would issue for its first RESOURCE, valid now. */
export function accessTokenClaims(config: SidecarConfig, email: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: config.issuer,
    aud: config.resources[0],
    sub: 'upstream-subject-123',
    client_id: 'client-1',
    scope: config.requiredScopes.join(' '),
    email,
    email_verified: true,
    iat: now,
    exp: now + config.accessTokenTtl,
    ...overrides,
  };
}
