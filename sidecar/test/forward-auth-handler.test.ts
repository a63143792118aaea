/**
 * The forwardAuth HTTP endpoint as Traefik calls it: original headers plus X-Forwarded-*;
 * 200 with identity headers, or the contract's status/WWW-Authenticate/JSON body. Keys from a
 * JWKS file are re-read on an unknown kid (rate-limited) and on their refresh interval; logs
 * carry decisions but never tokens.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createForwardAuthHandler, FORWARD_AUTH_MAX_HEADER_BYTES, type ForwardAuthOptions } from '../src/forward-auth/handler.js';
import type { KeySource } from '../src/forward-auth/key-source.js';
import { writeJwksFileAtomic } from '../src/keys/jwks-file.js';
import type { LoggerLike } from '../src/policy/logger.js';
import type { PolicyConfig } from '../src/policy/types.js';
import { ISS, NOW, PRM, RESOURCE, keys, makePolicy, token } from './lib/fa-fixture.js';
import { makeKey } from './lib/tokens.js';
import { loadPolicy } from '../src/policy/load.js';

interface LogLine {
  level: string;
  obj: unknown;
  msg?: string;
}

let server: Server | undefined;
let base: string;
let logs: LogLine[];
let dir: string;
let nowMs: number;

const log: LoggerLike = {
  debug: (obj, msg) => void logs.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => void logs.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => void logs.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => void logs.push({ level: 'error', obj, msg }),
};

async function serve(policy: PolicyConfig, opts: ForwardAuthOptions = {}): Promise<void> {
  const handler = createForwardAuthHandler(policy, log, { now: () => nowMs, ...opts });
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** A forwardAuth request shaped like Traefik's. */
function ask(uri: string, headers: Record<string, string> = {}, method = 'GET') {
  return fetch(`${base}/auth`, {
    headers: {
      'X-Forwarded-Method': method,
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'mcp.example.com',
      'X-Forwarded-Uri': uri,
      'X-Forwarded-For': '203.0.113.7',
      ...headers,
    },
  });
}

beforeEach(async () => {
  logs = [];
  nowMs = NOW * 1000;
  dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-fa-'));
});

afterEach(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
  }
  await rm(dir, { recursive: true, force: true });
});

