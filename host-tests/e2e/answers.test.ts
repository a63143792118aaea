// End to end, real Traefik + the built plugin + an echo upstream: what MCP clients see. Valid tokens
// of every algorithm reach the upstream with the identity header set and without Authorization;
// every refusal has the exact status, WWW-Authenticate and JSON body of docs/policy-contract.md
// (the values host-tests/plugin/answers.test.ts asserts in the JS host); the Protected Resource
// Metadata is served at both paths without a token. Each guest answer is also put to the JS test
// host running the same plugin.wasm with the same options, and any difference fails the test.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { HttpWasmHost } from '../host/index.js';
import { makeKey, sign, type TestKey } from '../lib/tokens.js';
import { sendRaw, valuesOfLoose, type HeaderList, type RawRequest } from './lib/client.js';
import { answerDifferences, handleInTwin, startHostTwin } from './lib/host-twin.js';
import {
  GUEST_KEYS_DIR, ISSUER, PRM, RESOURCE, fileKeyOptions, guestFailures, hostRouter, liveClaims, pluginMiddleware,
  service, startE2e, type E2eEnvironment,
} from './lib/mcpauth.js';

const HOST = 'answers.test';
const OPTIONS = fileKeyOptions({ requiredScopes: ['mcp:tools'], allowedEmails: ['@example.com'] });

let env: E2eEnvironment;
let twin: HttpWasmHost;
let es256: TestKey;
let rs256: TestKey;
let eddsa: TestKey;
let stranger: TestKey; // a key that is in no key set
const sentTokens: string[] = [];

beforeAll(async () => {
  [es256, rs256, eddsa, stranger] = await Promise.all([makeKey('ES256'), makeKey('RS256'), makeKey('EdDSA'), makeKey('ES256')]);
  env = await startE2e({
    name: 'answers',
    keys: [es256, rs256, eddsa],
    dynamicConfig: (echoUrl) => ({
      http: {
        routers: { answers: hostRouter(HOST, ['mcpauth']) },
        middlewares: { mcpauth: pluginMiddleware(OPTIONS) },
        services: { echo: service(echoUrl) },
      },
    }),
  });
  twin = await startHostTwin(OPTIONS, [`${env.keysDir}:${GUEST_KEYS_DIR}:ro`]);
});

afterAll(async () => {
  await env?.stop();
});

async function token(key: TestKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const t = await sign(key, liveClaims(claims), header);
  sentTokens.push(t);
  return t;
}

const bearer = (t: string): HeaderList => [['Authorization', `Bearer ${t}`]];

/** Sends to Traefik; returns the answer and what the upstream received for it. */
async function send(request: Omit<RawRequest, 'host'>) {
  const before = env.echo.requests.length;
  const res = await sendRaw(env.traefik.port, { ...request, host: HOST });
  return { res, upstream: env.echo.requests.slice(before) };
}

/** Sends to Traefik and to the JS host; the guest's answer must be the same in both. */
async function sendBoth(request: Omit<RawRequest, 'host'>) {
  const { res, upstream } = await send(request);
  const inHost = await handleInTwin(twin, { ...request, host: HOST });
  return { res, upstream, differences: answerDifferences(res, inHost) };
}

describe('valid tokens', () => {
  test.each(['ES256', 'RS256', 'EdDSA'])('%s: 200 from the upstream, X-Forwarded-User set once, Authorization removed', async (alg) => {
    const key = { ES256: es256, RS256: rs256, EdDSA: eddsa }[alg]!;
    const t = await token(key);
    const { res, upstream } = await send({ method: 'GET', path: '/mcp?session=1', headers: [...bearer(t), ['Accept', 'text/event-stream']] });
    expect(res.status, res.body).toBe(200);
    expect(upstream).toHaveLength(1);
    const seen = upstream[0];
    expect(seen.method).toBe('GET');
    expect(seen.path).toBe('/mcp?session=1');
    expect(valuesOfLoose(seen.rawHeaders, 'x-forwarded-user')).toEqual(['alice@example.com']);
    expect(valuesOfLoose(seen.rawHeaders, 'authorization')).toEqual([]);
    expect(seen.headers.accept).toBe('text/event-stream');
    // The echo body is the upstream's: Traefik passed the response through unchanged.
    expect(res.json()).toMatchObject({ method: 'GET', path: '/mcp?session=1' });
  });
});

