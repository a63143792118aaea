// How the pieces are mounted in the one HTTP server: forwardAuth at /auth and PROTECTED_PATH
// verifying tokens this sidecar minted, the JWKS file feed, metadata pinned to the issuer
// behind a TLS-terminating proxy, CORS on /revoke, and the rotate-keys subcommand.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundlePath, buildBundle } from './as-lib/child.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { twoRequestsOnOneSocket } from '../../host-tests/lib/keep-alive.js';

let upstream: MockUpstream;
let t: TestSidecar;
let jwksDir: string;

beforeAll(async () => {
  upstream = await startMockUpstream();
  jwksDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-as-jwks-'));
  t = await startTestSidecar(upstream, { JWKS_FILE: path.join(jwksDir, 'jwks.json') });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
  await rm(jwksDir, { recursive: true, force: true });
});

async function accessToken(): Promise<string> {
  const client = await t.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
  const { tokens } = await t.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
  return tokens.json.access_token as string;
}

describe('forwardAuth mount', () => {
  for (const route of ['/auth', '/sse']) {
    it(`${route} lets a token minted here through and refuses a missing one`, async () => {
      const token = await accessToken();
      const ok = await fetch(`${t.issuer}${route}`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-uri': '/mcp', 'x-forwarded-method': 'POST' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-forwarded-user')).toBe('alice@example.com');
      const missing = await fetch(`${t.issuer}${route}`, { headers: { 'x-forwarded-uri': '/mcp', 'x-forwarded-method': 'POST' } });
      expect(missing.status).toBe(401);
      expect(missing.headers.get('www-authenticate')).toContain('resource_metadata="https://mcp.example.test/.well-known/oauth-protected-resource/mcp"');
    });
  }
});

describe('forwardAuth setups: metadata and oversized requests', () => {
  it('serves the Protected Resource Metadata at both paths (the plugin does this itself in plugin mode)', async () => {
    for (const p of ['/.well-known/oauth-protected-resource', `/.well-known/oauth-protected-resource${new URL(TEST_RESOURCE).pathname}`]) {
      const res = await fetch(`${t.sidecar.url}${p}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const doc = (await res.json()) as { resource: string; authorization_servers: string[] };
      expect(doc.resource).toBe(TEST_RESOURCE);
      expect(doc.authorization_servers).toEqual([t.issuer]);
    }
  });

  it('answers an oversized forwarded URI with the plugin\'s 414, not Node\'s 431', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${t.sidecar.url}/auth`, {
        headers: { 'X-Forwarded-Method': 'GET', 'X-Forwarded-Uri': `/mcp?x=${'a'.repeat(70 * 1024)}` },
      }, (r) => { r.resume(); resolve(r.statusCode ?? 0); });
      req.on('error', reject);
      req.end();
    });
    expect(res).toBe(414);
  });
});

describe('behind Traefik', () => {
  it('keeps an idle keep-alive connection open longer than Node\'s 5 s default (Traefik reuses them for up to 90 s)', async () => {
    expect(await twoRequestsOnOneSocket(t.sidecar.url, '/health', 6_000)).toEqual({ first: 200, second: 200 });
  });
});

describe('Traefik snippet for setups without mounts (TRAEFIK_SNIPPET_FILE)', () => {
  it('holds the plugin middleware with inline keys; the plugin verifies this sidecar\'s tokens with it', async () => {
    const { parse } = await import('yaml');
    const { HttpWasmHost } = await import('../../host-tests/host/index.js');
    const snippetDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-snippet-'));
    const snippetFile = path.join(snippetDir, 'mcpauth.yml');
    const s2 = await startTestSidecar(upstream, { TRAEFIK_SNIPPET_FILE: snippetFile });
    try {
      const doc = parse(await readFile(snippetFile, 'utf8')) as { http: { middlewares: Record<string, { plugin: { mcpauth: Record<string, unknown> } }> } };
      const options = Object.values(doc.http.middlewares)[0]!.plugin.mcpauth;
      expect(JSON.stringify(options)).not.toMatch(/"d"|"p"|"q"|"dp"|"dq"|"qi"/);
      const client = await s2.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      const { tokens } = await s2.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
      const host = await HttpWasmHost.create(path.join(path.dirname(new URL(import.meta.url).pathname), '../../build/plugin.wasm'), { config: options });
      const ok = await host.handle({ uri: new URL(TEST_RESOURCE).pathname, headers: [['Authorization', `Bearer ${tokens.json.access_token as string}`]] });
      expect(ok.trapped).toBe(false);
      expect(ok.status).toBe(200);
      expect(ok.upstreamRequest?.header('x-forwarded-user')).toBeTruthy();
      expect((await host.handle({ uri: new URL(TEST_RESOURCE).pathname })).status).toBe(401);
    } finally {
      await s2.stop();
      await rm(snippetDir, { recursive: true, force: true });
    }
  });
});

