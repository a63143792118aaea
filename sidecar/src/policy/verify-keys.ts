/**
 * Turns public JWKs into verification keys, refusing anything weaker or stranger than the
 * checklist allows: RSA 2048..4096-bit with e = 65537, EC P-256, Ed25519; `use` (when set) must be
 * `sig`, `key_ops` (when set) must include `verify`; no private members. A key's own `alg`, when
 * set, restricts it to that algorithm.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

import { decodeStrictBase64url } from './base64url.js';
import { SIGNING_ALGS, type SigningAlg } from './types.js';

export interface VerifyKey {
  kid?: string;
  /** the one algorithm this key verifies (from its type; its `alg` member must agree) */
  alg: SigningAlg;
  key: KeyObject;
  /** exact length a signature made with this key has */
  signatureBytes: number;
}

/** JWK members that only private or symmetric keys carry. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

const RSA_E_65537 = 'AQAB';

function bitLength(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]));
}

function b64Length(value: unknown): number | undefined {
  return typeof value === 'string' ? decodeStrictBase64url(value)?.length : undefined;
}

type Imported = { ok: true; key: VerifyKey } | { ok: false; problem: string };

export function importVerifyKey(jwk: unknown): Imported {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return { ok: false, problem: 'key is not an object' };
  const k = jwk as Record<string, unknown>;
  const kid = k.kid;
  if (kid !== undefined && typeof kid !== 'string') return { ok: false, problem: 'kid is not a string' };
  const label = kid === undefined ? 'key without kid' : `key ${JSON.stringify(kid)}`;
  const fail = (problem: string): Imported => ({ ok: false, problem: `${label}: ${problem}` });

  if (PRIVATE_JWK_MEMBERS.some((m) => m in k)) return fail('contains private or symmetric key material');
  if (k.use !== undefined && k.use !== 'sig') return fail('use is not "sig"');
  if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) {
    return fail('key_ops does not include "verify"');
  }

  let alg: SigningAlg;
  let signatureBytes: number;
  let material: Record<string, string>;
  switch (k.kty) {
    case 'RSA': {
      const n = typeof k.n === 'string' ? decodeStrictBase64url(k.n) : undefined;
      if (!n) return fail('n is missing or not base64url');
      if (k.e !== RSA_E_65537) return fail('exponent must be 65537');
      const bits = bitLength(n);
      if (bits < 2048 || bits > 4096) return fail(`RSA modulus of ${bits} bits (2048..4096 required)`);
      alg = 'RS256';
      signatureBytes = Math.ceil(bits / 8);
      material = { kty: 'RSA', n: k.n as string, e: RSA_E_65537 };
      break;
    }
    case 'EC': {
      if (k.crv !== 'P-256') return fail('only EC curve P-256 is supported');
      if (b64Length(k.x) !== 32 || b64Length(k.y) !== 32) return fail('x/y are not 32-byte base64url');
      alg = 'ES256';
      signatureBytes = 64;
      material = { kty: 'EC', crv: 'P-256', x: k.x as string, y: k.y as string };
      break;
    }
    case 'OKP': {
      if (k.crv !== 'Ed25519') return fail('only OKP curve Ed25519 is supported');
      if (b64Length(k.x) !== 32) return fail('x is not 32-byte base64url');
      alg = 'EdDSA';
      signatureBytes = 64;
      material = { kty: 'OKP', crv: 'Ed25519', x: k.x as string };
      break;
    }
    default:
      return fail(`unsupported kty ${JSON.stringify(k.kty)}`);
  }
  if (k.alg !== undefined && k.alg !== alg) {
    return fail(`alg ${JSON.stringify(k.alg)} does not fit the key (expected ${alg})`);
  }

  let key: KeyObject;
  try {
    key = createPublicKey({ key: material, format: 'jwk' });
  } catch (err) {
    return fail(`not a valid public key (${(err as Error).message})`);
  }
  return { ok: true, key: { kid: kid as string | undefined, alg, key, signatureBytes } };
}

/** Imports every usable key of a JWKS and lists why the others were skipped. */
export function importVerifyKeys(jwks: unknown): { keys: VerifyKey[]; problems: string[] } {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    return { keys: [], problems: ['not a JWKS object with a "keys" array'] };
  }
  const keys: VerifyKey[] = [];
  const problems: string[] = [];
  for (const jwk of (jwks as { keys: unknown[] }).keys) {
    const imported = importVerifyKey(jwk);
    if (imported.ok) keys.push(imported.key);
    else problems.push(imported.problem);
  }
  return { keys, problems };
}

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && (SIGNING_ALGS as readonly string[]).includes(value);
}
