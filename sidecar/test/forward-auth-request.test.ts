/**
 * Request handling in forwardAuth, as the plugin does it (docs/policy-contract.md): where the
 * token may come from (400 cases), the exact answers (status, WWW-Authenticate, headers, JSON
 * body), the metadata document, CORS, the login redirect, size limits, and which paths need a
 * token — path confusion must never skip auth. sidecar/test/parity-plugin.test.ts compares all of
 * this with the plugin itself.
 */
import { describe, expect, it } from 'vitest';

import { REASON } from '../src/forward-auth/reasons.js';
import { PRM, RESOURCE, bodyOf, makePolicy, request, token } from './lib/fa-fixture.js';

const policy = makePolicy();
const bearer = (t = token()) => `Bearer ${t}`;
const outcome = (d: { outcome: string; status: number; reason: string }) => ({ outcome: d.outcome, status: d.status, reason: d.reason });

describe('the token in the Authorization header', () => {
  it.each(['Bearer', 'bearer', 'BEARER', 'BeArEr'])('scheme %s is accepted', (scheme) => {
    expect(outcome(request(policy, { authorization: [`${scheme} ${token()}`] }))).toEqual({ outcome: 'allow', status: 200, reason: REASON.tokenValid });
  });

  it('surrounding and separating spaces do not matter', () => {
    expect(request(policy, { authorization: [`  Bearer    ${token()}  `] }).outcome).toBe('allow');
  });

  it('two Authorization headers are 400, even when both carry the same valid token', () => {
    const t = token();
    for (const authorization of [[bearer(t), bearer(t)], [bearer(t), 'Basic dXNlcjpwdw=='], ['Basic a', bearer(t)], ['', '']]) {
      expect(outcome(request(policy, { authorization }))).toEqual({ outcome: 'answer', status: 400, reason: REASON.multipleAuthorizationHeaders });
    }
  });

  it.each([
    ['Bearer', 400, REASON.emptyBearerToken],
    ['Bearer ', 400, REASON.emptyBearerToken],
    ['bearer    ', 400, REASON.emptyBearerToken],
    ['Bearer a b', 401, REASON.malformedToken],
    ['Bearer tok,en', 401, REASON.malformedToken],
    ['Bearer "tok"', 401, REASON.malformedToken],
    ['Bearer tok=en', 401, REASON.malformedToken],
    [' Bearer abc', 401, REASON.malformedToken],
    // not the Bearer scheme at all: like no token
    ['', 401, REASON.bearerTokenRequired],
    ['Bearer\tabc.def.ghi', 401, REASON.bearerTokenRequired],
    ['Bearer,abc', 401, REASON.bearerTokenRequired],
    ['Bearerabc', 401, REASON.bearerTokenRequired],
    ['Token abc', 401, REASON.bearerTokenRequired],
  ] as const)('%j: %d %s', (header, status, reason) => {
    expect(outcome(request(policy, { authorization: [header] }))).toEqual({ outcome: 'answer', status, reason });
  });

  it('another scheme is no bearer token: 401 without an error code', () => {
    const d = request(policy, { authorization: ['Basic dXNlcjpwdw=='] });
    expect(d.status).toBe(401);
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${PRM}", scope="mcp:tools"`);
  });

  it('Authorization values too large to read are 401 token too large, before any other check', () => {
    // maxTokenBytes + 64 bytes for the values with their NUL terminators
    const at = (n: number) => request(policy, { authorization: [`Bearer ${'a'.repeat(n)}`] }).reason;
    expect(at(8192 + 64 - 8)).toBe(REASON.tokenTooLarge); // the token itself is over maxTokenBytes
    expect(at(8192)).toBe(REASON.malformedToken);
    expect(request(policy, { authorization: [`Bearer ${'a'.repeat(5000)}`, `Bearer ${'a'.repeat(5000)}`] }).reason).toBe(REASON.tokenTooLarge);
    // bytes, not characters: 8190 ASCII + 3 two-byte characters is 8196 bytes but 8193 characters
    expect(request(policy, { authorization: [`Bearer ${'a'.repeat(8190)}\u00e9\u00e9\u00e9`] }).reason).toBe(REASON.tokenTooLarge);
    expect(request(policy, { authorization: [`Bearer ${'a'.repeat(8180)}\u00e9\u00e9\u00e9`] }).reason).toBe(REASON.malformedToken);
  });
});

