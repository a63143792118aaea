// Checklist: consent per (user, client) before any code goes to a dynamically registered
// client; the consent form is CSRF-protected; pages are not frameable; client names escaped.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConsentForm, type RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';

let upstream: MockUpstream;
let t: TestSidecar;

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream);
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

function expectNotFrameable(headers: Headers): void {
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
}

async function register(name = 'Consent test'): Promise<RegisteredClient> {
  return t.driver.registerOk({ client_name: name, redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
}

describe('consent page', () => {
  it('is shown before the first code, with client name, redirect host and scopes', async () => {
    const client = await register('Acme Agent');
    const driver = t.newDriver();
    const outcome = await driver.authorize({ client, scope: 'mcp:tools mcp:admin', resource: TEST_RESOURCE, consent: 'stop' });
    expect(outcome.code).toBeUndefined();
    expect(outcome.consentShown).toBe(true);
    const page = outcome.page!;
    expect(page.status).toBe(200);
    expect(page.text).toContain('Acme Agent');
    expect(page.text).toContain('127.0.0.1');
    expect(page.text).toContain('mcp:tools');
    expect(page.text).toContain('mcp:admin');
    expect(page.text).toContain('alice@example.com');
    expect(page.text).toContain(TEST_RESOURCE);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expectNotFrameable(page.headers);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('escapes the client name', async () => {
    const evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&';
    const client = await register(evil);
    const outcome = await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'stop' });
    const html = outcome.page!.text;
    expect(html).not.toContain('<script>alert(1)');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src&#61;x onerror&#61;alert(2)&gt;&quot;&#39;&amp;');
  });

  it('deny sends access_denied (with iss) to the client and no code', async () => {
    const client = await register();
    const outcome = await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'deny' });
    expect(outcome.code).toBeUndefined();
    expect(outcome.error).toBe('access_denied');
    expect(outcome.iss).toBe(t.issuer);
  });
});

describe('consent CSRF', () => {
  async function consentPage(client: RegisteredClient) {
    const driver = t.newDriver();
    const outcome = await driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'stop' });
    const form = parseConsentForm(outcome.page!.text)!;
    return { driver, outcome, form, action: new URL(form.action, outcome.page!.url) };
  }

  it('refuses a submission without the token, or with a wrong one, and issues no code', async () => {
    const client = await register();
    const { driver, action, form, outcome } = await consentPage(client);
    const attempts: Array<Record<string, string>> = [{ decision: 'allow' }, { decision: 'allow', csrf: 'forged' }, { decision: 'allow', csrf: `${form.csrf}x` }];
    for (const fields of attempts) {
      const res = await driver.browserPost(action, fields);
      expect(res.status).toBe(403);
      expect(res.headers.get('location')).toBeNull();
      expectNotFrameable(res.headers);
    }
    // The genuine form still works afterwards.
    const ok = await driver.browserPost(action, { decision: 'allow', csrf: form.csrf });
    expect(ok.status).toBe(303);
    const done = await driver.follow(new URL(ok.headers.get('location')!, action), 'http://127.0.0.1/cb', 'allow', outcome.pkce);
    expect(done.code).toBeTruthy();
  });

  it('ties the token to its interaction', async () => {
    const client = await register();
    const first = await consentPage(client);
    const second = await consentPage(client);
    const res = await second.driver.browserPost(second.action, { decision: 'allow', csrf: first.form.csrf });
    expect(res.status).toBe(403);
  });

  it('refuses a submission from a browser that does not hold the interaction', async () => {
    const client = await register();
    const { action, form } = await consentPage(client);
    const res = await t.newDriver().browserPost(action, { decision: 'allow', csrf: form.csrf });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('refuses a form body that is not urlencoded', async () => {
    const client = await register();
    const { driver, action, form } = await consentPage(client);
    const cookie = driver.jar.header(action)!;
    const res = await fetch(action, {
      method: 'POST', redirect: 'manual',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'allow', csrf: form.csrf }),
    });
    expect(res.status).toBe(403);
  });
});

