// The answers MCP clients see: exact statuses, WWW-Authenticate values and bodies
// (docs/policy-contract.md, ../shared/docs/mcp-authorization.md), the Protected Resource Metadata
// document, CORS preflight, the login redirect, and fail-closed configuration errors.
import { beforeAll, describe, expect, test } from 'vitest';
import type { HttpWasmHost } from '../host/index.js';
import { ISSUER, RESOURCE, baseClaims, makeKey, pluginOptions, sign, type TestKey } from '../lib/tokens.js';
import { bearer, noTrap, startPlugin } from './lib.js';

const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
let key: TestKey;
let host: HttpWasmHost;

beforeAll(async () => {
  key = await makeKey('ES256');
  host = await startPlugin(pluginOptions([key], { requiredScopes: ['mcp:tools'], allowedEmails: ['@example.com'] }));
});

async function get(uri: string, headers: Array<[string, string]> = [], method = 'GET') {
  return noTrap(await host.handle({ method, uri, headers }));
}

describe('401 and 400', () => {
  test('no token: 401 with resource_metadata and scope, no error code', async () => {
    const res = await get('/mcp');
    expect(res.status).toBe(401);
    expect(res.next).toBe(false);
    expect(res.header('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}", scope="mcp:tools"`);
    expect(res.header('content-type')).toBe('application/json');
    expect(res.header('cache-control')).toBe('no-store');
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'bearer token required' });
  });

  test('invalid token: 401 with error="invalid_token" and a reason, never echoing the token', async () => {
    const token = await sign(key, baseClaims({ exp: 1000 }));
    const res = await get('/mcp', bearer(token) as Array<[string, string]>);
    expect(res.status).toBe(401);
    expect(res.header('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="token expired", resource_metadata="${PRM}", scope="mcp:tools"`);
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'token expired' });
    const everything = JSON.stringify([res.headers, res.text(), res.logs]);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(token.split('.')[2]);
  });

  test('garbage token: 401 malformed, the garbage not echoed', async () => {
    const res = await get('/mcp', [['Authorization', 'Bearer <script>alert(1)</script>']]);
    expect(res.status).toBe(401);
    expect(res.text()).not.toContain('<script>');
    expect(res.text()).not.toContain('alert');
    expect(res.json().error_description).toBe('malformed token');
  });

  test.each(['Basic dXNlcjpwYXNz', 'Token abc', 'Bearerabc', 'Digest username="a"'])('Authorization %j (not a bearer token): 401 like a missing token', async (value) => {
    const res = await get('/mcp', [['Authorization', value]]);
    expect(res.status).toBe(401);
    expect(res.header('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}", scope="mcp:tools"`);
    expect(res.upstreamRequest).toBeUndefined();
  });

  test.each([
    ['Bearer', 'empty bearer token'],
    ['Bearer ', 'empty bearer token'],
    ['bearer    ', 'empty bearer token'],
  ])('Authorization %j: 400 invalid_request', async (value, reason) => {
    const res = await get('/mcp', [['Authorization', value]]);
    expect(res.status).toBe(400);
    expect(res.header('www-authenticate')).toBe(`Bearer error="invalid_request", error_description="${reason}", resource_metadata="${PRM}"`);
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: reason });
  });

  test.each(['bearer', 'BEARER', 'BeArEr'])('scheme %s is accepted (case-insensitive)', async (scheme) => {
    const res = await get('/mcp', [['Authorization', `${scheme} ${await sign(key, baseClaims())}`]]);
    expect(res.status).toBe(200);
    expect(res.next).toBe(true);
  });

  test('two Authorization headers: 400 even when both hold valid tokens', async () => {
    const t = await sign(key, baseClaims());
    const res = await get('/mcp', [['Authorization', `Bearer ${t}`], ['Authorization', `Bearer ${t}`]]);
    expect(res.status).toBe(400);
    expect(res.json().error_description).toBe('more than one Authorization header');
    expect(res.next).toBe(false);
  });

  test('header plus query token: 400', async () => {
    const t = await sign(key, baseClaims());
    const res = await get(`/mcp?access_token=${t}`, [['Authorization', `Bearer ${t}`]]);
    expect(res.status).toBe(400);
    expect(res.json().error_description).toBe('token given in both the header and the query');
  });

  test('query-only token is refused unless allowQueryToken is on', async () => {
    const t = await sign(key, baseClaims());
    const res = await get(`/mcp?access_token=${t}`);
    expect(res.status).toBe(400);
    expect(res.json().error_description).toBe('tokens in the query string are not accepted');
    expect(JSON.stringify(res.logs)).not.toContain(t);

    const lenient = await startPlugin(pluginOptions([key], { allowQueryToken: 'true' }));
    const ok = noTrap(await lenient.handle({ uri: `/mcp?x=1&access_token=${t}` }));
    expect(ok.status).toBe(200);
    expect(ok.next).toBe(true);
  });
});