const BASE_401 = `resource_metadata="${PRM}", scope="mcp:tools"`;
const invalid = (reason: string) => `Bearer error="invalid_token", error_description="${reason}", ${BASE_401}`;

interface Refusal {
  name: string;
  headers: () => Promise<HeaderList>;
  status: number;
  wwwAuthenticate: string;
  body: { error: string; error_description: string };
  path?: string;
}

const REFUSALS: Refusal[] = [
  {
    name: 'missing token',
    headers: async () => [],
    status: 401,
    wwwAuthenticate: `Bearer ${BASE_401}`,
    body: { error: 'invalid_token', error_description: 'bearer token required' },
  },
  {
    name: 'another scheme (Basic) counts as no token',
    headers: async () => [['Authorization', 'Basic dXNlcjpwYXNz']],
    status: 401,
    wwwAuthenticate: `Bearer ${BASE_401}`,
    body: { error: 'invalid_token', error_description: 'bearer token required' },
  },
  {
    name: 'malformed token',
    headers: async () => [['Authorization', 'Bearer <script>alert(1)</script>']],
    status: 401,
    wwwAuthenticate: invalid('malformed token'),
    body: { error: 'invalid_token', error_description: 'malformed token' },
  },
  {
    name: 'expired',
    headers: async () => bearer(await token(es256, { exp: Math.floor(Date.now() / 1000) - 3600 })),
    status: 401,
    wwwAuthenticate: invalid('token expired'),
    body: { error: 'invalid_token', error_description: 'token expired' },
  },
  {
    name: 'not yet valid',
    headers: async () => bearer(await token(es256, { nbf: Math.floor(Date.now() / 1000) + 3600 })),
    status: 401,
    wwwAuthenticate: invalid('token not yet valid'),
    body: { error: 'invalid_token', error_description: 'token not yet valid' },
  },
  {
    name: 'wrong issuer',
    headers: async () => bearer(await token(es256, { iss: 'https://evil.example.com' })),
    status: 401,
    wwwAuthenticate: invalid('issuer not trusted'),
    body: { error: 'invalid_token', error_description: 'issuer not trusted' },
  },
  {
    name: 'wrong audience',
    headers: async () => bearer(await token(rs256, { aud: 'https://other.example.com/mcp' })),
    status: 401,
    wwwAuthenticate: invalid('audience not accepted'),
    body: { error: 'invalid_token', error_description: 'audience not accepted' },
  },
  {
    name: 'wrong type',
    headers: async () => bearer(await token(eddsa, {}, { typ: 'JWT' })),
    status: 401,
    wwwAuthenticate: invalid('token type not accepted'),
    body: { error: 'invalid_token', error_description: 'token type not accepted' },
  },
  {
    name: 'unknown kid',
    headers: async () => bearer(await token(stranger)),
    status: 401,
    wwwAuthenticate: invalid('unknown key id'),
    body: { error: 'invalid_token', error_description: 'unknown key id' },
  },
  {
    name: 'known kid, signature by another key',
    headers: async () => bearer(await token({ ...stranger, kid: es256.kid })),
    status: 401,
    wwwAuthenticate: invalid('signature invalid'),
    body: { error: 'invalid_token', error_description: 'signature invalid' },
  },
  {
    name: 'insufficient scope',
    headers: async () => bearer(await token(es256, { scope: 'openid mcp:tools:admin MCP:TOOLS' })),
    status: 403,
    wwwAuthenticate: `Bearer error="insufficient_scope", scope="mcp:tools", resource_metadata="${PRM}", error_description="missing required scope"`,
    body: { error: 'insufficient_scope', error_description: 'missing required scope' },
  },
  {
    name: 'email not allowed',
    headers: async () => bearer(await token(es256, { email: 'mallory@evil.example' })),
    status: 403,
    wwwAuthenticate: `Bearer error="insufficient_scope", error_description="email not allowed", resource_metadata="${PRM}"`,
    body: { error: 'access_denied', error_description: 'email not allowed' },
  },
  {
    name: 'unverified email',
    headers: async () => bearer(await token(es256, { email_verified: false })),
    status: 403,
    wwwAuthenticate: `Bearer error="insufficient_scope", error_description="email not verified", resource_metadata="${PRM}"`,
    body: { error: 'access_denied', error_description: 'email not verified' },
  },
  {
    name: 'Bearer without a token',
    headers: async () => [['Authorization', 'Bearer ']],
    status: 400,
    wwwAuthenticate: `Bearer error="invalid_request", error_description="empty bearer token", resource_metadata="${PRM}"`,
    body: { error: 'invalid_request', error_description: 'empty bearer token' },
  },
];

