/**
 * Request handling in forwardAuth: where the token may come from (400 cases), the exact
 * contract answers (status, WWW-Authenticate, JSON body), login redirect, and which paths need
 * a token — path confusion must never skip auth.
 */
import { describe, expect, it } from 'vitest';

import { REASON } from '../src/forward-auth/reasons.js';
import { PRM, makePolicy, request, token } from './lib/fa-fixture.js';

const policy = makePolicy();
const bearer = (t = token()) => `Bearer ${t}`;

describe('the token in the Authorization header', () => {
  it.each(['Bearer', 'bearer', 'BEARER', 'BeArEr'])('scheme %s is accepted', async (scheme) => {
    const d = await request(policy, { authorization: [`${scheme} ${token()}`] });
    expect(d.status).toBe(200);
  });

  it('two Authorization headers are 400, even when both carry the same valid token', async () => {
    const t = token();
    for (const authorization of [[bearer(t), bearer(t)], [bearer(t), 'Basic dXNlcjpwdw=='], ['Basic a', bearer(t)]]) {
      const d = await request(policy, { authorization });
      expect({ status: d.status, reason: d.reason }).toEqual({ status: 400, reason: REASON.multipleAuthorizationHeaders });
    }
  });

  it.each(['Bearer', 'Bearer ', 'Bearer a b', 'Bearer tok,en', 'Bearer "tok"', 'Bearer tok=en', '', 'Bearer\tabc.def.ghi', 'Bearer,abc', ' Bearer abc'])('malformed header %j is 400', async (header) => {
    const d = await request(policy, { authorization: [header] });
    expect({ status: d.status, reason: d.reason }).toEqual({ status: 400, reason: REASON.malformedAuthorizationHeader });
  });

  it('another scheme is no bearer token: 401 without an error code', async () => {
    const d = await request(policy, { authorization: ['Basic dXNlcjpwdw=='] });
    expect(d.status).toBe(401);
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${PRM}", scope="mcp:tools"`);
  });

  it('an oversized header token is 401 token too large (size before syntax)', async () => {
    const d = await request(policy, { authorization: [`Bearer ${'a b'.repeat(3000)}`] });
    expect(d.reason).toBe(REASON.tokenTooLarge);
  });
});

