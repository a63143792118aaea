// Authorization server metadata: every field MCP clients rely on, at every URL they try,
// including the path-suffixed forms for an issuer with a path, and CORS for browser clients.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { verifyAccessToken } from './as-lib/tokens.js';

let upstream: MockUpstream;
let root: TestSidecar;
let pathed: TestSidecar;

beforeAll(async () => {
  upstream = await startMockUpstream();
  root = await startTestSidecar(upstream);
  pathed = await startTestSidecar(upstream, {}, { issuerPath: '/t1' });
});
afterAll(async () => {
  await root?.stop();
  await pathed?.stop();
  await upstream?.stop();
});

type Metadata = Record<string, unknown> & { issuer: string; scopes_supported: string[] };

async function metadataAt(url: string, origin?: string): Promise<{ res: Response; body: Metadata }> {
  const res = await fetch(url, { headers: origin ? { origin } : {} });
  expect(res.status, url).toBe(200);
  return { res, body: (await res.json()) as Metadata };
}

function expectMcpFields(body: Metadata, issuer: string): void {
  expect(body.issuer).toBe(issuer);
  expect(body.issuer.endsWith('/')).toBe(false);
  expect(body.authorization_endpoint).toBe(`${issuer}/authorize`);
  expect(body.token_endpoint).toBe(`${issuer}/token`);
  expect(body.registration_endpoint).toBe(`${issuer}/register`);
  expect(body.revocation_endpoint).toBe(`${issuer}/revoke`);
  expect(body.jwks_uri).toBe(`${issuer}/jwks`);
  expect(body.code_challenge_methods_supported).toEqual(['S256']);
  expect(body.authorization_response_iss_parameter_supported).toBe(true);
  expect(body.client_id_metadata_document_supported).toBe(true);
  expect(body.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_post', 'client_secret_basic']));
  expect(body.scopes_supported).toEqual(['openid', 'offline_access', 'mcp:tools', 'mcp:admin']);
  expect(body.response_types_supported).toEqual(['code']);
  expect(body.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
}

describe('metadata at the issuer root', () => {
  it('RFC 8414 and OpenID discovery documents carry every field MCP clients need', async () => {
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const { body } = await metadataAt(`${root.issuer}${path}`);
      expectMcpFields(body, root.issuer);
    }
  });

  it('answers browser origins (CORS) on metadata and JWKS', async () => {
    const origin = 'http://localhost:6274';
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/jwks']) {
      const res = await fetch(`${root.issuer}${path}`, { headers: { origin } });
      expect(res.headers.get('access-control-allow-origin'), path).toBe(origin);
      const preflight = await fetch(`${root.issuer}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET' },
      });
      expect(preflight.status, path).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin'), path).toBe(origin);
    }
  });

  it('publishes only public signing keys', async () => {
    const jwks = (await (await fetch(`${root.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key[member]).toBeUndefined();
    }
  });
});

describe('issuer with a path (/t1)', () => {
  it('serves metadata at every URL clients try, in their order', async () => {
    const origin = new URL(pathed.issuer).origin;
    expect(pathed.issuer).toBe(`${origin}/t1`);
    for (const url of [
      `${origin}/.well-known/oauth-authorization-server/t1`,
      `${origin}/.well-known/openid-configuration/t1`,
      `${origin}/t1/.well-known/openid-configuration`,
      `${origin}/t1/.well-known/oauth-authorization-server`,
    ]) {
      const { body } = await metadataAt(url);
      expectMcpFields(body, pathed.issuer);
    }
  });

  it('does not pretend to be another issuer at the origin root', async () => {
    const origin = new URL(pathed.issuer).origin;
    expect((await fetch(`${origin}/.well-known/oauth-authorization-server`)).status).toBe(404);
    expect((await fetch(`${origin}/authorize`)).status).toBe(404);
  });

  it('runs a whole login under the path', async () => {
    const driver = pathed.driver;
    const client = await driver.registerOk({ client_name: 'Pathed', redirect_uris: ['http://127.0.0.1:7000/cb'], token_endpoint_auth_method: 'none' });
    const { outcome, tokens } = await driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(outcome.iss).toBe(pathed.issuer);
    expect(outcome.visited.some((u) => u.pathname.startsWith('/t1/interaction/'))).toBe(true);
    expect(tokens.status).toBe(200);
    const { payload } = await verifyAccessToken(pathed.issuer, tokens.json.access_token, TEST_RESOURCE);
    expect(payload.iss).toBe(pathed.issuer);
  });
});