describe('consent is remembered per (user, client)', () => {
  it('skips the page on the next authorization, in the same browser and in another one', async () => {
    const client = await register();
    const driver = t.newDriver();
    const first = await driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(first.consentShown).toBe(true);
    expect(first.code).toBeTruthy();
    const again = await driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(again.consentShown).toBe(false);
    expect(again.code).toBeTruthy();
    const before = upstream.authorizeRequests.length;
    const otherBrowser = await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(upstream.authorizeRequests.length).toBe(before + 1); // logged in again upstream...
    expect(otherBrowser.consentShown).toBe(false); // ...but not asked again
    expect(otherBrowser.code).toBeTruthy();
  });

  it('asks again for a scope not granted yet, listing only that one', async () => {
    const client = await register();
    const driver = t.newDriver();
    await driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const wider = await driver.authorize({ client, scope: 'mcp:tools mcp:admin', resource: TEST_RESOURCE, consent: 'stop' });
    expect(wider.consentShown).toBe(true);
    expect(wider.page!.text).toContain('mcp:admin');
    expect(wider.page!.text).not.toContain('<code>mcp:tools</code>');
  });

  it('asks another user, and asks again for another client', async () => {
    const client = await register();
    const second = await register();
    expect((await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE })).consentShown).toBe(true);
    expect((await t.newDriver().authorize({ client: second, scope: 'mcp:tools', resource: TEST_RESOURCE })).consentShown).toBe(true);
    const saved = { ...upstream.user };
    upstream.user = { sub: 'user-2', email: 'bob@example.com', email_verified: true };
    try {
      const bob = await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'stop' });
      expect(bob.consentShown).toBe(true);
      expect(bob.page!.text).toContain('bob@example.com');
    } finally {
      upstream.user = saved;
    }
  });

  it('asks again after refresh token reuse revoked the grant', async () => {
    const client = await register();
    const driver = t.newDriver();
    const { tokens } = await driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const rotated = await driver.refresh(client, tokens.json.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await driver.refresh(client, tokens.json.refresh_token)).status).toBe(400);
    const next = await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'stop' });
    expect(next.consentShown).toBe(true);
  });
});

describe('pre-registered clients', () => {
  it('skip consent (the operator vouches for them)', async () => {
    const file = path.join(t.dataDir, 'clients.json');
    await writeFile(file, JSON.stringify([{
      client_id: 'static-app',
      client_secret: 'static-app-secret-0123456789abcdef',
      client_name: 'Static App',
      redirect_uris: ['https://static.example.com/cb'],
      token_endpoint_auth_method: 'client_secret_post',
    }]));
    const s = await startTestSidecar(upstream, { CLIENTS_FILE: file });
    try {
      const client = { client_id: 'static-app', client_secret: 'static-app-secret-0123456789abcdef', token_endpoint_auth_method: 'client_secret_post', redirect_uris: ['https://static.example.com/cb'] };
      const { outcome, tokens } = await s.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(outcome.consentShown).toBe(false);
      expect(tokens.status).toBe(200);
      // A dynamically registered client on the same server still gets the page.
      const dyn = await s.driver.registerOk({ client_name: 'Dyn', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      expect((await s.driver.authorize({ client: dyn, scope: 'mcp:tools', resource: TEST_RESOURCE })).consentShown).toBe(true);
    } finally {
      await s.stop();
    }
  });
});

describe('framing', () => {
  it('no page or endpoint of the sidecar may be framed', async () => {
    const client = await register();
    const urls = [
      `${t.issuer}/.well-known/openid-configuration`,
      `${t.issuer}/authorize?client_id=nope&redirect_uri=https%3A%2F%2Fx.example%2Fcb&response_type=code`,
      `${t.issuer}/callback?state=unknown&code=x`,
      `${t.issuer}/interaction/unknown-interaction`,
      `${t.issuer}/health`,
    ];
    for (const url of urls) expectNotFrameable((await fetch(url, { redirect: 'manual' })).headers);
    const outcome = await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'stop' });
    expectNotFrameable(outcome.page!.headers);
  });
});