describe('403', () => {
  test('missing scope: 403 insufficient_scope naming the needed scope', async () => {
    const res = await get('/mcp', bearer(await sign(key, baseClaims({ scope: 'openid mcp:tools:admin MCP:TOOLS' }))) as Array<[string, string]>);
    expect(res.status).toBe(403);
    expect(res.header('www-authenticate')).toBe(`Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="${PRM}", error_description="missing required scope"`);
    expect(res.json()).toEqual({ error: 'insufficient_scope', error_description: 'missing required scope' });
  });

  test('no scope claim at all: 403', async () => {
    const res = await get('/mcp', bearer(await sign(key, baseClaims({ scope: undefined }))) as Array<[string, string]>);
    expect(res.status).toBe(403);
  });

  test('email not on the allowlist: 403 access_denied', async () => {
    const res = await get('/mcp', bearer(await sign(key, baseClaims({ email: 'mallory@evil.example' }))) as Array<[string, string]>);
    expect(res.status).toBe(403);
    expect(res.header('www-authenticate')).toBe(`Bearer error="insufficient_scope", error_description="email not allowed", resource_metadata="${PRM}"`);
    expect(res.json()).toEqual({ error: 'access_denied', error_description: 'email not allowed' });
  });

  test.each([false, 'true', undefined])('email_verified %j with an allowlist: 403 email not verified', async (verified) => {
    const res = await get('/mcp', bearer(await sign(key, baseClaims({ email_verified: verified }))) as Array<[string, string]>);
    expect(res.status).toBe(403);
    expect(res.json().error_description).toBe('email not verified');
  });

  test('requireEmailVerified false lets an unverified allowed address through', async () => {
    const lenient = await startPlugin(pluginOptions([key], { allowedEmails: 'alice@example.com', requireEmailVerified: 'false' }));
    const res = noTrap(await lenient.handle({ uri: '/mcp', headers: bearer(await sign(key, baseClaims({ email_verified: false }))) }));
    expect(res.status).toBe(200);
  });
});

describe('Protected Resource Metadata (RFC 9728)', () => {
  test.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp'])('%s is served without auth', async (uri) => {
    const res = await get(uri);
    expect(res.status).toBe(200);
    expect(res.next).toBe(false);
    expect(res.header('content-type')).toBe('application/json');
    expect(res.header('access-control-allow-origin')).toBe('*');
    expect(res.json()).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: ['mcp:tools'],
    });
  });

  test('resourceName, authorizationServers and scopesSupported options are reflected', async () => {
    const p = await startPlugin(pluginOptions([key], {
      resourceName: 'Demo <MCP>', authorizationServers: 'https://as.example.com', scopesSupported: ['mcp:tools', 'mcp:admin'],
    }));
    const doc = noTrap(await p.handle({ uri: '/.well-known/oauth-protected-resource/mcp' })).json();
    expect(doc).toEqual({
      resource: RESOURCE, authorization_servers: ['https://as.example.com'], bearer_methods_supported: ['header'],
      scopes_supported: ['mcp:tools', 'mcp:admin'], resource_name: 'Demo <MCP>',
    });
  });

  test('HEAD gets headers only; POST is 405', async () => {
    const head = await get('/.well-known/oauth-protected-resource/mcp', [], 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    const post = await get('/.well-known/oauth-protected-resource/mcp', [], 'POST');
    expect(post.status).toBe(405);
  });

  test.each([
    '/.well-known/oauth-protected-resource/../mcp',
    '/.well-known/oauth-protected-resource/%2e%2e/mcp',
    '/.well-known/oauth-protected-resource/mcp/../../mcp',
    '/.well-known/oauth-protected-resource/other',
    '/.well-known/oauth-protected-resource//mcp',
  ])('%s is not the metadata document and needs a token', async (uri) => {
    const res = await get(uri);
    expect(res.status).toBe(401);
    expect(res.next).toBe(false);
  });
});

