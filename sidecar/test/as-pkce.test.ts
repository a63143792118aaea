// Checklist: PKCE S256 required for every client; plain refused; a verifier without a stored
// challenge is invalid_grant; the verifier must be 43-128 unreserved characters.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPkce, type Pkce, type RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';

let upstream: MockUpstream;
let t: TestSidecar;
let pub: RegisteredClient;
let conf: RegisteredClient;

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream);
  pub = await t.driver.registerOk({ client_name: 'Public', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
  conf = await t.driver.registerOk({ client_name: 'Confidential', redirect_uris: ['https://conf.example.com/cb'], token_endpoint_auth_method: 'client_secret_post' });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

function pkceFor(verifier: string): Pkce {
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

describe('authorization request', () => {
  for (const which of ['public', 'confidential'] as const) {
    it(`refuses a ${which} client without code_challenge (error redirect with iss)`, async () => {
      const client = which === 'public' ? pub : conf;
      const outcome = await t.driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, pkce: null });
      expect(outcome.code).toBeUndefined();
      expect(outcome.error).toBe('invalid_request');
      expect(outcome.callback?.searchParams.get('error_description')).toMatch(/PKCE/);
      expect(outcome.iss).toBe(t.issuer);
    });
  }

  it('refuses code_challenge_method=plain', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const outcome = await t.driver.authorize({
      client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE,
      pkce: { verifier, challenge: verifier }, codeChallengeMethod: 'plain',
    });
    expect(outcome.code).toBeUndefined();
    expect(outcome.error).toBe('invalid_request');
    expect(outcome.iss).toBe(t.issuer);
  });

  it('refuses a code_challenge without a method (which would mean plain)', async () => {
    const driver = t.newDriver();
    const url = driver.authorizeUrl({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE }, newPkce());
    url.searchParams.delete('code_challenge_method');
    const res = await driver.browserGet(url);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('http://127.0.0.1/cb');
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });
});

describe('token request', () => {
  async function codeWith(pkce: Pkce) {
    const outcome = await t.driver.authorize({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE, pkce });
    expect(outcome.code).toBeTruthy();
    return outcome;
  }

  it('accepts the matching S256 verifier', async () => {
    const outcome = await codeWith(newPkce());
    expect((await t.driver.exchangeCode(pub, outcome)).status).toBe(200);
  });

  it('refuses a wrong verifier', async () => {
    const outcome = await codeWith(newPkce());
    const res = await t.driver.exchangeCode(pub, outcome, { code_verifier: randomBytes(32).toString('base64url') });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_grant');
  });

  it('refuses a missing verifier', async () => {
    const outcome = await codeWith(newPkce());
    const res = await t.driver.exchangeCode(pub, { ...outcome, pkce: null });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_grant');
  });

  // Each verifier below matches its own challenge, so only the format rule can refuse it
  // (as a malformed request: invalid_request, naming code_verifier).
  const badVerifiers: Array<[string, string]> = [
    ['42 characters (too short)', 'a'.repeat(42)],
    ['129 characters (too long)', 'a'.repeat(129)],
    ['a "+" (not unreserved)', `${'a'.repeat(42)}+`],
    ['a "/" (not unreserved)', `${'a'.repeat(42)}/`],
    ['a space', `${'a'.repeat(42)} `],
    ['non-ASCII', `${'a'.repeat(42)}é`],
  ];
  for (const [label, verifier] of badVerifiers) {
    it(`refuses a verifier with ${label}`, async () => {
      const outcome = await codeWith(pkceFor(verifier));
      const res = await t.driver.exchangeCode(pub, outcome);
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_request');
      expect(res.json.error_description).toMatch(/code_verifier/);
    });
  }

  it('accepts 43 and 128 unreserved characters (the boundaries)', async () => {
    for (const verifier of ['A'.repeat(40) + '-._', `${'z9~'.repeat(42)}ab`]) {
      const outcome = await codeWith(pkceFor(verifier));
      expect((await t.driver.exchangeCode(pub, outcome)).status, `${verifier.length}`).toBe(200);
    }
  });

  it('refuses a verifier for a code that carries no challenge (invalid_grant)', async () => {
    // Such a code cannot come out of /authorize here (PKCE is required), so mint one directly
    // through the provider, next to a control code with a challenge.
    const { provider } = t.sidecar;
    const first = await t.driver.loginAndExchange({ client: pub, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const token = JSON.parse(Buffer.from(first.tokens.json.access_token.split('.')[1], 'base64url').toString()) as { sub: string };
    const client = (await provider.Client.find(pub.client_id))!;
    const grant = new provider.Grant({ accountId: token.sub, clientId: pub.client_id });
    grant.addResourceScope(TEST_RESOURCE, 'mcp:tools');
    const grantId = await grant.save();
    const mint = (challenge?: string) =>
      new provider.AuthorizationCode({
        accountId: token.sub, client, grantId, redirectUri: 'http://127.0.0.1/cb', scope: 'mcp:tools', resource: TEST_RESOURCE,
        ...(challenge ? { codeChallenge: challenge, codeChallengeMethod: 'S256' } : {}),
      } as never).save();
    const pkce = newPkce();
    const control = await mint(pkce.challenge);
    const ok = await t.driver.tokenRequest(pub, { grant_type: 'authorization_code', code: control, redirect_uri: 'http://127.0.0.1/cb', code_verifier: pkce.verifier });
    expect(ok.status).toBe(200);
    const bare = await mint();
    const res = await t.driver.tokenRequest(pub, { grant_type: 'authorization_code', code: bare, redirect_uri: 'http://127.0.0.1/cb', code_verifier: pkce.verifier });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_grant');
  });
});
