// Verifies access tokens the way a resource server would: against the sidecar's /jwks.
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';

const jwksCache = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

export async function verifyAccessToken(issuer: string, token: string, audience: string): Promise<{ payload: JWTPayload; header: ReturnType<typeof decodeProtectedHeader> }> {
  let jwks = jwksCache.get(issuer);
  if (!jwks) {
    jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    jwksCache.set(issuer, jwks);
  }
  const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt' });
  return { payload, header: protectedHeader };
}
