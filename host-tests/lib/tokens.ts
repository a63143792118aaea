// Token factory for tests: real keys from node:crypto / jose, tokens signed with jose, and a raw
// builder for malformed tokens that no library would produce.
import crypto from 'node:crypto';
import { SignJWT, exportJWK, type JWK } from 'jose';

export type Alg = 'RS256' | 'ES256' | 'EdDSA';
export const ALGS: Alg[] = ['RS256', 'ES256', 'EdDSA'];

export interface TestKey {
  alg: Alg;
  kid: string;
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  publicJwk: JWK;
}

export async function makeKey(alg: Alg, kid = `${alg.toLowerCase()}-${crypto.randomBytes(4).toString('hex')}`, rsaBits = 2048): Promise<TestKey> {
  let pair: crypto.KeyPairKeyObjectResult;
  if (alg === 'RS256') pair = crypto.generateKeyPairSync('rsa', { modulusLength: rsaBits, publicExponent: 65537 });
  else if (alg === 'ES256') pair = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  else pair = crypto.generateKeyPairSync('ed25519');
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, publicJwk };
}

export const NOW = 1_800_000_000; // fixed clock for deterministic tests (2027-01-15)
export const ISSUER = 'https://auth.example.com';
export const RESOURCE = 'https://mcp.example.com/mcp';

export function baseClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: 'user-123',
    aud: RESOURCE,
    exp: NOW + 600,
    iat: NOW,
    scope: 'mcp:tools openid',
    client_id: 'client-abc',
    email: 'alice@example.com',
    email_verified: true,
    jti: crypto.randomUUID(),
    ...overrides,
  };
}

export async function sign(key: TestKey, claims: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
  const h: Record<string, unknown> = { alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return new SignJWT(claims as never).setProtectedHeader(h as never).sign(key.privateKey);
}

export const b64u = (data: string | Buffer | Uint8Array): string => Buffer.from(data).toString('base64url');

/** Signs arbitrary header/payload TEXT (so tests can put duplicate members or odd JSON in). */
export function signRaw(key: TestKey, headerText: string, payloadText: string): string {
  const input = `${b64u(headerText)}.${b64u(payloadText)}`;
  return `${input}.${b64u(signBytes(key, Buffer.from(input)))}`;
}

export function signBytes(key: TestKey, data: Buffer): Buffer {
  if (key.alg === 'RS256') return crypto.sign('sha256', data, key.privateKey);
  if (key.alg === 'ES256') return crypto.sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return crypto.sign(null, data, key.privateKey);
}

export function jwks(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

export function pluginOptions(keys: TestKey[], overrides: Record<string, unknown> = {}, issuerOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resource: RESOURCE,
    issuers: [{ issuer: ISSUER, jwks: jwks(...keys), ...issuerOverrides }],
    ...overrides,
  };
}