describe('answers', () => {
  it('200 with X-Forwarded-User (the email) and the other configured identity headers', async () => {
    await serve(makePolicy({ forwardHeaders: { email: 'X-Forwarded-Email', subject: 'X-Forwarded-Subject', scopes: 'X-Forwarded-Scopes', clientId: 'X-Forwarded-Client-Id' } }));
    const res = await ask('/mcp', { Authorization: `Bearer ${token()}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-forwarded-user')).toBe('alice@example.com');
    expect(res.headers.get('x-forwarded-email')).toBe('alice@example.com');
    expect(res.headers.get('x-forwarded-subject')).toBe('user-123');
    expect(res.headers.get('x-forwarded-scopes')).toBe('openid mcp:tools');
    expect(res.headers.get('x-forwarded-client-id')).toBe('client-abc');
    expect(res.headers.get('authorization')).toBeNull();
    expect(await res.text()).toBe('');
  });

  it('X-Forwarded-User is the subject when there is no email; a token with unsafe values is refused', async () => {
    await serve(makePolicy({ forwardHeaders: { subject: 'X-Sub' } }));
    let res = await ask('/mcp', { Authorization: `Bearer ${token({ email: undefined })}` });
    expect(res.headers.get('x-forwarded-user')).toBe('user-123');
    // any email-shaped or not: the claim is forwarded as it is (the allowlist is what judges addresses)
    res = await ask('/mcp', { Authorization: `Bearer ${token({ email: 'not an address' })}` });
    expect(res.headers.get('x-forwarded-user')).toBe('not an address');
    for (const claims of [{ email: 'a@b.c\r\nX-Admin: 1' }, { sub: 'x\r\nX-Admin: 1' }, { sub: 'J\u00fcrgen' }, { client_id: 'c\u0000' }]) {
      res = await ask('/mcp', { Authorization: `Bearer ${token(claims)}` });
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'malformed token claims' });
      expect(res.headers.get('x-admin')).toBeNull();
      expect(res.headers.get('x-forwarded-user')).toBeNull();
    }
  });

  it('refusals of a cross-origin request carry CORS headers', async () => {
    await serve(makePolicy());
    const res = await ask('/mcp', { Origin: 'https://inspector.example' });
    expect(res.status).toBe(401);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe('WWW-Authenticate');
  });

  it('the metadata document is answered with the plugin\'s headers (and its preflight with 204)', async () => {
    await serve(makePolicy());
    const res = await ask('/.well-known/oauth-protected-resource/mcp');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await res.json()).toEqual({ resource: RESOURCE, authorization_servers: [ISS], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] });
    expect((await ask('/.well-known/oauth-protected-resource/mcp', {}, 'OPTIONS')).status).toBe(204);
    expect((await ask('/.well-known/oauth-protected-resource/mcp', {}, 'DELETE')).status).toBe(405);
  });

  it('request heads as large as Traefik forwards reach the decision (414, token too large) with a large maxHeaderSize', async () => {
    const handler = createForwardAuthHandler(makePolicy(), log, { now: () => nowMs });
    server = createServer({ maxHeaderSize: FORWARD_AUTH_MAX_HEADER_BYTES }, handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const long = await ask(`/mcp?x=${'a'.repeat(64 * 1024)}`);
    expect(long.status).toBe(414);
    expect(await long.json()).toEqual({ error: 'invalid_request', error_description: 'request URI too long' });
    const big = await ask('/mcp', { Authorization: `Bearer ${'a'.repeat(20_000)}` });
    expect(big.status).toBe(401);
    expect((await big.json()).error_description).toBe('token too large');
  });

  it('with allowQueryToken it warns at start that the query token reaches the upstream (forwardAuth cannot rewrite the URI)', async () => {
    await serve(makePolicy({ allowQueryToken: true }));
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual(['forwardAuth cannot take a query token out of the URI the upstream receives; prefer the Authorization header']);
    server!.closeAllConnections();
    await new Promise((r) => server!.close(r));
    logs = [];
    await serve(makePolicy({ allowQueryToken: true, stripAuthorization: false }));
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('stripAuthorization: false hands the Authorization header back for authResponseHeaders', async () => {
    await serve(makePolicy({ stripAuthorization: false }));
    const t = token();
    const res = await ask('/mcp', { Authorization: `Bearer ${t}` });
    expect(res.headers.get('authorization')).toBe(`Bearer ${t}`);
  });

  it('401 with WWW-Authenticate and a no-store JSON body', async () => {
    await serve(makePolicy());
    const res = await ask('/mcp', { Authorization: `Bearer ${token({ aud: 'https://elsewhere' })}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="audience not accepted", resource_metadata="${PRM}", scope="mcp:tools"`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ error: 'invalid_token', error_description: 'audience not accepted' });
  });

  it('403 for a missing scope, 403 access_denied for the allowlist', async () => {
    await serve(makePolicy({ allowedEmails: ['bob@example.com'] }));
    let res = await ask('/mcp', { Authorization: `Bearer ${token({ scope: 'openid' })}` });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'insufficient_scope', error_description: 'missing required scope' });
    res = await ask('/mcp', { Authorization: `Bearer ${token()}` });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'access_denied', error_description: 'email not allowed' });
  });

  it('the path comes from X-Forwarded-Uri, not from the auth request URL', async () => {
    await serve(makePolicy({ publicPaths: ['/health'], protectedPaths: ['/mcp'] }));
    expect((await ask('/health')).status).toBe(200);
    expect((await ask('/mcp')).status).toBe(401);
    expect((await ask('/health/../mcp')).status).toBe(401);
    const res = await fetch(`${base}/health`); // no X-Forwarded-Uri at all
    expect(res.status).toBe(401);
  });

  it('a browser GET without a token is redirected when loginRedirect is set (per X-Forwarded-Method)', async () => {
    await serve(makePolicy({ loginRedirect: 'https://auth.example.com/login' }));
    const res = await fetch(`${base}/auth`, { redirect: 'manual', headers: { 'X-Forwarded-Uri': '/mcp', 'X-Forwarded-Method': 'GET', Accept: 'text/html' } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://auth.example.com/login');
    const post = await fetch(`${base}/auth`, { redirect: 'manual', headers: { 'X-Forwarded-Uri': '/mcp', 'X-Forwarded-Method': 'POST', Accept: 'text/html' } });
    expect(post.status).toBe(401);
  });
});

describe('raw HTTP edge cases', () => {
  function rawRequest(lines: string[]): Promise<string> {
    const { port } = server!.address() as { port: number };
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (c) => (data += c.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
      socket.write(`${lines.join('\r\n')}\r\n\r\n`);
    });
  }

  it('two Authorization headers (Node would keep only the first in req.headers) are 400', async () => {
    await serve(makePolicy());
    const t = token();
    const response = await rawRequest([
      'GET /auth HTTP/1.1',
      'Host: sidecar',
      'X-Forwarded-Uri: /mcp',
      `Authorization: Bearer ${t}`,
      `authorization: Bearer ${t}`,
      'Connection: close',
    ]);
    expect(response).toMatch(/^HTTP\/1\.1 400 /);
    expect(response).toContain('"error_description":"more than one Authorization header"');
  });

  it('two X-Forwarded-Uri headers make the path unknown: a token is required', async () => {
    await serve(makePolicy({ publicPaths: ['/health'] }));
    const response = await rawRequest(['GET /auth HTTP/1.1', 'Host: sidecar', 'X-Forwarded-Uri: /health', 'X-Forwarded-Uri: /mcp', 'Connection: close']);
    expect(response).toMatch(/^HTTP\/1\.1 401 /);
  });
});

describe('logging', () => {
  it('logs decisions with reason, subject and client id, never the token', async () => {
    const decisions: string[] = [];
    await serve(makePolicy({ allowQueryToken: true }), { onDecision: (d) => decisions.push(`${d.status} ${d.reason}`) });
    const good = token();
    const expired = token({ exp: NOW - 3600 });
    await ask('/mcp', { Authorization: `Bearer ${good}` });
    await ask('/mcp', { Authorization: `Bearer ${expired}` });
    await ask(`/mcp?access_token=${good}`);
    await ask('/mcp', { Authorization: `Bearer ${good}x` });

    expect(decisions).toEqual(['200 token valid', '401 token expired', '200 token valid', '401 malformed token']);
    const allow = logs.find((l) => (l.obj as { decision?: string }).decision === 'allow');
    expect(allow).toMatchObject({ level: 'debug', obj: { status: 200, reason: 'token valid', sub: 'user-123', client_id: 'client-abc', iss: ISS, path: '/mcp' } });
    const deny = logs.find((l) => (l.obj as { decision?: string }).decision === 'deny');
    expect(deny).toMatchObject({ level: 'info', obj: { status: 401, reason: 'token expired', path: '/mcp' } });
    // a refused token names no caller (as in the plugin's log); a 403 does
    expect(deny!.obj).not.toHaveProperty('sub');

    const text = JSON.stringify(logs);
    for (const t of [good, expired]) for (const part of t.split('.')) expect(text).not.toContain(part);
    expect(text).not.toContain('access_token');
  });

  it('an internal failure is a 500 server_error, logged', async () => {
    const broken: KeySource = {
      keysFor: () => {
        throw new Error('boom');
      },
      refreshIfDue: async () => {},
      reloadForUnknownKid: async () => false,
    };
    await serve(makePolicy(), { keySource: broken });
    const res = await ask('/mcp', { Authorization: `Bearer ${token()}` });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'server_error', error_description: 'internal error' });
    expect(logs.some((l) => l.level === 'error')).toBe(true);
  });
});

describe('keys from a JWKS file', () => {
  const file = () => path.join(dir, 'jwks.json');
  const filePolicy = (refresh = 30) => loadPolicy({ resource: RESOURCE, issuers: [{ issuer: ISS, jwksFile: file(), jwksRefreshSeconds: refresh }], requiredScopes: ['mcp:tools'] });
  const status = async (tok: string) => (await ask('/mcp', { Authorization: `Bearer ${tok}` })).status;

  it('loads the file, and picks up a rotated key at once on its unknown kid', async () => {
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk] });
    await serve(filePolicy(3600));
    expect(await status(token())).toBe(200);

    const next = makeKey('ES256', 'rotated');
    await writeJwksFileAtomic(file(), { keys: [next.jwk, keys.rsa.jwk] });
    nowMs += 5000; // well within the 1 h refresh interval
    expect(await status(token({}, { key: next }))).toBe(200);
  });

  it('unknown-kid reloads are rate-limited to one every 5 seconds (the plugin\'s interval)', async () => {
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk] });
    await serve(filePolicy(3600));
    expect(await status(token())).toBe(200);
    const stranger = makeKey('RS256', 'stranger');
    nowMs += 5000;
    expect(await status(token({}, { key: stranger }))).toBe(401); // this one triggered a reload
    // the key appears right after; within the next 5 seconds no new reload happens
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk, stranger.jwk] });
    nowMs += 4999;
    expect(await status(token({}, { key: stranger }))).toBe(401);
    nowMs += 1;
    expect(await status(token({}, { key: stranger }))).toBe(200);
  });

  it('re-reads the file after jwksRefreshSeconds: a removed key stops working', async () => {
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk, keys.ec.jwk] });
    await serve(filePolicy(30));
    expect(await status(token({}, { key: keys.ec }))).toBe(200);
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk] });
    nowMs += 29_000;
    expect(await status(token({}, { key: keys.ec }))).toBe(200); // cached until the interval passes
    nowMs += 1_000;
    expect(await status(token({}, { key: keys.ec }))).toBe(401);
    expect(await status(token())).toBe(200);
  });

  it('a broken or vanished file keeps the last good keys, and says so', async () => {
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk] });
    await serve(filePolicy(1));
    expect(await status(token())).toBe(200);
    await writeFile(file(), '{"keys": [');
    nowMs += 2000;
    expect(await status(token())).toBe(200);
    await rm(file());
    nowMs += 2000;
    expect(await status(token())).toBe(200);
    const warnings = logs.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings).toEqual([
      expect.stringMatching(/^JWKS file not valid JSON \(unexpected end of input at 10\); keeping last good keys$/),
      'JWKS file unreadable (ENOENT); keeping last good keys',
    ]);
  });

  it('a key set without usable keys is authoritative: emptying the file revokes its keys', async () => {
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk] });
    await serve(filePolicy(1));
    expect(await status(token())).toBe(200);
    await writeFile(file(), '{"keys": []}');
    nowMs += 2000;
    expect(await status(token())).toBe(401);
    expect(logs.some((l) => l.msg === 'JWKS file holds no usable key: no key of this file is trusted now')).toBe(true);
    // content that is no key set at all keeps the last keys
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk] });
    nowMs += 2000;
    expect(await status(token())).toBe(200);
    await writeFile(file(), '{"nokeys": true}');
    nowMs += 2000;
    expect(await status(token())).toBe(200);
  });

  it('a file that appears after start is used as soon as a token needs it (after the reload interval)', async () => {
    await serve(filePolicy(3600));
    expect(await status(token())).toBe(401);
    await writeJwksFileAtomic(file(), { keys: [keys.rsa.jwk] });
    nowMs += 5000;
    expect(await status(token())).toBe(200);
  });

  it('unusable keys in the file are skipped with a warning; private members are ignored, not repeated', async () => {
    const weak = makeKey('RS256', 'weak', { modulusLength: 1024 });
    await writeFile(file(), JSON.stringify({ keys: [weak.jwk, { ...keys.ec.jwk, d: 'AAAA' }, keys.rsa.jwk] }));
    await serve(filePolicy());
    expect(await status(token())).toBe(200);
    expect(await status(token({}, { key: keys.ec }))).toBe(200);
    expect(await status(token({}, { key: weak }))).toBe(401);
    expect(logs.find((l) => l.msg === 'JWKS file: some keys skipped')).toBeDefined();
    expect(JSON.stringify(logs)).not.toContain('AAAA');
  });
});
