// End to end: what reaches the MCP server. Identity headers sent by the client, in every spelling
// (casing, underscores, several copies), never reach the upstream, on protected and public paths
// and on preflights; exactly one trusted value is set from a valid token. The client's token does
// not travel upstream. Two Authorization headers and query-string tokens are refused before the
// upstream. A router without the plugin is the control: it shows Traefik itself forwards every
// spoofed spelling, so the checks below measure the plugin and not Traefik.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HttpWasmHost } from '../host/index.js';
import { makeKey, sign, type TestKey } from '../lib/tokens.js';
import { looseHeaderName, sendRaw, valuesOfLoose, type HeaderList, type RawRequest } from './lib/client.js';
import { answerDifferences, handleInTwin, startHostTwin } from './lib/host-twin.js';
import {
  GUEST_KEYS_DIR, PRM, fileKeyOptions, guestFailures, hostRouter, liveClaims, pluginMiddleware, service, startE2e,
  type E2eEnvironment,
} from './lib/mcpauth.js';

const DEFAULT_OPTIONS = fileKeyOptions({ publicPaths: ['/public'] });
const CUSTOM_OPTIONS = fileKeyOptions({
  forwardHeaders: { user: 'X-Auth-User', email: 'X-Auth-Email', subject: 'X-Auth-Subject', scopes: 'X-Auth-Scopes', clientId: 'X-Auth-Client' },
});
const QUERY_OPTIONS = fileKeyOptions({ allowQueryToken: true });

// Every spelling of X-Forwarded-User a client could use; each carries its own value so a leak
// names the spelling that got through.
const SPOOFS: HeaderList = [
  ['X-Forwarded-User', 'spoof-1@evil.example'],
  ['x-forwarded-user', 'spoof-2@evil.example'],
  ['X-FORWARDED-USER', 'spoof-3@evil.example'],
  ['X_Forwarded_User', 'spoof-4@evil.example'],
  ['x_forwarded_user', 'spoof-5@evil.example'],
  ['X-Forwarded_User', 'spoof-6@evil.example'],
  ['X_FORWARDED-USER', 'spoof-7@evil.example'],
  ['X-Forwarded-User', 'spoof-8@evil.example'],
];
const SPOOFED_VALUES = SPOOFS.map(([, v]) => v);

let env: E2eEnvironment;
let key: TestKey;
let token: string;

beforeAll(async () => {
  key = await makeKey('EdDSA');
  env = await startE2e({
    name: 'identity',
    keys: [key],
    dynamicConfig: (echoUrl) => ({
      http: {
        routers: {
          plain: hostRouter('plain.test', []),
          default: hostRouter('default.test', ['default']),
          custom: hostRouter('custom.test', ['custom']),
          query: hostRouter('query.test', ['query']),
        },
        middlewares: {
          default: pluginMiddleware(DEFAULT_OPTIONS),
          custom: pluginMiddleware(CUSTOM_OPTIONS),
          query: pluginMiddleware(QUERY_OPTIONS),
        },
        services: { echo: service(echoUrl) },
      },
    }),
  });
  token = await sign(key, liveClaims());
});

afterAll(async () => {
  await env?.stop();
});

async function send(request: RawRequest) {
  const before = env.echo.requests.length;
  const res = await sendRaw(env.traefik.port, request);
  return { res, upstream: env.echo.requests.slice(before) };
}

/** Every header value the upstream received that a client spoofed. */
function spoofedValuesSeen(rawHeaders: HeaderList): string[] {
  return rawHeaders.map(([, v]) => v).filter((v) => SPOOFED_VALUES.some((s) => v.includes(s)));
}

describe('control: Traefik without the plugin', () => {
  test('forwards every spoofed spelling to the upstream (Go keeps underscore names)', async () => {
    const { res, upstream } = await send({ path: '/mcp', host: 'plain.test', headers: SPOOFS });
    expect(res.status).toBe(200);
    expect(upstream).toHaveLength(1);
    expect(spoofedValuesSeen(upstream[0].rawHeaders).join(', ').split(', ').sort()).toEqual([...SPOOFED_VALUES].sort());
  });
});

