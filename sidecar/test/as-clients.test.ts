// Registrations shaped exactly like real MCP clients (../shared/docs/mcp-authorization.md)
// register, log in through the mock upstream, and get a verifiable access token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientDriver, type RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { verifyAccessToken } from './as-lib/tokens.js';

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

const CLAUDE = {
  client_name: 'Claude',
  redirect_uris: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_post',
  scope: 'claudeai',
};
const CURSOR = {
  client_name: 'Cursor',
  redirect_uris: [
    'cursor://anysphere.cursor-mcp/oauth/callback',
    'https://www.cursor.com/agents/mcp/oauth/callback',
    'http://localhost:8787/callback',
  ],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};
const VSCODE = {
  client_name: 'Visual Studio Code',
  redirect_uris: ['https://vscode.dev/redirect', 'https://insiders.vscode.dev/redirect', 'http://127.0.0.1/', 'http://127.0.0.1:33418/'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};
const INSPECTOR_WEB = {
  client_name: 'MCP Inspector',
  client_uri: 'https://github.com/modelcontextprotocol/inspector',
  redirect_uris: ['http://localhost:6274/oauth/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};
const INSPECTOR_CLI = {
  client_name: 'MCP Inspector',
  client_uri: 'https://github.com/modelcontextprotocol/inspector',
  redirect_uris: ['http://127.0.0.1:6276/oauth/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
};

async function loginWith(driver: ClientDriver, client: RegisteredClient, redirectUri: string, scope = 'mcp:tools') {
  const { outcome, tokens } = await driver.loginAndExchange({ client, redirectUri, scope, resource: TEST_RESOURCE });
  expect(outcome.iss).toBe(t.issuer);
  expect(tokens.status).toBe(200);
  const { payload } = await verifyAccessToken(t.issuer, tokens.json.access_token, TEST_RESOURCE);
  expect(payload.client_id).toBe(client.client_id);
  expect(payload.email).toBe('alice@example.com');
  return { outcome, tokens, payload };
}

describe('real client registrations', () => {
  it('Claude: confidential client_secret_post client, scopes copied from scopes_supported', async () => {
    const driver = t.newDriver();
    const reg = await driver.register(CLAUDE);
    expect(reg.status).toBe(201);
    const client = reg.json as RegisteredClient;
    expect(client.client_secret).toBeTruthy();
    expect(client.token_endpoint_auth_method).toBe('client_secret_post');
    expect(client.redirect_uris).toEqual(CLAUDE.redirect_uris);
    expect(client.application_type).toBe('web');
    const discovery = (await (await fetch(`${t.issuer}/.well-known/oauth-authorization-server`)).json()) as { scopes_supported: string[] };
    // Claude does not ask for offline_access by itself, but may copy everything advertised.
    const { tokens, payload } = await loginWith(driver, client, CLAUDE.redirect_uris[0]!, discovery.scopes_supported.join(' '));
    expect(tokens.json.refresh_token).toBeTruthy();
    expect(payload.scope).toBe('mcp:tools mcp:admin');
    // The second registered redirect URI works too.
    const again = await driver.authorize({ client, redirectUri: CLAUDE.redirect_uris[1], scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(again.code).toBeTruthy();
    expect(again.consentShown).toBe(false);
  });

  it('Cursor: three redirect URIs without application_type register as one native client', async () => {
    const driver = t.newDriver();
    const reg = await driver.register(CURSOR);
    expect(reg.status).toBe(201);
    const client = reg.json as RegisteredClient;
    expect(client.application_type).toBe('native');
    expect(client.redirect_uris).toEqual(CURSOR.redirect_uris);
    const { tokens } = await loginWith(driver, client, CURSOR.redirect_uris[0]!);
    expect(tokens.json.refresh_token).toBeTruthy();
    for (const uri of CURSOR.redirect_uris.slice(1)) {
      const outcome = await driver.authorize({ client, redirectUri: uri, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(outcome.code, uri).toBeTruthy();
      expect((await driver.exchangeCode(client, outcome)).status).toBe(200);
    }
  });

  it('VS Code: loopback redirect URIs, then a random port when 33418 is busy', async () => {
    const driver = t.newDriver();
    const reg = await driver.register(VSCODE);
    expect(reg.status).toBe(201);
    const client = reg.json as RegisteredClient;
    expect(client.application_type).toBe('native');
    await loginWith(driver, client, 'http://127.0.0.1:33418/');
    const { outcome } = await loginWith(driver, client, 'http://127.0.0.1:54321/');
    expect(outcome.callback!.origin).toBe('http://127.0.0.1:54321');
    await loginWith(driver, client, 'https://vscode.dev/redirect');
  });

  it('MCP Inspector (web): localhost callback, CORS on /register and /token from its origin', async () => {
    const origin = 'http://localhost:6274';
    const driver = t.newDriver();
    const preflight = await fetch(`${t.issuer}/register`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-headers')).toBe('content-type');
    const reg = await driver.register(INSPECTOR_WEB, { origin });
    expect(reg.status).toBe(201);
    expect(reg.headers.get('access-control-allow-origin')).toBe(origin);
    const client = reg.json as RegisteredClient;
    const outcome = await driver.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
    expect(outcome.code).toBeTruthy();
    const tokenPreflight = await fetch(`${t.issuer}/token`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST' },
    });
    expect(tokenPreflight.headers.get('access-control-allow-origin')).toBe(origin);
    const tokens = await driver.exchangeCode(client, outcome, {}) ;
    expect(tokens.status).toBe(200);
    const withOrigin = await driver.refresh(client, tokens.json.refresh_token as string, {});
    expect(withOrigin.status).toBe(200);
    // The token endpoint answers the page's origin, and refuses a foreign one.
    const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: withOrigin.json.refresh_token, client_id: client.client_id });
    const corsOk = await fetch(`${t.issuer}/token`, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body });
    expect(corsOk.status).toBe(200);
    expect(corsOk.headers.get('access-control-allow-origin')).toBe(origin);
    const refreshed = (await corsOk.json()) as { refresh_token: string };
    const foreign = await fetch(`${t.issuer}/token`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshed.refresh_token, client_id: client.client_id }),
    });
    expect(foreign.status).toBe(400);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('MCP Inspector (CLI): 127.0.0.1 callback', async () => {
    const driver = t.newDriver();
    const client = await driver.registerOk(INSPECTOR_CLI);
    expect(client.application_type).toBe('native');
    const { tokens } = await loginWith(driver, client, INSPECTOR_CLI.redirect_uris[0]!);
    expect(tokens.json.refresh_token).toBeTruthy();
  });
});