describe('CORS and browsers', () => {
  test('a preflight passes without a token and without identity', async () => {
    const res = await get('/mcp', [['Origin', 'http://localhost:6274'], ['Access-Control-Request-Method', 'POST'], ['X-Forwarded-User', 'admin@example.com']], 'OPTIONS');
    expect(res.next).toBe(true);
    expect(res.upstreamRequest?.header('x-forwarded-user')).toBeUndefined();
  });

  test('OPTIONS without Access-Control-Request-Method is not a preflight', async () => {
    const res = await get('/mcp', [], 'OPTIONS');
    expect(res.status).toBe(401);
  });

  test('loginRedirect sends a browser GET without a token to the login page; API clients still get 401', async () => {
    const p = await startPlugin(pluginOptions([key], { loginRedirect: 'https://auth.example.com/login' }));
    const browser = noTrap(await p.handle({ uri: '/mcp', headers: [['Accept', 'text/html,application/xhtml+xml']] }));
    expect(browser.status).toBe(302);
    expect(browser.header('location')).toBe('https://auth.example.com/login');
    const api = noTrap(await p.handle({ uri: '/mcp', headers: [['Accept', 'application/json, text/event-stream']] }));
    expect(api.status).toBe(401);
    const post = noTrap(await p.handle({ method: 'POST', uri: '/mcp', headers: [['Accept', 'text/html']] }));
    expect(post.status).toBe(401);
  });
});

describe('configuration errors fail closed', () => {
  test.each([
    [undefined, 'no options given'],
    [{ resource: RESOURCE }, 'option "issuers": is required'],
    [{ resource: 'mcp.example.com', issuers: [] }, 'option "resource": must be an absolute http(s) URL'],
    [{ ...pluginOptions([]), requiredScope: ['x'] }, 'option "requiredScope": unknown option'],
    [{ ...pluginOptions([]), clockSkewSeconds: 'soon' }, 'option "clockSkewSeconds": must be a whole number from 0 to 600'],
    [{ resource: RESOURCE, issuers: [{ issuer: ISSUER }] }, 'option "issuers[0].jwks": each issuer needs "jwks" or "jwksFile"'],
    [{ resource: RESOURCE, issuers: [{ issuer: ISSUER, jwks: '{"keys": [' }] }, 'option "issuers[0].jwks": is not valid JSON'],
    [{ resource: RESOURCE, issuers: [{ issuer: ISSUER, jwks: { keys: [] } }] }, 'option "issuers[0].jwks": JWKS has no usable signature keys'],
    [{ resource: RESOURCE, issuers: [{ issuer: ISSUER, jwksFile: '/keys/jwks.json', algorithms: ['HS256'] }] }, 'option "issuers[0].algorithms": unsupported algorithm "HS256"'],
    [{ resource: RESOURCE, allowedEmails: 'bob', issuers: [{ issuer: ISSUER, jwksFile: '/keys/jwks.json' }] }, 'option "allowedEmails": "bob" is not an email address'],
  ])('config %j: every request gets 500 and the log names the problem', async (config, message) => {
    const p = await startPlugin(config as Record<string, unknown> | undefined);
    const t = await sign(key, baseClaims());
    for (const uri of ['/mcp', '/.well-known/oauth-protected-resource', '/public']) {
      const res = noTrap(await p.handle({ uri, headers: bearer(t) }));
      expect(res.status).toBe(500);
      expect(res.next).toBe(false);
      expect(res.json()).toEqual({ error: 'server_error', error_description: 'authentication middleware is misconfigured; see the Traefik log' });
    }
    const log = p.logs.map((l) => l.message).join('\n');
    expect(log).toContain('invalid configuration');
    expect(log).toContain(message);
  });

  test('option keys match case-insensitively and string values are accepted (label providers)', async () => {
    const p = await startPlugin({
      RESOURCE: RESOURCE,
      Issuers: [{ ISSUER: ISSUER, JWKS: JSON.stringify({ keys: [key.publicJwk] }), Algorithms: 'ES256, EdDSA' }],
      requiredscopes: 'mcp:tools, openid',
      ClockSkewSeconds: '0',
      STRIPAUTHORIZATION: 'false',
    });
    const t = await sign(key, baseClaims());
    const res = noTrap(await p.handle({ uri: '/mcp', headers: bearer(t) }));
    expect(res.status).toBe(200);
    expect(res.upstreamRequest?.header('authorization')).toBe(`Bearer ${t}`);
    const noScope = noTrap(await p.handle({ uri: '/mcp', headers: bearer(await sign(key, baseClaims({ scope: 'mcp:tools' }))) }));
    expect(noScope.status).toBe(403);
  });

  test('the same option in two casings is an error', async () => {
    const p = await startPlugin({ ...pluginOptions([key]), Resource: RESOURCE });
    expect(noTrap(await p.handle({ uri: '/mcp' })).status).toBe(500);
    expect(p.logs.map((l) => l.message).join('\n')).toContain('given twice with different casing');
  });
});