describe('query tokens', () => {
  it('refused unless allowQueryToken', () => {
    const d = request(policy, { uri: `/mcp?access_token=${token()}` });
    expect(outcome(d)).toEqual({ outcome: 'answer', status: 400, reason: REASON.queryTokenNotAllowed });
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer error="invalid_request", error_description="tokens in the query string are not accepted", resource_metadata="${PRM}"`);
  });

  it('accepted with allowQueryToken, and removed from the URI the upstream should get', () => {
    const p = makePolicy({ allowQueryToken: 'true' });
    const d = request(p, { uri: `/mcp?x=1&access_token=${token()}&y` });
    expect(outcome(d)).toEqual({ outcome: 'allow', status: 200, reason: REASON.tokenValid });
    expect(d.rewriteUri).toBe('/mcp?x=1&y');
    expect(request(p, { uri: `/mcp?access_token=${token()}` }).rewriteUri).toBe('/mcp');
    // kept as is when the Authorization header is to be kept too
    expect(request(makePolicy({ allowQueryToken: true, stripAuthorization: false }), { uri: `/mcp?access_token=${token()}` }).rewriteUri).toBeUndefined();
  });

  it('header plus query token is 400, also when query tokens are allowed (and also with another scheme)', () => {
    for (const p of [policy, makePolicy({ allowQueryToken: true })]) {
      for (const authorization of [[bearer()], ['Basic eA==']]) {
        expect(outcome(request(p, { uri: `/mcp?access_token=${token()}`, authorization }))).toEqual({ outcome: 'answer', status: 400, reason: REASON.headerAndQueryToken });
      }
    }
  });

  it('two access_token parameters are 400; an encoded parameter name is not the parameter', () => {
    const p = makePolicy({ allowQueryToken: true });
    const t = token();
    expect(request(p, { uri: `/mcp?access_token=${t}&access_token=${t}` }).reason).toBe(REASON.multipleQueryTokens);
    expect(request(p, { uri: `/mcp?access%5Ftoken=${t}` }).reason).toBe(REASON.bearerTokenRequired);
    expect(request(p, { uri: '/mcp?access_token=' }).reason).toBe(REASON.emptyQueryToken);
    expect(request(p, { uri: '/mcp?access_token' }).reason).toBe(REASON.emptyQueryToken);
    // the value is taken as is: no percent-decoding
    expect(request(p, { uri: `/mcp?access_token=${t.replace('.', '%2E')}` }).reason).toBe(REASON.malformedToken);
  });
});

describe('contract answers', () => {
  it('no token: 401, challenge without error, body invalid_token, no-store JSON', () => {
    const d = request(policy, {});
    expect(d).toMatchObject({
      status: 401,
      headers: { 'WWW-Authenticate': `Bearer resource_metadata="${PRM}", scope="mcp:tools"`, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
    });
    expect(bodyOf(d)).toEqual({ error: 'invalid_token', error_description: 'bearer token required' });
  });

  it('no token and no required scopes: the scope parameter is omitted', () => {
    expect(request(makePolicy({ requiredScopes: undefined }), {}).headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${PRM}"`);
  });

  it('invalid token: 401 with error, description, resource_metadata and scope in that order', () => {
    const d = request(makePolicy({ requiredScopes: 'mcp:tools mcp:read'.split(' ') }), { authorization: [bearer(token({ exp: 1 }))] });
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer error="invalid_token", error_description="token expired", resource_metadata="${PRM}", scope="mcp:tools mcp:read"`);
    expect(bodyOf(d)).toEqual({ error: 'invalid_token', error_description: 'token expired' });
  });

  it('missing scope: 403 insufficient_scope with scope before resource_metadata', () => {
    const d = request(policy, { authorization: [bearer(token({ scope: 'openid' }))] });
    expect(d).toMatchObject({
      status: 403,
      headers: { 'WWW-Authenticate': `Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="${PRM}", error_description="missing required scope"` },
    });
    expect(bodyOf(d)).toEqual({ error: 'insufficient_scope', error_description: 'missing required scope' });
  });

  it('400: error invalid_request, no scope parameter', () => {
    const d = request(policy, { authorization: ['Bearer', 'Bearer'] });
    expect(d.headers['WWW-Authenticate']).toBe(`Bearer error="invalid_request", error_description="more than one Authorization header", resource_metadata="${PRM}"`);
    expect(bodyOf(d)).toEqual({ error: 'invalid_request', error_description: 'more than one Authorization header' });
  });

  it('the PRM URL follows the resource as written, without query or trailing slash', () => {
    for (const [resource, prm] of [
      ['https://mcp.example.com/', 'https://mcp.example.com/.well-known/oauth-protected-resource'],
      ['https://mcp.example.com', 'https://mcp.example.com/.well-known/oauth-protected-resource'],
      ['https://mcp.example.com/mcp//', 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp'],
      ['http://localhost:8080/a/b', 'http://localhost:8080/.well-known/oauth-protected-resource/a/b'],
      ['https://MCP.example.com:443/x', 'https://MCP.example.com:443/.well-known/oauth-protected-resource/x'],
    ]) {
      expect(request(makePolicy({ resource, requiredScopes: undefined }), {}).headers['WWW-Authenticate']).toBe(`Bearer resource_metadata="${prm}"`);
    }
  });

  it('a double quote in a quoted value is escaped (a backslash never gets that far: such a resource is refused)', () => {
    const d = request(makePolicy({ resource: 'https://mcp.example.com/a"b', requiredScopes: undefined }), {});
    expect(d.headers['WWW-Authenticate']).toBe('Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/a\\"b"');
    expect(() => makePolicy({ resource: 'https://mcp.example.com/a\\b' })).toThrow(/option "resource"/);
  });

  it('request URIs over 64 KiB are 414, before anything else', () => {
    const d = request(policy, { method: 'OPTIONS', preflight: true, uri: `/health?${'a'.repeat(64 * 1024)}`, authorization: [bearer()] });
    expect(outcome(d)).toEqual({ outcome: 'answer', status: 414, reason: REASON.uriTooLong });
    expect(d.headers).toEqual({ 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    expect(bodyOf(d)).toEqual({ error: 'invalid_request', error_description: 'request URI too long' });
    expect(request(policy, { uri: `/mcp?${'a'.repeat(64 * 1024 - 5)}` }).status).toBe(401);
  });
});

describe('cross-origin requests', () => {
  it('refusals carry CORS headers so a browser client can read the challenge', () => {
    for (const req of [{}, { authorization: ['Bearer', 'Bearer'] }, { authorization: [bearer(token({ scope: 'x' }))] }, { uri: `/${'a'.repeat(70000)}` }]) {
      const d = request(policy, { ...req, crossOrigin: true });
      expect(d.headers).toMatchObject({ 'Access-Control-Allow-Origin': '*', 'Access-Control-Expose-Headers': 'WWW-Authenticate' });
      expect(Object.keys(d.headers).slice(-2)).toEqual(['Access-Control-Allow-Origin', 'Access-Control-Expose-Headers']);
    }
  });

  it('allowed requests, redirects and same-origin refusals do not', () => {
    expect(request(policy, { authorization: [bearer()], crossOrigin: true }).headers).not.toHaveProperty('Access-Control-Allow-Origin');
    const redirect = request(makePolicy({ loginRedirect: 'https://auth.example.com/login' }), { accept: 'text/html', crossOrigin: true });
    expect(redirect.status).toBe(302);
    expect(redirect.headers).not.toHaveProperty('Access-Control-Expose-Headers');
    expect(request(policy, {}).headers).not.toHaveProperty('Access-Control-Allow-Origin');
  });
});

describe('loginRedirect', () => {
  const p = makePolicy({ loginRedirect: 'https://auth.example.com/login' });

  it('a browser GET without a token is sent to the login page', () => {
    const d = request(p, { method: 'GET', accept: 'text/html,application/xhtml+xml;q=0.9' });
    expect(d).toMatchObject({ status: 302, headers: { Location: 'https://auth.example.com/login', 'Cache-Control': 'no-store' }, body: '' });
    // also with another scheme, and wherever text/html appears in Accept
    expect(request(p, { method: 'GET', accept: 'application/json, TEXT/HTML;q=0.1', authorization: ['Basic eA=='] }).status).toBe(302);
  });

  it.each([
    ['a POST', { method: 'POST', accept: 'text/html' }],
    ['a HEAD', { method: 'HEAD', accept: 'text/html' }],
    ['a lower-case get', { method: 'get', accept: 'text/html' }],
    ['a JSON client', { method: 'GET', accept: 'application/json' }],
    ['no Accept', { method: 'GET' }],
    ['an Accept too large to read', { method: 'GET', accept: `text/html,${'a'.repeat(4096)}` }],
    ['an invalid token', { method: 'GET', accept: 'text/html', authorization: ['Bearer a.b.c'] }],
  ])('%s gets the 401 instead', (_label, req) => {
    expect(request(p, req).status).toBe(401);
  });
});

describe('the metadata document and CORS preflight', () => {
  const p = makePolicy({ scopesSupported: ['mcp:tools', 'openid'], resourceName: 'Example MCP' });
  const doc = { resource: RESOURCE, authorization_servers: ['https://auth.example.com'], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools', 'openid'], resource_name: 'Example MCP' };

  it.each(['/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource/mcp?x=1'])('GET %s is answered with the document', (uri) => {
    const d = request(p, { uri, method: 'GET', authorization: ['Bearer', 'Bearer'] });
    expect(outcome(d)).toEqual({ outcome: 'answer', status: 200, reason: REASON.metadata });
    expect(d.headers).toEqual({ 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*', 'Cache-Control': 'public, max-age=300' });
    expect(bodyOf(d)).toEqual(doc);
  });

  it('HEAD has no body, OPTIONS is the preflight (204), other methods are 405', () => {
    const uri = '/.well-known/oauth-protected-resource/mcp';
    expect(request(p, { uri, method: 'HEAD' })).toMatchObject({ status: 200, body: '' });
    expect(request(p, { uri, method: 'OPTIONS' })).toMatchObject({
      status: 204,
      headers: { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Methods': 'GET, HEAD, OPTIONS', 'Access-Control-Allow-Headers': '*', 'Access-Control-Max-Age': '86400' },
      body: '',
    });
    const post = request(p, { uri, method: 'POST' });
    expect(post).toMatchObject({ status: 405, headers: { Allow: 'GET, HEAD, OPTIONS', 'Content-Type': 'application/json' } });
    expect(bodyOf(post)).toEqual({ error: 'invalid_request', error_description: 'method not allowed' });
  });

  it.each(['/.well-known/oauth-protected-resource/MCP', '/.well-known/oauth-protected-resource/other', '/.well-known/oauth-protected-resource/../mcp', '/.well-known/oauth-protected-resource%2fmcp'])('%s is not the document (and needs a token)', (uri) => {
    expect(request(p, { uri, method: 'GET' }).reason).toBe(REASON.bearerTokenRequired);
  });

  it('a CORS preflight (OPTIONS with Access-Control-Request-Method) passes without a token', () => {
    expect(outcome(request(policy, { method: 'OPTIONS', preflight: true, authorization: ['Bearer', 'Bearer'] }))).toEqual({ outcome: 'pass', status: 200, reason: REASON.corsPreflight });
    expect(request(policy, { method: 'OPTIONS' }).status).toBe(401);
    expect(request(policy, { method: 'options', preflight: true }).status).toBe(401);
  });
});

describe('which paths need a token', () => {
  const p = makePolicy({ publicPaths: ['/health', '/static/'], protectedPaths: ['/mcp', '/sse'] });

  it.each(['/health', '/health/live', '/health?x=1', '/health#x', '/static/a.css', '/static'])('public %s passes without a token', (uri) => {
    expect(outcome(request(p, { uri }))).toEqual({ outcome: 'pass', status: 200, reason: REASON.publicPath });
  });

  it('public paths pass even with a broken Authorization header (and never set identity headers)', () => {
    expect(request(p, { uri: '/health', authorization: ['Bearer x', 'Bearer y'] })).toMatchObject({ outcome: 'pass', status: 200, headers: {} });
  });

  it.each([
    '/mcp', '/mcp/', '/mcp/x', '/MCP', '/Mcp', '/SSE', '//mcp', '//sse', '/sse/', '/mcpx',
    '/x/../mcp', '/x/./mcp', '/x/%2e%2e/mcp', '/x/%2E%2E/mcp', '/%6dcp', '/mcp%2f', '/health%2f..%2fmcp',
    '/health/../mcp', '/health/./../mcp', '/.well-known/oauth-protected-resource/../mcp',
    '/.well-known/oauth-protected-resource/..%2fmcp', '/.well-known/oauth-protected-resource%2f..%2fmcp',
    '/health%00', '/health;x', '/health;/../mcp', '/health\\..\\mcp', '/h\u00e9alth', '/health/%2e', '/health//',
    '/healthz/../mcp', '/static/../mcp', '/static/%2e%2e/mcp', 'health', '*', 'http://evil/health',
  ])('%j needs a token', (uri) => {
    expect(outcome(request(p, { uri }))).toEqual({ outcome: 'answer', status: 401, reason: REASON.bearerTokenRequired });
  });

  it('a missing (or repeated, which the request builder reports as missing) X-Forwarded-Uri needs a token', () => {
    expect(request(p, { uri: undefined }).status).toBe(401);
  });

  it('a clean path outside protectedPaths passes', () => {
    for (const uri of ['/other', '/healthz', '/other?access_token=garbage', '/', '']) {
      expect(outcome(request(p, { uri }))).toEqual({ outcome: 'pass', status: 200, reason: REASON.publicPath });
    }
  });

  it('the default protects everything that is not public', () => {
    expect(request(makePolicy(), { uri: '/anything' }).status).toBe(401);
  });

  it('a protected prefix with a trailing slash also covers the bare path', () => {
    expect(request(makePolicy({ protectedPaths: ['/mcp/'] }), { uri: '/mcp' }).status).toBe(401);
  });

  it('an empty protectedPaths option is an error, not "protect nothing"', () => {
    expect(() => makePolicy({ protectedPaths: '' })).toThrow('option "protectedPaths": is empty; remove the option to protect every path');
  });

  it('with a valid token, a protected path passes', () => {
    expect(request(p, { uri: '/mcp', authorization: [bearer()] }).status).toBe(200);
  });
});
