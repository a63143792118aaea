// Access tokens: JWTs (RFC 9068) with typ at+jwt, audience-bound to the requested resource
// (RFC 8707), scopes limited to ALLOWED_SCOPES, verifiable with jose against /jwks.
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { verifyAccessToken } from './as-lib/tokens.js';

const SECOND_RESOURCE = 'https://mcp2.example.test';

let upstream: MockUpstream;
let t: TestSidecar;
let client: RegisteredClient;

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream, { RESOURCE: `${TEST_RESOURCE},${SECOND_RESOURCE}` });
  client = await t.driver.registerOk({ client_name: 'Tokens', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

async function tokenFor(opts: { scope?: string; resource?: string | string[] }) {
  const { outcome, tokens } = await t.driver.loginAndExchange({ client, ...opts });
  expect(tokens.status, JSON.stringify(tokens.json)).toBe(200);
  return { outcome, tokens: tokens.json as { access_token: string; refresh_token: string; scope?: string; expires_in: number } };
}

describe('JWT access tokens', () => {
  it('carry typ at+jwt, RS256, and every claim the plugin needs', async () => {
    const { tokens } = await tokenFor({ scope: 'mcp:tools', resource: TEST_RESOURCE });
    const { payload, header } = await verifyAccessToken(t.issuer, tokens.access_token, TEST_RESOURCE);
    expect(header.typ).toBe('at+jwt');
    expect(header.alg).toBe('RS256');
    expect(typeof header.kid).toBe('string');
    expect(payload.iss).toBe(t.issuer);
    expect(payload.sub).toBe(`${upstream.issuer}|user-1`);
    expect(payload.aud).toBe(TEST_RESOURCE);
    expect(payload.scope).toBe('mcp:tools');
    expect(payload.client_id).toBe(client.client_id);
    expect(payload.email).toBe('alice@example.com');
    expect(payload.email_verified).toBe(true);
    expect(payload.exp! - payload.iat!).toBe(600);
    expect(Math.abs(payload.iat! - Date.now() / 1000)).toBeLessThan(120);
    expect(typeof payload.jti).toBe('string');
    expect(tokens.expires_in).toBe(600);
  });

  it('are bound to the requested resource; a second configured resource works too', async () => {
    const { tokens } = await tokenFor({ scope: 'mcp:tools', resource: SECOND_RESOURCE });
    const { payload } = await verifyAccessToken(t.issuer, tokens.access_token, SECOND_RESOURCE);
    expect(payload.aud).toBe(SECOND_RESOURCE);
    await expect(verifyAccessToken(t.issuer, tokens.access_token, TEST_RESOURCE)).rejects.toThrow(/aud/);
  });

  it('accept the resource with a trailing slash on a bare origin, and keep the canonical audience', async () => {
    const { tokens } = await tokenFor({ scope: 'mcp:tools', resource: `${SECOND_RESOURCE}/` });
    expect((await verifyAccessToken(t.issuer, tokens.access_token, SECOND_RESOURCE)).payload.aud).toBe(SECOND_RESOURCE);
  });

  it('default to the first resource when the client sends none (2025-03-26 clients)', async () => {
    const { tokens } = await tokenFor({ scope: 'mcp:tools' });
    expect((await verifyAccessToken(t.issuer, tokens.access_token, TEST_RESOURCE)).payload.aud).toBe(TEST_RESOURCE);
  });

  it('refuse an unknown resource with invalid_target, redirected with iss', async () => {
    const outcome = await t.driver.authorize({ client, scope: 'mcp:tools', resource: 'https://other.example.test/mcp' });
    expect(outcome.code).toBeUndefined();
    expect(outcome.error).toBe('invalid_target');
    expect(outcome.iss).toBe(t.issuer);
    for (const bad of [`${TEST_RESOURCE}/x`, 'https://mcp.example.test/MCP', `${TEST_RESOURCE}//`]) {
      expect((await t.driver.authorize({ client, scope: 'mcp:tools', resource: bad })).error, bad).toBe('invalid_target');
    }
  });

  it('refuse, at the token endpoint, a resource the code was not issued for', async () => {
    const outcome = await t.driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const res = await t.driver.exchangeCode(client, outcome, { resource: SECOND_RESOURCE });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_target');
  });
});

describe('scopes', () => {
  it('drop scopes outside ALLOWED_SCOPES instead of failing', async () => {
    const { tokens } = await tokenFor({ scope: 'mcp:tools evil:scope profile email mcp:admin', resource: TEST_RESOURCE });
    expect(tokens.scope).toBe('mcp:tools mcp:admin');
    const { payload } = await verifyAccessToken(t.issuer, tokens.access_token, TEST_RESOURCE);
    expect(payload.scope).toBe('mcp:tools mcp:admin');
  });

  it('give REQUIRED_SCOPES to a request with no scope, or none this server knows', async () => {
    for (const scope of [undefined, 'profile', 'unknown:scope']) {
      const { tokens } = await tokenFor({ scope, resource: TEST_RESOURCE });
      const { payload } = await verifyAccessToken(t.issuer, tokens.access_token, TEST_RESOURCE);
      expect(payload.scope, String(scope)).toBe('mcp:tools');
    }
  });

  it('are matched case-sensitively', async () => {
    const { tokens } = await tokenFor({ scope: 'MCP:TOOLS mcp:tools', resource: TEST_RESOURCE });
    expect(tokens.scope).toBe('mcp:tools');
  });
});

describe('a deployment without any scopes', () => {
  it('still completes a login that asks for none (no access_denied), with no scope claim', async () => {
    const s = await startTestSidecar(upstream, { ALLOWED_SCOPES: '', REQUIRED_SCOPES: '' });
    try {
      const c = await s.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      const { tokens } = await s.driver.loginAndExchange({ client: c, resource: TEST_RESOURCE });
      expect(tokens.status).toBe(200);
      const { payload } = await verifyAccessToken(s.issuer, tokens.json.access_token, TEST_RESOURCE);
      expect(payload.scope).toBeUndefined();
      expect(payload.aud).toBe(TEST_RESOURCE);
    } finally {
      await s.stop();
    }
  });
});

describe('signing algorithm and lifetime settings', () => {
  for (const alg of ['ES256', 'EdDSA'] as const) {
    it(`SIGNING_ALG=${alg} signs access tokens with ${alg}`, async () => {
      const s = await startTestSidecar(upstream, { SIGNING_ALG: alg, ACCESS_TOKEN_TTL: '300' });
      try {
        const c = await s.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
        const { tokens } = await s.driver.loginAndExchange({ client: c, scope: 'mcp:tools openid', resource: TEST_RESOURCE });
        expect(tokens.status).toBe(200);
        expect(decodeProtectedHeader(tokens.json.access_token).alg).toBe(alg);
        const { payload } = await verifyAccessToken(s.issuer, tokens.json.access_token, TEST_RESOURCE);
        expect(payload.exp! - payload.iat!).toBe(300);
        expect(tokens.json.expires_in).toBe(300);
        // openid was requested: the ID token is signed with the same algorithm.
        expect(decodeProtectedHeader(tokens.json.id_token).alg).toBe(alg);
      } finally {
        await s.stop();
      }
    });
  }
});
