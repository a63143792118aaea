// Checklist: authorization codes single-use, short-lived, bound to client, redirect_uri and
// PKCE, replay revokes what the code issued; refresh tokens rotate, replay revokes the family,
// two concurrent refreshes with one token: exactly one wins; revocation (RFC 7009).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { verifyAccessToken } from './as-lib/tokens.js';

let upstream: MockUpstream;
let t: TestSidecar;
let pub: RegisteredClient;
let other: RegisteredClient;
let conf: RegisteredClient;
let otherConf: RegisteredClient;

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream);
  pub = await t.driver.registerOk({ client_name: 'A', redirect_uris: ['http://127.0.0.1/cb', 'http://127.0.0.1/other'], token_endpoint_auth_method: 'none' });
  other = await t.driver.registerOk({ client_name: 'B', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
  conf = await t.driver.registerOk({ client_name: 'C', redirect_uris: ['https://c.example.com/cb'], token_endpoint_auth_method: 'client_secret_basic' });
  otherConf = await t.driver.registerOk({ client_name: 'D', redirect_uris: ['https://d.example.com/cb'], token_endpoint_auth_method: 'client_secret_post' });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

async function login(client: RegisteredClient = pub) {
  const { outcome, tokens } = await t.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
  expect(tokens.status).toBe(200);
  return { outcome, tokens: tokens.json as { access_token: string; refresh_token: string } };
}

describe('authorization codes', () => {
  it('answers the token request as JSON with no-store', async () => {
    const outcome = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const res = await t.driver.exchangeCode(pub, outcome);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json).toMatchObject({ token_type: 'Bearer', expires_in: 600, scope: 'mcp:tools' });
    expect(typeof res.json.access_token).toBe('string');
    expect(typeof res.json.refresh_token).toBe('string');
  });

  it('are short-lived (60 s)', async () => {
    const outcome = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const code = await t.sidecar.provider.AuthorizationCode.find(outcome.code!);
    expect(code!.exp! - code!.iat!).toBe(60);
  });

  it('are single-use: a replay is invalid_grant and revokes what the code issued', async () => {
    const outcome = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const first = await t.driver.exchangeCode(pub, outcome);
    expect(first.status).toBe(200);
    const replay = await t.driver.exchangeCode(pub, outcome);
    expect(replay.status).toBe(400);
    expect(replay.json.error).toBe('invalid_grant');
    const refresh = await t.driver.refresh(pub, first.json.refresh_token);
    expect(refresh.status).toBe(400);
    expect(refresh.json.error).toBe('invalid_grant');
  });

  it('are bound to the client', async () => {
    const outcome = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const stolen = await t.driver.exchangeCode(other, outcome);
    expect(stolen.status).toBe(400);
    expect(stolen.json.error).toBe('invalid_grant');
  });

  it('are bound to the redirect_uri', async () => {
    const outcome = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const res = await t.driver.exchangeCode(pub, outcome, { redirect_uri: 'http://127.0.0.1/other' });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_grant');
  });

  it('are bound to the PKCE challenge', async () => {
    const outcome = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const other = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const res = await t.driver.exchangeCode(pub, { ...outcome, pkce: other.pkce });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_grant');
  });
});

describe('refresh tokens', () => {
  it('are issued to public clients without offline_access and rotate on every use', async () => {
    const { tokens } = await login();
    const r1 = await t.driver.refresh(pub, tokens.refresh_token);
    expect(r1.status).toBe(200);
    expect(r1.headers.get('cache-control')).toBe('no-store');
    expect(r1.json.refresh_token).toBeTruthy();
    expect(r1.json.refresh_token).not.toBe(tokens.refresh_token);
    const { payload } = await verifyAccessToken(t.issuer, r1.json.access_token, TEST_RESOURCE);
    expect(payload.scope).toBe('mcp:tools');
    expect(payload.aud).toBe(TEST_RESOURCE);
    const r2 = await t.driver.refresh(pub, r1.json.refresh_token);
    expect(r2.status).toBe(200);
  });

  it('replay of a rotated token is invalid_grant and revokes the whole family', async () => {
    const { tokens } = await login();
    const r1 = await t.driver.refresh(pub, tokens.refresh_token);
    expect(r1.status).toBe(200);
    const replay = await t.driver.refresh(pub, tokens.refresh_token);
    expect(replay.status).toBe(400);
    expect(replay.json.error).toBe('invalid_grant');
    const latest = await t.driver.refresh(pub, r1.json.refresh_token);
    expect(latest.status).toBe(400);
    expect(latest.json.error).toBe('invalid_grant');
  });

  it('two concurrent refreshes with one token: exactly one wins; a later replay revokes the winner\'s family', async () => {
    // (across two processes on one Redis or one SQLite directory: as-replicas.test.ts)
    for (let round = 0; round < 3; round++) {
      const { tokens } = await login();
      const results = await Promise.all([t.driver.refresh(pub, tokens.refresh_token), t.driver.refresh(pub, tokens.refresh_token)]);
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 400]);
      expect(results.find((r) => r.status === 400)!.json.error).toBe('invalid_grant');
      const winner = results.find((r) => r.status === 200)!;
      const replay = await t.driver.refresh(pub, tokens.refresh_token);
      expect(replay.status).toBe(400);
      expect(replay.json.error).toBe('invalid_grant');
      const after = await t.driver.refresh(pub, winner.json.refresh_token);
      expect(after.status).toBe(400);
      expect(after.json.error).toBe('invalid_grant');
    }
  });

  it('are bound to the client', async () => {
    const { tokens } = await login();
    const res = await t.driver.refresh(other, tokens.refresh_token);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_grant');
  });

  it('may narrow the scope but not widen it', async () => {
    const { tokens } = await t.driver.loginAndExchange({ client: conf, scope: 'mcp:tools mcp:admin', resource: TEST_RESOURCE });
    const narrow = await t.driver.refresh(conf, tokens.json.refresh_token, { scope: 'mcp:tools' });
    expect(narrow.status).toBe(200);
    expect(narrow.json.scope).toBe('mcp:tools');
    const { tokens: small } = await login();
    const wide = await t.driver.refresh(pub, small.refresh_token, { scope: 'mcp:tools mcp:admin' });
    expect(wide.status).toBe(400);
    expect(wide.json.error).toBe('invalid_scope');
  });
});