describe('refusals: exact status, WWW-Authenticate and body; the upstream is never reached', () => {
  test.each(REFUSALS.map((r) => [r.name, r] as const))('%s', async (_name, refusal) => {
    const { res, upstream, differences } = await sendBoth({ method: 'POST', path: refusal.path ?? '/mcp', headers: await refusal.headers(), body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(upstream).toEqual([]);
    expect(res.status, res.body).toBe(refusal.status);
    expect(res.headers['www-authenticate']).toBe(refusal.wwwAuthenticate);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual(refusal.body);
    expect(differences).toEqual([]);
  });

  test('a refusal never echoes the token, in the answer or in Traefik\'s log', async () => {
    const t = await token(es256, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const { res } = await send({ path: '/mcp', headers: bearer(t) });
    expect(res.status).toBe(401);
    const signature = t.split('.')[2];
    expect(JSON.stringify([res.rawHeaders, res.body])).not.toContain(signature);
    expect(env.traefik.logs()).toContain('reason="token expired"');
    expect(env.traefik.logs()).not.toContain(signature);
  });
});

describe('Protected Resource Metadata (RFC 9728)', () => {
  const document = { resource: RESOURCE, authorization_servers: [ISSUER], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] };

  test.each(['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'])('%s: served by the plugin without a token', async (path) => {
    const { res, upstream, differences } = await sendBoth({ path, headers: [['Origin', 'http://localhost:6274']] });
    expect(upstream).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.json()).toEqual(document);
    expect(differences).toEqual([]);
  });

  test('the document is served the same with a (even invalid) token', async () => {
    const { res, upstream } = await send({ path: '/.well-known/oauth-protected-resource/mcp', headers: [['Authorization', 'Bearer not-a-token']] });
    expect(upstream).toEqual([]);
    expect(res.status).toBe(200);
    expect(res.json()).toEqual(document);
  });

  test('HEAD gets the headers only, POST is 405, and the browser preflight is answered 204', async () => {
    for (const [method, status, headers] of [
      ['HEAD', 200, []],
      ['POST', 405, []],
      ['OPTIONS', 204, [['Origin', 'http://localhost:6274'], ['Access-Control-Request-Method', 'GET']]],
    ] as Array<[string, number, HeaderList]>) {
      const { res, upstream, differences } = await sendBoth({ method, path: '/.well-known/oauth-protected-resource/mcp', headers });
      expect(upstream, method).toEqual([]);
      expect(res.status, method).toBe(status);
      if (method !== 'POST') expect(res.body, method).toBe('');
      expect(differences, method).toEqual([]);
    }
  });
});

describe('Traefik itself', () => {
  test('the guest never trapped and Traefik logged no wasm error, stack trace or panic', () => {
    const logs = env.traefik.logs();
    expect(guestFailures(logs)).toEqual({ logLines: [], answers: [] });
    // The guest did run here and logged its decisions through Traefik (the check above is not vacuous).
    expect(logs).toMatch(/mcpauth: deny "POST" "\/mcp" status=401 reason="unknown key id"/);
  });

  test('the comparison with the JS host can fail (control for the empty difference lists above)', async () => {
    const { res } = await send({ path: '/mcp' });
    const otherAnswer = await handleInTwin(twin, { path: '/.well-known/oauth-protected-resource/mcp', host: HOST });
    expect(answerDifferences(res, otherAnswer)).toEqual(expect.arrayContaining([
      'status: Traefik 401, JS host 200',
      expect.stringMatching(/^header www-authenticate: /),
      expect.stringMatching(/^body: /),
    ]));
  });

  test('no tokens in Traefik\'s log', () => {
    const logs = env.traefik.logs();
    const leaked = sentTokens.filter((t) => logs.includes(t.split('.')[2]) || logs.includes(t.split('.')[1]));
    expect(leaked).toEqual([]);
    expect(sentTokens.length).toBeGreaterThan(10);
  });
});
