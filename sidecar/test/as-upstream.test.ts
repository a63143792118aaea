// Checklist: upstream ID token issuer, audience, nonce, expiry and signature are checked; the
// email allowlist and email_verified are applied at login with a clear page and no code.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuthorizeOutcome, ClientDriver, RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUser, type MockUpstream } from './as-lib/mock-upstream.js';
import { verifyAccessToken } from './as-lib/tokens.js';

let upstream: MockUpstream;
let t: TestSidecar;
let client: RegisteredClient;
const ALICE: MockUser = { sub: 'user-1', email: 'alice@example.com', email_verified: true, name: 'Alice' };

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream, { ALLOWED_EMAILS: 'alice@example.com, @corp.example' });
  client = await t.driver.registerOk({ client_name: 'Upstream', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});
beforeEach(() => {
  upstream.user = { ...ALICE };
  upstream.userinfoOnly = false;
});

function login(driver: ClientDriver = t.newDriver()): Promise<AuthorizeOutcome> {
  return driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
}

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${t.issuer}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

function expectRefusedAtCallback(outcome: AuthorizeOutcome, status: number, text: RegExp): void {
  expect(outcome.code).toBeUndefined();
  expect(outcome.callback).toBeUndefined();
  expect(outcome.page?.status).toBe(status);
  expect(outcome.page?.url.pathname).toBe('/callback');
  expect(outcome.page?.headers.get('content-type')).toMatch(/text\/html/);
  expect(outcome.page?.text).toMatch(text);
}

