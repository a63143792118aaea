// Differential test: the guest verifier and jose (the library most of the Node world trusts) must
// agree on thousands of randomized valid and tampered tokens. Where the guest is deliberately
// stricter than jose (non-canonical base64url, which jose's atob-based decoder tolerates; `iat` in
// the future; a missing/empty `sub`), the expectation says so explicitly.
import { beforeAll, expect, test } from 'vitest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { loadHarness } from '../lib/harness.js';
import { ALGS, ISSUER, NOW, RESOURCE, makeKey, pluginOptions, sign, jwks, type TestKey } from '../lib/tokens.js';

interface JwtHarness {
  configure(options: string): string;
  verify(token: string, now: number): string;
}

let h: JwtHarness;
let trusted: TestKey[];
let untrusted: TestKey[];

// Deterministic PRNG so a failure reproduces.
let seed = 0x9e3779b9;
function rand(): number {
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 0x100000000;
}
const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)];
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

function canonical(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  return parts.every((p) => /^[A-Za-z0-9_-]*$/.test(p) && Buffer.from(p, 'base64url').toString('base64url') === p);
}

function randomClaims(): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    iss: rand() < 0.9 ? ISSUER : pick([`${ISSUER}/`, 'https://evil.example', 'HTTPS://auth.example.com']),
    sub: `user-${int(1, 1e6)}`,
    aud: rand() < 0.85 ? pick([RESOURCE, [RESOURCE], ['https://x.example', RESOURCE]]) : pick(['https://other.example', ['https://x.example'], `${RESOURCE}/`]),
    exp: NOW + int(-400, 1200),
    iat: NOW - int(0, 300),
    scope: pick(['mcp:tools', 'mcp:tools openid', 'openid', '']),
    client_id: `client-${int(1, 99)}`,
  };
  if (rand() < 0.3) claims.nbf = NOW + int(-200, 200);
  if (rand() < 0.5) claims.email = `user${int(1, 50)}@example.com`;
  if (rand() < 0.05) delete claims.exp;
  return claims;
}

function tamper(token: string): string {
  const kind = int(0, 5);
  const parts = token.split('.');
  if (kind === 0) {
    // flip one bit inside a decoded segment and re-encode canonically
    const seg = int(0, 2);
    const bytes = Buffer.from(parts[seg], 'base64url');
    if (bytes.length === 0) return token;
    const i = int(0, bytes.length - 1);
    bytes[i] ^= 1 << int(0, 7);
    parts[seg] = bytes.toString('base64url');
    return parts.join('.');
  }
  if (kind === 1) {
    // replace one character of the compact form with another base64url character
    const i = int(0, token.length - 1);
    if (token[i] === '.') return token;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    return token.slice(0, i) + pick([...alphabet]) + token.slice(i + 1);
  }
  if (kind === 2) return token.slice(0, int(1, token.length - 1));
  if (kind === 3) return `${parts[0]}.${parts[1]}.${parts[2].slice(0, -4)}`;
  if (kind === 4) return `${parts[0]}.${parts[1]}.${Buffer.from(parts[2], 'base64url').reverse().toString('base64url')}`;
  return `${parts[0]}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(parts[1], 'base64url').toString()), sub: 'admin' })).toString('base64url')}.${parts[2]}`;
}

beforeAll(async () => {
  h = await loadHarness<JwtHarness>('jwt');
  trusted = [];
  for (const alg of ALGS) trusted.push(await makeKey(alg), await makeKey(alg));
  trusted.push(await makeKey('RS256', 'rsa-3072', 3072), await makeKey('RS256', 'rsa-4096', 4096));
  // Same kids as trusted keys but different key material: signatures must fail.
  untrusted = [];
  for (const k of trusted.slice(0, 6)) untrusted.push(await makeKey(k.alg, k.kid));
  expect(h.configure(JSON.stringify(pluginOptions(trusted)))).toBe('');
});

test('guest and jose agree on 3,000 random valid and tampered tokens', async () => {
  const keySet = createLocalJWKSet(jwks(...trusted));
  let agreed = 0;
  let accepted = 0;
  const disagreements: string[] = [];
  for (let i = 0; i < 1500; i++) {
    const key = rand() < 0.9 ? pick(trusted) : pick(untrusted);
    const typ = rand() < 0.92 ? pick(['at+jwt', 'application/at+jwt', 'AT+JWT']) : pick(['JWT', undefined]);
    const token = await sign(key, randomClaims(), { typ, kid: rand() < 0.9 ? key.kid : undefined });
    for (const candidate of [token, tamper(token)]) {
      let joseOk = false;
      let joseError = '';
      try {
        await jwtVerify(candidate, keySet, {
          issuer: ISSUER, audience: RESOURCE, algorithms: ['RS256', 'ES256', 'EdDSA'], typ: 'at+jwt',
          clockTolerance: 60, currentDate: new Date(NOW * 1000), requiredClaims: ['exp', 'sub'],
        });
        joseOk = true;
      } catch (e) {
        joseError = (e as { code?: string }).code ?? String(e);
      }
      const expected = joseOk && canonical(candidate);
      const got = h.verify(candidate, NOW).startsWith('OK\n');
      if (got === expected) agreed++;
      else disagreements.push(`${expected ? 'expected accept' : 'expected reject'} (jose: ${joseError || 'ok'}): ${h.verify(candidate, NOW).split('\n')[0]} ${candidate.slice(0, 80)}...`);
      if (got) accepted++;
    }
  }
  expect(disagreements.slice(0, 5)).toEqual([]);
  expect(agreed).toBe(3000);
  // The corpus must exercise both answers in bulk, or the agreement says little.
  expect(accepted).toBeGreaterThan(600);
  expect(3000 - accepted).toBeGreaterThan(600);
});