describe('revocation (RFC 7009)', () => {
  it('revokes a client\'s own refresh token', async () => {
    const { tokens } = await login();
    const res = await t.driver.revoke(pub, tokens.refresh_token, 'refresh_token');
    expect(res.status).toBe(200);
    const after = await t.driver.refresh(pub, tokens.refresh_token);
    expect(after.json.error).toBe('invalid_grant');
  });

  it('answers 200 for unknown tokens', async () => {
    expect((await t.driver.revoke(pub, 'no-such-token')).status).toBe(200);
    expect((await t.driver.revoke(conf, 'no-such-token', 'refresh_token')).status).toBe(200);
  });

  it('does not let a public client revoke another client\'s token', async () => {
    const { tokens } = await login();
    const res = await t.driver.revoke(other, tokens.refresh_token);
    expect(res.status).toBe(200);
    expect((await t.driver.refresh(pub, tokens.refresh_token)).status).toBe(200);
  });

  it('refuses a confidential client revoking another client\'s token', async () => {
    const { tokens } = await t.driver.loginAndExchange({ client: conf, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const res = await t.driver.revoke(otherConf, tokens.json.refresh_token);
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_request');
    expect((await t.driver.refresh(conf, tokens.json.refresh_token)).status).toBe(200);
  });

  it('requires the confidential client to authenticate', async () => {
    const { tokens } = await t.driver.loginAndExchange({ client: conf, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const res = await t.driver.revoke({ ...conf, client_secret: 'wrong' }, tokens.json.refresh_token);
    expect(res.status).toBe(401);
    expect(res.json.error).toBe('invalid_client');
    expect((await t.driver.refresh(conf, tokens.json.refresh_token)).status).toBe(200);
  });
});