describe('query tokens', () => {
  it('refused unless allowQueryToken', async () => {
    const d = await request(policy, { uri: `/mcp?access_token=${token()}` });
    expect({ status: d.status, reason: d.reason }).toEqual({ status: 400, reason: REASON.queryTokenNotAllowed });
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer error="invalid_request", error_description="query token not allowed", resource_metadata="${PRM}"`);
  });

  it('accepted with allowQueryToken', async () => {
    const d = await request(makePolicy({ allowQueryToken: 'true' }), { uri: `/mcp?x=1&access_token=${token()}` });
    expect(d.status).toBe(200);
  });

  it('header plus query token is 400, also when query tokens are allowed', async () => {
    for (const p of [policy, makePolicy({ allowQueryToken: true })]) {
      const d = await request(p, { uri: `/mcp?access_token=${token()}`, authorization: [bearer()] });
      expect({ status: d.status, reason: d.reason }).toEqual({ status: 400, reason: REASON.headerAndQueryToken });
    }
  });

  it('two query tokens are 400; an encoded parameter name counts too', async () => {
    const p = makePolicy({ allowQueryToken: true });
    const t = token();
    for (const uri of [`/mcp?access_token=${t}&access_token=${t}`, `/mcp?access_token=${t}&access%5Ftoken=${t}`]) {
      const d = await request(p, { uri });
      expect({ status: d.status, reason: d.reason }).toEqual({ status: 400, reason: REASON.multipleQueryTokens });
    }
  });
});

describe('contract answers', () => {
  it('no token: 401, challenge without error, body invalid_token', async () => {
    const d = await request(policy, {});
    expect(d).toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': `Bearer resource_metadata="${PRM}", scope="mcp:tools"` },
      body: { error: 'invalid_token', error_description: 'missing token' },
    });
  });

  it('no token and no required scopes: the scope parameter is omitted', async () => {
    const d = await request(makePolicy({ requiredScopes: [] }), {});
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${PRM}"`);
  });

  it('invalid token: 401 with error, description, resource_metadata and scope in that order', async () => {
    const d = await request(makePolicy({ requiredScopes: 'mcp:tools mcp:read'.split(' ') }), { authorization: [bearer(token({ exp: 1 }))] });
    expect(d.headers['WWW-Authenticate']).toBe(
      `Bearer error="invalid_token", error_description="token expired", resource_metadata="${PRM}", scope="mcp:tools mcp:read"`,
    );
    expect(d.body).toEqual({ error: 'invalid_token', error_description: 'token expired' });
  });

  it('missing scope: 403 insufficient_scope with scope before resource_metadata', async () => {
    const d = await request(policy, { authorization: [bearer(token({ scope: 'openid' }))] });
    expect(d).toMatchObject({
      status: 403,
      headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="${PRM}", error_description="missing required scope"` },
      body: { error: 'insufficient_scope', error_description: 'missing required scope' },
    });
  });

  it('400: error invalid_request, no scope parameter', async () => {
    const d = await request(policy, { authorization: ['Bearer', 'Bearer'] });
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer error="invalid_request", error_description="multiple authorization headers", resource_metadata="${PRM}"`);
    expect(d.body).toEqual({ error: 'invalid_request', error_description: 'multiple authorization headers' });
  });

  it('the PRM URL follows the resource path without a trailing slash', async () => {
    for (const [resource, prm] of [
      ['https://mcp.example.com/', 'https://mcp.example.com/.well-known/oauth-protected-resource'],
      ['https://mcp.example.com', 'https://mcp.example.com/.well-known/oauth-protected-resource'],
      ['https://mcp.example.com/mcp/', 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'],
      ['http://localhost:8080/a/b', 'http://localhost:8080/.well-known/oauth-protected-resource/a/b'],
    ]) {
      const d = await request(makePolicy({ resource, requiredScopes: [] }), {});
      expect(d.headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${prm}"`);
    }
  });
});

describe('loginRedirect', () => {
  const p = makePolicy({ loginRedirect: 'https://auth.example.com/login' });

  it('a browser GET without a token is sent to the login page', async () => {
    const d = await request(p, { method: 'GET', accept: 'text/html,application/xhtml+xml;q=0.9' });
    expect(d).toMatchObject({ status: 302, headers: { Location: 'https://auth.example.com/login' } });
  });

  it.each([
    ['a POST', { method: 'POST', accept: 'text/html' }],
    ['a JSON client', { method: 'GET', accept: 'application/json' }],
    ['no Accept', { method: 'GET' }],
    ['an invalid token', { method: 'GET', accept: 'text/html', authorization: ['Bearer a.b.c'] }],
  ])('%s gets the 401 instead', async (_label, req) => {
    const d = await request(p, req);
    expect(d.status).toBe(401);
  });
});

describe('which paths need a token', () => {
  const p = makePolicy({ publicPaths: ['/.well-known/oauth-protected-resource', '/health'], protectedPaths: ['/mcp', '/sse'] });

  it.each(['/health', '/health/live', '/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/health?x=1'])(
    'public %s passes without a token',
    async (uri) => {
      const d = await request(p, { uri });
      expect({ status: d.status, reason: d.reason }).toEqual({ status: 200, reason: REASON.publicPath });
    },
  );

  it('public paths pass even with a broken Authorization header (and never set identity headers)', async () => {
    const d = await request(p, { uri: '/health', authorization: ['Bearer x', 'Bearer y'] });
    expect(d).toMatchObject({ status: 200, headers: {} });
  });

  it.each([
    '/mcp', '/mcp/', '/mcp/x', '/MCP', '/Mcp', '/SSE', '//mcp', '//sse', '/sse/', '/mcpx',
    '/x/../mcp', '/x/./mcp', '/x/%2e%2e/mcp', '/x/%2E%2E/mcp', '/%6dcp', '/mcp%2f', '/health%2f..%2fmcp',
    '/health/../mcp', '/health/./../mcp', '/.well-known/oauth-protected-resource/../mcp',
    '/.well-known/oauth-protected-resource/..%2fmcp', '/.well-known/oauth-protected-resource%2f..%2fmcp',
    '/health%00', '/health;x', '/health;/../mcp', '/health#x', '/health\\..\\mcp', '/h\u00e9alth', '/health/%2e', '/health//',
    'health', '*', 'http://evil/health', '',
  ])('%j needs a token', async (uri) => {
    const d = await request(p, { uri });
    expect({ status: d.status, reason: d.reason }).toEqual({ status: 401, reason: 'missing token' });
  });

  it('a missing (or repeated, which the request builder reports as missing) X-Forwarded-Uri needs a token', async () => {
    const d = await request(p, { uri: undefined });
    expect(d.status).toBe(401);
  });

  it('a clean path outside protectedPaths passes', async () => {
    for (const uri of ['/other', '/healthz', '/other?access_token=garbage']) {
      const d = await request(p, { uri });
      expect({ status: d.status, reason: d.reason }).toEqual({ status: 200, reason: REASON.notProtected });
    }
  });

  it('the default protects everything that is not public', async () => {
    const d = await request(makePolicy(), { uri: '/anything' });
    expect(d.status).toBe(401);
  });

  it('a protected prefix with a trailing slash also covers the bare path', async () => {
    const d = await request(makePolicy({ protectedPaths: ['/mcp/'] }), { uri: '/mcp' });
    expect(d.status).toBe(401);
  });

  it('with a valid token, a protected path passes', async () => {
    const d = await request(p, { uri: '/mcp', authorization: [bearer()] });
    expect(d.status).toBe(200);
  });
});
