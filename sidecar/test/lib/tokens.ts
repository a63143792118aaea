/**
 * Test keys and a raw JWS builder: header and payload are given as exact JSON text (so duplicate
 * members, odd numbers or invalid UTF-8 can be expressed) and signed with node:crypto directly.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

import type { JWK } from '../../src/policy/types.js';

export type Alg = 'RS256' | 'ES256' | 'EdDSA';

export interface TestKey {
  alg: Alg;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** public JWK with kid, alg, use */
  jwk: JWK;
}

export function makeKey(alg: Alg, kid: string, opts: { modulusLength?: number; publicExponent?: number; omitAlg?: boolean } = {}): TestKey {
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: opts.modulusLength ?? 2048, publicExponent: opts.publicExponent ?? 65537 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const jwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  return {
    alg,
    kid,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    jwk: { ...jwk, kid, ...(opts.omitAlg ? {} : { alg }), use: 'sig' },
  };
}

export const b64 = (data: string | Buffer | Uint8Array): string => Buffer.from(data).toString('base64url');

export function signRaw(alg: Alg, key: KeyObject, signingInput: string, opts: { der?: boolean } = {}): Buffer {
  const data = Buffer.from(signingInput, 'ascii');
  if (alg === 'RS256') return sign('sha256', data, key);
  if (alg === 'ES256') return sign('sha256', data, { key, dsaEncoding: opts.der ? 'der' : 'ieee-p1363' });
  return sign(null, data, key);
}

export interface RawTokenInput {
  /** header JSON text or object (kid/alg default from the key) */
  header?: string | Record<string, unknown>;
  /** payload JSON text or object */
  payload: string | Record<string, unknown> | Buffer;
  key: TestKey;
  der?: boolean;
}

/** A compact JWS over exactly the given header/payload bytes. */
export function rawToken({ header, payload, key, der }: RawTokenInput): string {
  const headerText = typeof header === 'string' ? header : JSON.stringify(header ?? { alg: key.alg, typ: 'at+jwt', kid: key.kid });
  const payloadBytes = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const input = `${b64(headerText)}.${b64(payloadBytes)}`;
  return `${input}.${b64(signRaw(key.alg, key.privateKey, input, { der }))}`;
}

/** An HS256 token whose HMAC secret is some representation of a public key (alg confusion). */
export function hmacToken(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | Buffer): string {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${b64(createHmac('sha256', secret).update(input).digest())}`;
}