describe('upstream ID token checks', () => {
  it('a valid login goes through (control)', async () => {
    const outcome = await login();
    expect(outcome.code).toBeTruthy();
  });

  const tampered: Array<[string, (header: Record<string, unknown>, payload: Record<string, unknown>) => void]> = [
    ['a wrong nonce', (_h, p) => { p.nonce = 'not-the-nonce'; }],
    ['a missing nonce', (_h, p) => { delete p.nonce; }],
    ['a wrong audience', (_h, p) => { p.aud = 'someone-else'; }],
    ['a wrong issuer', (_h, p) => { p.iss = 'https://accounts.evil.example'; }],
    ['an expired token', (_h, p) => { p.iat = Math.floor(Date.now() / 1000) - 7200; p.exp = Math.floor(Date.now() / 1000) - 3600; }],
    ['an unknown signing key', (h) => { h.kid = 'unknown-key'; }],
  ];
  for (const [label, fn] of tampered) {
    it(`refuses ${label}`, async () => {
      upstream.tamperNextIdToken(fn);
      expectRefusedAtCallback(await login(), 400, /could not be verified/);
    });
  }

  it('refuses a token whose signature does not verify', async () => {
    upstream.corruptNextIdTokenSignature();
    expectRefusedAtCallback(await login(), 400, /could not be verified/);
  });

  it('sends PKCE, state and nonce upstream', async () => {
    await login();
    const request = upstream.authorizeRequests.at(-1)!;
    expect(request.searchParams.get('code_challenge_method')).toBe('S256');
    expect(request.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(request.searchParams.get('state')!.length).toBeGreaterThanOrEqual(32);
    expect(request.searchParams.get('nonce')!.length).toBeGreaterThanOrEqual(32);
    expect(request.searchParams.get('redirect_uri')).toBe(`${t.issuer}/callback`);
    expect(request.searchParams.get('scope')).toBe('openid email profile');
  });
});

describe('email admission at login', () => {
  it('refuses an address outside ALLOWED_EMAILS with a clear page and no code', async () => {
    const before = await metric('mcpauth_denials_total', 'reason="email_not_allowed"');
    upstream.user = { sub: 'mallory', email: 'mallory@example.com', email_verified: true };
    const outcome = await login();
    expectRefusedAtCallback(outcome, 403, /not allowed to use this service/);
    expect(outcome.page!.text).toContain('mallory@example.com');
    expect(await metric('mcpauth_denials_total', 'reason="email_not_allowed"')).toBe(before + 1);
  });

  it('admits @domain entries, case-insensitively, without subdomains or tricks', async () => {
    const admitted = ['carol@corp.example', 'Dave@CORP.example', 'ALICE@example.com'];
    const refused = ['eve@sub.corp.example', 'eve@corp.example.evil', 'a@b.com@corp.example', 'eve@corp.example.', 'eve@сorp.example'];
    for (const email of admitted) {
      upstream.user = { sub: email, email, email_verified: true };
      expect((await login()).code, email).toBeTruthy();
    }
    for (const email of refused) {
      upstream.user = { sub: email, email, email_verified: true };
      expect((await login()).page?.status, email).toBe(403);
    }
  });

  it('refuses an unverified email, whatever the allowlist says', async () => {
    for (const verified of [false, 'true', 1, undefined]) {
      upstream.user = { ...ALICE, email_verified: verified };
      expectRefusedAtCallback(await login(), 403, /not verified/);
    }
  });

  it('refuses an account without email', async () => {
    upstream.user = { sub: 'no-email', email_verified: true };
    expectRefusedAtCallback(await login(), 403, /did not share an email/);
  });

  it('reads email claims from userinfo when the ID token lacks them', async () => {
    upstream.userinfoOnly = true;
    const driver = t.newDriver();
    const outcome = await login(driver);
    expect(outcome.code).toBeTruthy();
    const tokens = await driver.exchangeCode(client, outcome);
    const { payload } = await verifyAccessToken(t.issuer, tokens.json.access_token, TEST_RESOURCE);
    expect(payload.email).toBe('alice@example.com');
    expect(payload.email_verified).toBe(true);
    upstream.userinfoOnly = true;
    upstream.user = { ...ALICE, email: 'mallory@example.com' };
    expect((await login()).page?.status).toBe(403);
  });

  it('stops refreshing an account removed from the allowlist', async () => {
    const driver = t.newDriver();
    const { tokens } = await driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect((await driver.refresh(client, tokens.json.refresh_token)).status).toBe(200);
    const strict = await startTestSidecar(upstream, { ALLOWED_EMAILS: 'bob@example.com' }, { dataDir: t.dataDir });
    try {
      const refresh = await strict.driver.refresh(client, tokens.json.refresh_token);
      expect(refresh.status).toBe(400);
      expect(refresh.json.error).toBe('invalid_grant');
    } finally {
      await strict.stop();
    }
  });
});

describe('callback handling', () => {
  it('a user who cancels upstream sends access_denied to the client', async () => {
    upstream.server.service.once('beforeAuthorizeRedirect', (redirect: { url: URL }) => {
      redirect.url.searchParams.delete('code');
      redirect.url.searchParams.set('error', 'access_denied');
    });
    const outcome = await login();
    expect(outcome.code).toBeUndefined();
    expect(outcome.error).toBe('access_denied');
    expect(outcome.iss).toBe(t.issuer);
  });

  it('refuses an unknown state', async () => {
    const res = await fetch(`${t.issuer}/callback?state=forged&code=x`);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/unknown, expired or was already used/);
  });

  it('refuses a replayed callback', async () => {
    const outcome = await login();
    expect(outcome.code).toBeTruthy();
    const callback = outcome.visited.find((u) => u.pathname === '/callback')!;
    const res = await fetch(callback, { redirect: 'manual' });
    expect(res.status).toBe(400);
  });

  it('a callback finished in another browser gives no code to anyone', async () => {
    const victim = t.newDriver();
    const attacker = t.newDriver();
    // The attacker starts a login and stops at the upstream's answer...
    let url = victim.authorizeUrl({ client, scope: 'mcp:tools', resource: TEST_RESOURCE }, { verifier: 'v'.repeat(43), challenge: 'c'.repeat(43) });
    let callback: URL | undefined;
    for (let hop = 0; hop < 5 && !callback; hop++) {
      const res = await attacker.browserGet(url);
      url = new URL(res.headers.get('location')!, url);
      if (url.pathname === '/callback') callback = url;
    }
    expect(callback).toBeDefined();
    // ...and makes the victim's browser open it.
    const outcome = await victim.follow(callback!, 'http://127.0.0.1/cb', 'allow', null);
    expect(outcome.code).toBeUndefined();
    expect(outcome.page?.status).toBe(400);
    expect(outcome.page?.text).toMatch(/expired|does not match/);
  });
});