describe('spoofed identity headers', () => {
  test('valid token: none of the spoofed values arrive, exactly one trusted X-Forwarded-User does', async () => {
    const { res, upstream } = await send({ path: '/mcp', host: 'default.test', headers: [['Authorization', `Bearer ${token}`], ...SPOOFS] });
    expect(res.status, res.body).toBe(200);
    expect(upstream).toHaveLength(1);
    expect(spoofedValuesSeen(upstream[0].rawHeaders)).toEqual([]);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'X-Forwarded-User')).toEqual(['alice@example.com']);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'Authorization')).toEqual([]);
  });

  test('public path without a token: spoofed values removed, no identity set', async () => {
    const { res, upstream } = await send({ path: '/public/info', host: 'default.test', headers: [...SPOOFS, ['Authorization', 'Bearer whatever']] });
    expect(res.status).toBe(200);
    expect(upstream).toHaveLength(1);
    expect(spoofedValuesSeen(upstream[0].rawHeaders)).toEqual([]);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'X-Forwarded-User')).toEqual([]);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'Authorization')).toEqual([]);
  });

  test('CORS preflight (passed to the upstream): spoofed values removed, no identity set', async () => {
    const { res, upstream } = await send({
      method: 'OPTIONS',
      path: '/mcp',
      host: 'default.test',
      headers: [['Origin', 'http://localhost:6274'], ['Access-Control-Request-Method', 'POST'], ...SPOOFS],
    });
    expect(res.status).toBe(200);
    expect(upstream).toHaveLength(1);
    expect(upstream[0].method).toBe('OPTIONS');
    expect(spoofedValuesSeen(upstream[0].rawHeaders)).toEqual([]);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'X-Forwarded-User')).toEqual([]);
  });

  test('no token: 401 and the upstream is never reached', async () => {
    const { res, upstream } = await send({ path: '/mcp', host: 'default.test', headers: SPOOFS });
    expect(res.status).toBe(401);
    expect(upstream).toEqual([]);
  });

  test('the user header carries the subject when the token has no email', async () => {
    const noEmail = await sign(key, liveClaims({ email: undefined, email_verified: undefined }));
    const { res, upstream } = await send({ path: '/mcp', host: 'default.test', headers: [['Authorization', `Bearer ${noEmail}`], ...SPOOFS] });
    expect(res.status).toBe(200);
    expect(valuesOfLoose(upstream[0].rawHeaders, 'X-Forwarded-User')).toEqual(['user-123']);
    expect(spoofedValuesSeen(upstream[0].rawHeaders)).toEqual([]);
  });

  test('configured forwardHeaders: every spoofed spelling removed, each set once from the token', async () => {
    const spoofs: HeaderList = [
      ['X-Auth-User', 'spoof-1@evil.example'], ['x_auth_email', 'spoof-2@evil.example'], ['X-AUTH-SUBJECT', 'spoof-3@evil.example'],
      ['X-Auth-Scopes', 'spoof-4@evil.example'], ['X_Auth_Client', 'spoof-5@evil.example'], ['X-Auth-Client', 'spoof-6@evil.example'],
      ['x-auth_user', 'spoof-7@evil.example'],
    ];
    const { res, upstream } = await send({ path: '/mcp', host: 'custom.test', headers: [['Authorization', `Bearer ${token}`], ...spoofs] });
    expect(res.status).toBe(200);
    const seen = upstream[0].rawHeaders;
    expect(spoofedValuesSeen(seen)).toEqual([]);
    const identity = Object.fromEntries(seen.filter(([n]) => looseHeaderName(n).startsWith('x-auth-')).map(([n, v]) => [looseHeaderName(n), v]));
    expect(identity).toEqual({
      'x-auth-user': 'alice@example.com',
      'x-auth-email': 'alice@example.com',
      'x-auth-subject': 'user-123',
      'x-auth-scopes': 'mcp:tools openid',
      'x-auth-client': 'client-abc',
    });
    for (const name of Object.keys(identity)) expect(valuesOfLoose(seen, name), name).toHaveLength(1);
  });
});

describe('token location', () => {
  let twin: HttpWasmHost;
  beforeAll(async () => {
    twin = await startHostTwin(DEFAULT_OPTIONS, [`${env.keysDir}:${GUEST_KEYS_DIR}:ro`]);
  });

  async function refused(request: RawRequest, reason: string) {
    const { res, upstream } = await send(request);
    expect(upstream).toEqual([]);
    expect(res.status, res.body).toBe(400);
    expect(res.headers['www-authenticate']).toBe(`Bearer error="invalid_request", error_description="${reason}", resource_metadata="${PRM}"`);
    expect(res.json()).toEqual({ error: 'invalid_request', error_description: reason });
    expect(answerDifferences(res, await handleInTwin(twin, request))).toEqual([]);
  }

  test('two Authorization headers, both with valid tokens: 400', async () => {
    await refused(
      { path: '/mcp', host: 'default.test', headers: [['Authorization', `Bearer ${token}`], ['Authorization', `Bearer ${token}`]] },
      'more than one Authorization header',
    );
  });

  test('two Authorization headers in different casings: 400', async () => {
    await refused(
      { path: '/mcp', host: 'default.test', headers: [['authorization', `Bearer ${token}`], ['AUTHORIZATION', 'Basic dXNlcjpwYXNz']] },
      'more than one Authorization header',
    );
  });

  test('a valid token in the query string only: 400 (MCP forbids query tokens)', async () => {
    await refused({ path: `/mcp?access_token=${token}`, host: 'default.test' }, 'tokens in the query string are not accepted');
  });

  test('header plus query token: 400', async () => {
    await refused(
      { path: `/mcp?access_token=${token}`, host: 'default.test', headers: [['Authorization', `Bearer ${token}`]] },
      'token given in both the header and the query',
    );
  });

  test('allowQueryToken: one query token is accepted and removed from the URI the upstream receives', async () => {
    const { res, upstream } = await send({ path: `/mcp?x=1&access_token=${token}&y=2`, host: 'query.test' });
    expect(res.status, res.body).toBe(200);
    expect(upstream).toHaveLength(1);
    expect(upstream[0].path).not.toContain('access_token');
    expect(upstream[0].path).not.toContain(token.split('.')[2]);
    expect(upstream[0].path.startsWith('/mcp?')).toBe(true);
    expect(new URLSearchParams(upstream[0].path.slice('/mcp?'.length)).toString()).toBe('x=1&y=2');
    expect(valuesOfLoose(upstream[0].rawHeaders, 'X-Forwarded-User')).toEqual(['alice@example.com']);
  });

  test('allowQueryToken: two access_token parameters are refused', async () => {
    const { res, upstream } = await send({ path: `/mcp?access_token=${token}&access_token=${token}`, host: 'query.test' });
    expect(upstream).toEqual([]);
    expect(res.status).toBe(400);
  });
});

describe('Traefik itself', () => {
  test('the guest never trapped and Traefik logged no wasm error, stack trace or panic', () => {
    const logs = env.traefik.logs();
    expect(guestFailures(logs)).toEqual({ logLines: [], answers: [] });
    expect(logs).toContain('reason="more than one Authorization header"');
  });
});
