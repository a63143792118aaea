// Identity headers for the upstream: every incoming copy and spelling is removed on every path,
// then exactly one trusted value is set; the client's token does not travel upstream.
import { beforeAll, describe, expect, test } from 'vitest';
import type { HttpWasmHost } from '../host/index.js';
import { baseClaims, makeKey, pluginOptions, sign, type TestKey } from '../lib/tokens.js';
import { noTrap, startPlugin } from './lib.js';

let key: TestKey;
let host: HttpWasmHost;
let token: string;

const SPOOFS: Array<[string, string]> = [
  ['X-Forwarded-User', 'admin@example.com'],
  ['x-forwarded-user', 'admin2@example.com'],
  ['X-FORWARDED-USER', 'admin3@example.com'],
  ['X_Forwarded_User', 'admin4@example.com'],
  ['x_forwarded_user', 'admin5@example.com'],
  ['X-Forwarded_User', 'admin6@example.com'],
  ['X-Forwarded-User', 'admin7@example.com'],
];

beforeAll(async () => {
  key = await makeKey('EdDSA');
  host = await startPlugin(pluginOptions([key], { publicPaths: ['/public'] }));
  token = await sign(key, baseClaims());
});

function upstreamHeaders(res: Awaited<ReturnType<HttpWasmHost['handle']>>): Array<[string, string]> {
  expect(res.next).toBe(true);
  return res.upstreamRequest!.headers;
}

describe('identity headers', () => {
  test('valid token: spoofed copies in every spelling removed, one trusted X-Forwarded-User set', async () => {
    const res = noTrap(await host.handle({ uri: '/mcp', headers: [['Authorization', `Bearer ${token}`], ...SPOOFS] }));
    const headers = upstreamHeaders(res);
    const identity = headers.filter(([k]) => k.replace(/_/g, '-') === 'x-forwarded-user');
    expect(identity).toEqual([['x-forwarded-user', 'alice@example.com']]);
  });

  test('public path: spoofed identity removed, none set', async () => {
    const res = noTrap(await host.handle({ uri: '/public/info', headers: SPOOFS }));
    const headers = upstreamHeaders(res);
    expect(headers.filter(([k]) => k.replace(/_/g, '-') === 'x-forwarded-user')).toEqual([]);
  });

  test('CORS preflight: spoofed identity removed', async () => {
    const res = noTrap(await host.handle({ method: 'OPTIONS', uri: '/mcp', headers: [['Access-Control-Request-Method', 'POST'], ...SPOOFS] }));
    expect(upstreamHeaders(res).filter(([k]) => k.replace(/_/g, '-') === 'x-forwarded-user')).toEqual([]);
  });

  test('the user header falls back to the subject when the token has no email', async () => {
    const res = noTrap(await host.handle({ uri: '/mcp', headers: [['Authorization', `Bearer ${await sign(key, baseClaims({ email: undefined }))}`]] }));
    expect(res.upstreamRequest?.header('x-forwarded-user')).toBe('user-123');
  });

  test('configured forwardHeaders are stripped when spoofed and set from the token', async () => {
    const p = await startPlugin(pluginOptions([key], {
      forwardHeaders: { user: 'X-Auth-User', email: 'X-Auth-Email', subject: 'X-Auth-Subject', scopes: 'X-Auth-Scopes', clientId: 'X-Auth-Client' },
    }));
    const res = noTrap(await p.handle({
      uri: '/mcp',
      headers: [
        ['Authorization', `Bearer ${token}`],
        ['X-Auth-User', 'evil'], ['x_auth_email', 'evil'], ['X-AUTH-SUBJECT', 'evil'], ['X-Auth-Scopes', 'admin'],
        ['X_Auth_Client', 'evil'], ['X-Auth-Client', 'evil'], ['X-Forwarded-User', 'evil'],
      ],
    }));
    const h = Object.fromEntries(upstreamHeaders(res).filter(([k]) => k.startsWith('x-auth') || k.startsWith('x_auth') || k === 'x-forwarded-user'));
    expect(h).toEqual({
      'x-auth-user': 'alice@example.com',
      'x-auth-email': 'alice@example.com',
      'x-auth-subject': 'user-123',
      'x-auth-scopes': 'mcp:tools openid',
      'x-auth-client': 'client-abc',
    });
    expect(res.upstreamRequest!.headerValues('x-auth-client')).toEqual(['client-abc']);
  });
});

describe('Authorization does not travel upstream', () => {
  test('removed by default (no token passthrough)', async () => {
    const res = noTrap(await host.handle({ uri: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }));
    expect(res.upstreamRequest?.header('authorization')).toBeUndefined();
  });

  test('removed on public paths too', async () => {
    const res = noTrap(await host.handle({ uri: '/public', headers: [['Authorization', 'Bearer whatever']] }));
    expect(res.upstreamRequest?.header('authorization')).toBeUndefined();
  });

  test('kept when stripAuthorization is false', async () => {
    const p = await startPlugin(pluginOptions([key], { stripAuthorization: false }));
    const res = noTrap(await p.handle({ uri: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }));
    expect(res.upstreamRequest?.header('authorization')).toBe(`Bearer ${token}`);
  });

  test('other request headers, method, path and query pass unchanged', async () => {
    const res = noTrap(await host.handle({
      method: 'POST', uri: '/mcp?session=1', body: '{"jsonrpc":"2.0"}',
      headers: [['Authorization', `Bearer ${token}`], ['Mcp-Session-Id', 'abc'], ['Content-Type', 'application/json'], ['Accept', 'application/json, text/event-stream']],
    }));
    const up = res.upstreamRequest!;
    expect(up.method).toBe('POST');
    expect(up.uri).toBe('/mcp?session=1');
    expect(up.header('mcp-session-id')).toBe('abc');
    expect(up.header('accept')).toBe('application/json, text/event-stream');
    expect(up.body.toString()).toBe('{"jsonrpc":"2.0"}');
  });
});

describe('decision log', () => {
  test('denials are logged with the reason, allows at debug with subject and client id, never the token', async () => {
    const p = await startPlugin(pluginOptions([key], { logLevel: 0 }));
    const bad = await sign(key, baseClaims({ aud: 'https://other.example' }));
    noTrap(await p.handle({ uri: '/mcp', headers: [['Authorization', `Bearer ${bad}`]] }));
    noTrap(await p.handle({ uri: '/mcp?access_token=abc.def.ghi', headers: [['Authorization', `Bearer ${token}`]] }));
    noTrap(await p.handle({ uri: '/mcp', headers: [['Authorization', `Bearer ${token}`]] }));
    const lines = p.logs.map((l) => `${l.levelName} ${l.message}`);
    expect(lines).toContain('info mcpauth: deny "GET" "/mcp" status=401 reason="audience not accepted"');
    expect(lines).toContain('info mcpauth: deny "GET" "/mcp" status=400 reason="token given in both the header and the query"');
    expect(lines).toContain('debug mcpauth: allow "GET" "/mcp" status=- reason="token valid" sub="user-123" client_id="client-abc"');
    const all = lines.join('\n');
    for (const secret of [bad, token, 'abc.def.ghi', token.split('.')[2], bad.split('.')[2]]) expect(all).not.toContain(secret);
  });

  test('logLevel 2 logs no decisions', async () => {
    const p = await startPlugin(pluginOptions([key], { logLevel: 2 }));
    noTrap(await p.handle({ uri: '/mcp' }));
    expect(p.logs.filter((l) => l.message.includes('deny'))).toEqual([]);
  });
});
