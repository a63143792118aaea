// Checklist, "Authorization server": redirect_uri rules at registration and at authorization,
// and an invalid client_id/redirect_uri pair shows an error page and never redirects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';

let upstream: MockUpstream;
let t: TestSidecar;
let native: RegisteredClient;
let web: RegisteredClient;

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream);
  native = await t.driver.registerOk({
    client_name: 'Native',
    redirect_uris: [
      'http://127.0.0.1/cb',
      'http://[::1]:5000/cb',
      'http://localhost:8787/callback',
      'cursor://anysphere.cursor-mcp/oauth/callback',
      'https://app.example.com/cb',
    ],
    token_endpoint_auth_method: 'none',
  });
  web = await t.driver.registerOk({
    client_name: 'Web',
    application_type: 'web',
    redirect_uris: ['https://web.example.com/cb', 'http://127.0.0.1:3000/cb'],
    token_endpoint_auth_method: 'client_secret_post',
  });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

describe('registration', () => {
  const refused: Array<[string, string]> = [
    ['non-loopback plain http', 'http://evil.example/cb'],
    ['private address over plain http', 'http://192.168.1.10/cb'],
    ['userinfo', 'https://user:pass@example.com/cb'],
    ['userinfo without password', 'https://user@example.com/cb'],
    ['fragment', 'https://example.com/cb#frag'],
    ['empty fragment', 'https://example.com/cb#'],
    ['javascript: scheme', 'javascript:alert(1)'],
    ['data: scheme', 'data:text/html,<script>alert(1)</script>'],
    ['file: scheme', 'file:///etc/passwd'],
    ['wildcard host', 'https://*.example.com/cb'],
    ['wildcard path', 'https://example.com/*'],
    ['whitespace', 'https://example.com/c b'],
    ['backslash', 'https://example.com\\@evil.example/cb'],
    ['not a URI', 'cb'],
  ];
  for (const [label, uri] of refused) {
    it(`refuses ${label} with invalid_redirect_uri`, async () => {
      const res = await t.driver.register({ redirect_uris: ['https://ok.example.com/cb', uri], token_endpoint_auth_method: 'none' });
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_redirect_uri');
    });
  }

  it('accepts https, loopback http (127.0.0.1, [::1], localhost) and private-use schemes', async () => {
    const uris = ['https://ok.example.com/cb', 'http://127.0.0.1/cb', 'http://[::1]:8080/cb', 'http://localhost:3000/cb', 'com.example.app:/oauth2redirect'];
    const res = await t.driver.register({ redirect_uris: uris, token_endpoint_auth_method: 'none' });
    expect(res.status).toBe(201);
    expect(res.json.redirect_uris).toEqual(uris);
    expect(res.json.application_type).toBe('native');
  });

  it('keeps an explicit application_type and refuses what it forbids', async () => {
    const res = await t.driver.register({ application_type: 'web', redirect_uris: ['cursor://x/cb'], token_endpoint_auth_method: 'none' });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_redirect_uri');
    const https = await t.driver.register({ redirect_uris: ['https://only.example.com/cb'], token_endpoint_auth_method: 'none' });
    expect(https.json.application_type).toBe('web');
  });
});

async function tryRedirect(client: RegisteredClient, redirectUri: string) {
  return t.newDriver().authorize({ client, redirectUri, scope: 'mcp:tools', resource: TEST_RESOURCE });
}

function expectErrorPageNoRedirect(outcome: Awaited<ReturnType<typeof tryRedirect>>): void {
  expect(outcome.callback).toBeUndefined();
  expect(outcome.visited).toHaveLength(1);
  expect(outcome.page?.status).toBe(400);
  expect(outcome.page?.headers.get('location')).toBeNull();
  expect(outcome.page?.headers.get('content-type')).toMatch(/text\/html/);
  expect(outcome.page?.headers.get('x-frame-options')).toBe('DENY');
  expect(outcome.page?.text).toContain('redirect_uri');
}

describe('authorization request redirect_uri matching', () => {
  it('matches registered URIs exactly', async () => {
    for (const uri of native.redirect_uris) {
      const outcome = await tryRedirect(native, uri);
      expect(outcome.callback?.href.split('?')[0], uri).toBe(uri);
      expect(outcome.code, uri).toBeTruthy();
    }
  });

  it('lets a loopback IP redirect URI vary its port, and nothing else', async () => {
    expect((await tryRedirect(native, 'http://127.0.0.1:61234/cb')).code).toBeTruthy();
    expect((await tryRedirect(native, 'http://[::1]:61235/cb')).code).toBeTruthy();
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://127.0.0.1:61234/cb2'));
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://127.0.0.1:61234/cb?x=1'));
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://127.0.0.1:61234/'));
  });

  it('does not let localhost vary its port', async () => {
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://localhost:8788/callback'));
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://localhost/callback'));
  });

  it('does not treat localhost and 127.0.0.1 as interchangeable', async () => {
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://127.0.0.1:8787/callback'));
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://localhost/cb'));
    expectErrorPageNoRedirect(await tryRedirect(native, 'http://localhost:5000/cb'));
  });

  it('refuses near-misses of https and custom-scheme URIs', async () => {
    for (const uri of [
      'https://app.example.com/cb/',
      'https://APP.example.com/cb',
      'https://app.example.com/cb?x=1',
      'https://app.example.com:443/cb',
      'https://app.example.com.evil.example/cb',
      'cursor://anysphere.cursor-mcp/oauth/callback2',
      'http://app.example.com/cb',
    ]) {
      expectErrorPageNoRedirect(await tryRedirect(native, uri));
    }
  });

  it('gives web clients no loopback port leeway', async () => {
    expect((await tryRedirect(web, 'http://127.0.0.1:3000/cb')).code).toBeTruthy();
    expectErrorPageNoRedirect(await tryRedirect(web, 'http://127.0.0.1:3001/cb'));
  });

  it('shows an error page for an unknown client_id and never contacts the upstream', async () => {
    const before = upstream.authorizeRequests.length;
    const outcome = await tryRedirect({ client_id: 'no-such-client', redirect_uris: ['https://app.example.com/cb'] }, 'https://app.example.com/cb');
    expect(outcome.callback).toBeUndefined();
    expect(outcome.page?.status).toBe(400);
    expect(outcome.page?.headers.get('location')).toBeNull();
    expect(outcome.page?.text).toContain('invalid_client');
    expect(upstream.authorizeRequests.length).toBe(before);
  });

  it('does not redirect other errors to an unregistered redirect_uri either', async () => {
    const driver = t.newDriver();
    const url = driver.authorizeUrl({ client: native, redirectUri: 'https://attacker.example/cb', scope: 'mcp:tools' }, null);
    url.searchParams.set('response_type', 'token');
    const res = await driver.browserGet(url);
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });
});
