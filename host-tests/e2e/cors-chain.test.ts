// End to end: the middleware chain of the old tool's deployment docs, in front of the plugin:
//   headers (CORS for browser MCP clients) -> redirectregex (/.well-known AS metadata to the AS)
//   -> mcpauth plugin -> MCP server.
// A browser preflight passes the chain, refusals carry CORS headers with WWW-Authenticate exposed
// (so MCP Inspector can read the challenge), the AS metadata URLs redirect without a token, and
// the Protected Resource Metadata stays with the plugin.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeKey, sign, type TestKey } from '../lib/tokens.js';
import { sendRaw, valuesOfLoose, type RawRequest } from './lib/client.js';
import {
  ISSUER, PRM, RESOURCE, fileKeyOptions, guestFailures, hostRouter, liveClaims, pluginMiddleware, service, startE2e,
  type E2eEnvironment,
} from './lib/mcpauth.js';

const HOST = 'mcp.test';
const BROWSER = 'http://localhost:6274'; // MCP Inspector
const AS_URL = 'https://auth.example.com';

const CORS = {
  headers: {
    accessControlAllowOriginList: [BROWSER, 'https://claude.ai'],
    accessControlAllowHeaders: ['Authorization', 'Content-Type', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID'],
    accessControlExposeHeaders: ['WWW-Authenticate', 'Mcp-Session-Id'],
    accessControlAllowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
    accessControlMaxAge: 86400,
    addVaryHeader: true,
  },
};
const WELL_KNOWN_REDIRECT = {
  redirectRegex: {
    regex: '^https?://[^/]+/\\.well-known/(oauth-authorization-server|openid-configuration)(.*)$',
    replacement: `${AS_URL}/.well-known/\${1}\${2}`,
  },
};

let env: E2eEnvironment;
let key: TestKey;

beforeAll(async () => {
  key = await makeKey('RS256');
  env = await startE2e({
    name: 'chain',
    keys: [key],
    dynamicConfig: (echoUrl) => ({
      http: {
        routers: { mcp: hostRouter(HOST, ['cors', 'well-known', 'mcpauth']) },
        middlewares: {
          cors: CORS,
          'well-known': WELL_KNOWN_REDIRECT,
          mcpauth: pluginMiddleware(fileKeyOptions({ requiredScopes: ['mcp:tools'] })),
        },
        services: { echo: service(echoUrl) },
      },
    }),
  });
});

afterAll(async () => {
  await env?.stop();
});

async function send(request: Omit<RawRequest, 'host'>) {
  const before = env.echo.requests.length;
  const res = await sendRaw(env.traefik.port, { ...request, host: HOST });
  return { res, upstream: env.echo.requests.slice(before) };
}

const listed = (value: string | string[] | undefined) => String(value ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);

describe('browser preflight', () => {
  test('passes without a token: the origin, methods and MCP headers are allowed', async () => {
    const { res, upstream } = await send({
      method: 'OPTIONS',
      path: '/mcp',
      headers: [
        ['Origin', BROWSER],
        ['Access-Control-Request-Method', 'POST'],
        ['Access-Control-Request-Headers', 'authorization,content-type,mcp-session-id,mcp-protocol-version'],
      ],
    });
    expect(res.status, res.body).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-origin']).toBe(BROWSER);
    expect(listed(res.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['get', 'post', 'delete']));
    expect(listed(res.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['authorization', 'content-type', 'mcp-session-id', 'mcp-protocol-version']));
    expect(res.headers['access-control-max-age']).toBe('86400');
    expect(res.headers['www-authenticate']).toBeUndefined();
    // Traefik's headers middleware answers a preflight itself: neither the plugin nor the MCP
    // server sees it (the plugin's own preflight pass-through is in identity-headers.test.ts).
    expect(upstream).toEqual([]);
    expect(res.body).toBe('');
  });

  test('the metadata document\'s preflight passes too', async () => {
    const { res, upstream } = await send({
      method: 'OPTIONS',
      path: '/.well-known/oauth-protected-resource/mcp',
      headers: [['Origin', BROWSER], ['Access-Control-Request-Method', 'GET']],
    });
    expect(upstream).toEqual([]);
    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-origin']).toBe(BROWSER);
  });
});

describe('refusals carry CORS headers', () => {
  test('401 without a token: the challenge, the browser\'s origin allowed, WWW-Authenticate exposed', async () => {
    const { res, upstream } = await send({ method: 'POST', path: '/mcp', headers: [['Origin', BROWSER], ['Content-Type', 'application/json']], body: '{}' });
    expect(upstream).toEqual([]);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer resource_metadata="${PRM}", scope="mcp:tools"`);
    expect(res.headers['access-control-allow-origin']).toBe(BROWSER);
    expect(listed(res.headers['access-control-expose-headers'])).toContain('www-authenticate');
    expect(listed(res.headers.vary)).toContain('origin');
    expect(res.json()).toEqual({ error: 'invalid_token', error_description: 'bearer token required' });
  });

  test('403 insufficient scope: the same CORS headers', async () => {
    const t = await sign(key, liveClaims({ scope: 'openid' }));
    const { res, upstream } = await send({ path: '/mcp', headers: [['Origin', 'https://claude.ai'], ['Authorization', `Bearer ${t}`]] });
    expect(upstream).toEqual([]);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(`Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="${PRM}", error_description="missing required scope"`);
    expect(res.headers['access-control-allow-origin']).toBe('https://claude.ai');
    expect(listed(res.headers['access-control-expose-headers'])).toContain('www-authenticate');
  });

  test('an origin the CORS middleware does not list: the refusal keeps the plugin\'s own CORS answer', async () => {
    const { res } = await send({ path: '/mcp', headers: [['Origin', 'https://unknown.example']] });
    expect(res.status).toBe(401);
    // The headers middleware sets no Allow-Origin for an unlisted origin; the plugin's `*` for
    // refusals stays, so any page can read the (secret-free) challenge.
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(listed(res.headers['access-control-expose-headers'])).toContain('www-authenticate');
  });
});

describe('through the whole chain', () => {
  test('a valid token reaches the upstream with the identity header and without Authorization; CORS on the answer', async () => {
    const t = await sign(key, liveClaims());
    const { res, upstream } = await send({
      method: 'POST',
      path: '/mcp',
      headers: [['Origin', BROWSER], ['Authorization', `Bearer ${t}`], ['Content-Type', 'application/json'], ['Mcp-Session-Id', 's-1']],
      body: '{"jsonrpc":"2.0","id":1,"method":"ping"}',
    });
    expect(res.status, res.body).toBe(200);
    expect(upstream).toHaveLength(1);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'X-Forwarded-User')).toEqual(['alice@example.com']);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'Authorization')).toEqual([]);
    expect(upstream[0].headers['mcp-session-id']).toBe('s-1');
    expect(upstream[0].body).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}');
    expect(res.headers['access-control-allow-origin']).toBe(BROWSER);
  });

  test.each([
    ['/.well-known/oauth-authorization-server', `${AS_URL}/.well-known/oauth-authorization-server`],
    ['/.well-known/openid-configuration', `${AS_URL}/.well-known/openid-configuration`],
    ['/.well-known/oauth-authorization-server/mcp', `${AS_URL}/.well-known/oauth-authorization-server/mcp`],
  ])('%s redirects to the authorization server without a token', async (path, location) => {
    const { res, upstream } = await send({ path, headers: [['Origin', BROWSER]] });
    expect(upstream).toEqual([]);
    expect([301, 302, 307, 308]).toContain(res.status);
    expect(res.headers.location).toBe(location);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  test('the Protected Resource Metadata is the plugin\'s, without a token, readable by the browser', async () => {
    const { res, upstream } = await send({ path: '/.well-known/oauth-protected-resource/mcp', headers: [['Origin', BROWSER]] });
    expect(upstream).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(BROWSER);
    expect(res.json()).toEqual({ resource: RESOURCE, authorization_servers: [ISSUER], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] });
  });

  test('other /.well-known paths are not redirected and still need a token', async () => {
    const { res, upstream } = await send({ path: '/.well-known/other' });
    expect(upstream).toEqual([]);
    expect(res.status).toBe(401);
  });
});

describe('Traefik itself', () => {
  test('the three middlewares are enabled on the router, and no wasm error, stack trace or panic was logged', async () => {
    const router = await env.traefik.api<{ status: string; middlewares: string[] }>('/api/http/routers/mcp@file');
    expect(router?.status).toBe('enabled');
    expect(router?.middlewares).toEqual(['cors@file', 'well-known@file', 'mcpauth@file']);
    expect(guestFailures(env.traefik.logs())).toEqual({ logLines: [], answers: [] });
  });
});