describe('Traefik snippet with several resources', () => {
  it('holds one middleware per RESOURCE URL; each accepts tokens for its own resource only', async () => {
    const { parse } = await import('yaml');
    const { HttpWasmHost } = await import('../../host-tests/host/index.js');
    const snippetDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-snippet-'));
    const snippetFile = path.join(snippetDir, 'mcpauth.yml');
    const sseResource = new URL('/sse', TEST_RESOURCE).href;
    const s3 = await startTestSidecar(upstream, { TRAEFIK_SNIPPET_FILE: snippetFile, RESOURCE: `${TEST_RESOURCE},${sseResource}` });
    try {
      const text = await readFile(snippetFile, 'utf8');
      expect(text).toContain(`#   mcpauth: ${TEST_RESOURCE}`);
      expect(text).toContain(`#   mcpauth-sse: ${sseResource}`);
      const doc = parse(text) as { http: { middlewares: Record<string, { plugin: { mcpauth: Record<string, unknown> } }> } };
      expect(Object.keys(doc.http.middlewares)).toEqual(['mcpauth', 'mcpauth-sse']);
      const wasm = path.join(path.dirname(new URL(import.meta.url).pathname), '../../build/plugin.wasm');
      const mcp = await HttpWasmHost.create(wasm, { config: doc.http.middlewares['mcpauth']!.plugin.mcpauth });
      const sse = await HttpWasmHost.create(wasm, { config: doc.http.middlewares['mcpauth-sse']!.plugin.mcpauth });
      const client = await s3.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      const forSse = (await s3.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: sseResource })).tokens.json.access_token as string;
      const bearer = (token: string): Array<[string, string]> => [['Authorization', `Bearer ${token}`]];
      const atSse = await sse.handle({ uri: '/sse', headers: bearer(forSse) });
      expect(atSse.status).toBe(200);
      const atMcp = await mcp.handle({ uri: '/mcp', headers: bearer(forSse) });
      expect(atMcp.status).toBe(401);
      expect(atMcp.json().error_description).toBe('audience not accepted');
      expect((await sse.handle({ uri: '/.well-known/oauth-protected-resource/sse' })).json().resource).toBe(sseResource);
    } finally {
      await s3.stop();
      await rm(snippetDir, { recursive: true, force: true });
    }
  });
});

describe('JWKS file feed', () => {
  it('writes the public key that signs access tokens', async () => {
    const token = await accessToken();
    const { kid } = decodeProtectedHeader(token);
    let keys: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 50 && !keys.some((k) => k.kid === kid); i++) {
      try {
        keys = (JSON.parse(await readFile(path.join(jwksDir, 'jwks.json'), 'utf8')) as { keys: Array<Record<string, unknown>> }).keys;
      } catch {
        // not written yet
      }
      if (!keys.some((k) => k.kid === kid)) await new Promise((r) => setTimeout(r, 100));
    }
    const key = keys.find((k) => k.kid === kid);
    expect(key).toBeDefined();
    expect(key!.d).toBeUndefined();
  });
});

describe('metadata behind a TLS-terminating proxy', () => {
  it('always names the issuer\'s scheme and host, whatever the request said', async () => {
    const s = await startTestSidecar(upstream, { ISSUER: 'https://auth.example.test', RESOURCE: TEST_RESOURCE });
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1', port: s.sidecar.port, path: '/.well-known/oauth-authorization-server',
          headers: { host: 'sidecar.internal:11000', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
        }, (res) => {
          let text = '';
          res.on('data', (d) => { text += d; });
          res.on('end', () => resolve(text));
        });
        req.on('error', reject);
        req.end();
      });
      const meta = JSON.parse(body) as Record<string, string>;
      expect(meta.issuer).toBe('https://auth.example.test');
      expect(meta.authorization_endpoint).toBe('https://auth.example.test/authorize');
      expect(meta.token_endpoint).toBe('https://auth.example.test/token');
      expect(meta.registration_endpoint).toBe('https://auth.example.test/register');
    } finally {
      await s.stop();
    }
  });
});

describe('CORS on /revoke', () => {
  it('answers the browser client\'s own origin only', async () => {
    const origin = 'http://localhost:6274';
    const client = await t.driver.registerOk({ redirect_uris: ['http://localhost:6274/oauth/callback'], token_endpoint_auth_method: 'none' });
    const { tokens } = await t.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    const revoke = (from: string, token: string) => fetch(`${t.issuer}/revoke`, {
      method: 'POST',
      headers: { origin: from, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, client_id: client.client_id }),
    });
    const foreign = await revoke('https://evil.example', tokens.json.refresh_token);
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    const refreshed = await t.driver.refresh(client, tokens.json.refresh_token);
    expect(refreshed.status).toBe(200);
    const own = await revoke(origin, refreshed.json.refresh_token);
    expect(own.status).toBe(200);
    expect(own.headers.get('access-control-allow-origin')).toBe(origin);
    expect((await t.driver.refresh(client, refreshed.json.refresh_token)).status).toBe(400);
  });
});

describe('rotate-keys subcommand', () => {
  it('rotates the stored signing key; the next start signs with the new one', async () => {
    await buildBundle();
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-as-rotate-'));
    try {
      const first = await startTestSidecar(upstream, {}, { dataDir });
      const before = await (await fetch(`${first.issuer}/jwks`)).json() as { keys: Array<{ kid: string }> };
      await first.stop();
      const { stdout } = await promisify(execFile)(process.execPath, [bundlePath, 'rotate-keys', '--data-dir', dataDir, '--overlap', '3600']);
      expect(stdout).toContain('kid');
      const second = await startTestSidecar(upstream, {}, { dataDir });
      try {
        const after = await (await fetch(`${second.issuer}/jwks`)).json() as { keys: Array<{ kid: string }> };
        expect(after.keys).toHaveLength(2);
        expect(after.keys.map((k) => k.kid)).toContain(before.keys[0]!.kid);
        const client = await second.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
        const { tokens } = await second.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
        expect(decodeProtectedHeader(tokens.json.access_token).kid).toBe(after.keys[0]!.kid);
        expect(decodeProtectedHeader(tokens.json.access_token).kid).not.toBe(before.keys[0]!.kid);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
