// Checklist: registration endpoint body size cap, redirect URI count cap, rate limit per client
// address. Plus the DCR response shape MCP clients depend on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

describe('registration response', () => {
  it('echoes redirect_uris and gives defaults MCP clients need', async () => {
    const res = await t.driver.register({ client_name: 'Minimal', redirect_uris: ['https://min.example.com/cb'] });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.json.redirect_uris).toEqual(['https://min.example.com/cb']);
    expect(res.json.client_id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(typeof res.json.client_id_issued_at).toBe('number');
    // RFC 7591 default auth method: a secret comes back.
    expect(res.json.token_endpoint_auth_method).toBe('client_secret_basic');
    expect(res.json.client_secret).toBeTruthy();
    // grant_types omitted: refresh tokens are still possible.
    expect(res.json.grant_types).toEqual(['authorization_code', 'refresh_token']);
    expect(res.json.registration_access_token).toBeUndefined();
  });

  it('accepts scope metadata naming scopes it does not offer (dropped, not an error)', async () => {
    const res = await t.driver.register({ redirect_uris: ['https://s.example.com/cb'], scope: 'openid profile email claudeai', token_endpoint_auth_method: 'none' });
    expect(res.status).toBe(201);
    expect(res.json.scope).toBeUndefined();
    const { tokens } = await t.driver.loginAndExchange({ client: res.json, scope: 'mcp:admin', resource: TEST_RESOURCE });
    expect(tokens.json.scope).toBe('mcp:admin');
  });

  it('keeps RFC 7591 software_id / software_version and checks their type', async () => {
    const ok = await t.driver.register({ redirect_uris: ['https://s.example.com/cb'], software_id: 'com.example.agent', software_version: '1.2.3' });
    expect(ok.status).toBe(201);
    expect(ok.json.software_id).toBe('com.example.agent');
    const bad = await t.driver.register({ redirect_uris: ['https://s.example.com/cb'], software_id: { x: 1 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('invalid_client_metadata');
  });
});

describe('registration caps', () => {
  it('refuses a body over 32 KiB with 413 before parsing it', async () => {
    const res = await t.driver.register({ client_name: 'x'.repeat(40 * 1024), redirect_uris: ['https://big.example.com/cb'] });
    expect(res.status).toBe(413);
    expect(res.json.error).toBe('invalid_request');
  });

  it('refuses a body without Content-Length (411)', async () => {
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ redirect_uris: ['https://chunked.example.com/cb'] })));
        controller.close();
      },
    });
    const res = await fetch(`${t.issuer}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(411);
  });

  it('accepts 20 redirect URIs and refuses 21', async () => {
    const uris = (n: number) => Array.from({ length: n }, (_, i) => `https://many.example.com/cb/${i}`);
    expect((await t.driver.register({ redirect_uris: uris(20) })).status).toBe(201);
    const res = await t.driver.register({ redirect_uris: uris(21) });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_redirect_uri');
  });
});

describe('registration rate limit', () => {
  it('limits registrations per client address (429 with Retry-After)', async () => {
    const s = await startTestSidecar(upstream, { REGISTRATION_RATE_LIMIT: '3/60' });
    try {
      for (let i = 0; i < 3; i++) expect((await s.driver.register({ redirect_uris: ['https://r.example.com/cb'] })).status).toBe(201);
      const limited = await s.driver.register({ redirect_uris: ['https://r.example.com/cb'] });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(limited.json.error).toBe('temporarily_unavailable');
      // Without TRUST_PROXY, X-Forwarded-For is the client's word and changes nothing.
      const spoofed = await s.driver.register({ redirect_uris: ['https://r.example.com/cb'] }, { 'x-forwarded-for': '203.0.113.9' });
      expect(spoofed.status).toBe(429);
      // Other endpoints are not affected.
      expect((await fetch(`${s.issuer}/.well-known/openid-configuration`)).status).toBe(200);
      const metrics = await (await fetch(`${s.issuer}/metrics`)).text();
      expect(metrics).toMatch(/mcpauth_denials_total\{reason="registration_rate_limited"\} 2/);
    } finally {
      await s.stop();
    }
  });

  it('behind a trusted proxy, keys on the hop the proxy added', async () => {
    const s = await startTestSidecar(upstream, { REGISTRATION_RATE_LIMIT: '2/60', TRUST_PROXY: 'true' });
    try {
      const from = (xff: string) => s.driver.register({ redirect_uris: ['https://r.example.com/cb'] }, { 'x-forwarded-for': xff });
      expect((await from('198.51.100.1')).status).toBe(201);
      expect((await from('198.51.100.1')).status).toBe(201);
      expect((await from('198.51.100.1')).status).toBe(429);
      // A client-supplied first hop does not buy a new bucket...
      expect((await from('203.0.113.7, 198.51.100.1')).status).toBe(429);
      // ...a different real address has its own.
      expect((await from('198.51.100.2')).status).toBe(201);
    } finally {
      await s.stop();
    }
  });
});
