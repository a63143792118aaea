// The verified-token cache: hits are re-checked for expiry, only verified tokens are stored, and
// the cache stays bounded in entries and bytes.
import { expect, test } from 'vitest';
import { loadHarness } from '../lib/harness.js';
import { NOW, baseClaims, makeKey, pluginOptions, sign } from '../lib/tokens.js';
import { bearer, noTrap, startPlugin } from './lib.js';
import type { GuestRequest } from '../host/index.js';

test('a cached token is refused once it expires (expiry re-checked on every hit)', async () => {
  const key = await makeKey('EdDSA');
  let clock = NOW;
  const p = await startPlugin(pluginOptions([key], { logLevel: 0 }), { now: () => clock * 1000 });
  const token = await sign(key, baseClaims({ exp: NOW + 100 }));
  expect(noTrap(await p.handle({ uri: '/mcp', headers: bearer(token) })).status).toBe(200);
  expect(noTrap(await p.handle({ uri: '/mcp', headers: bearer(token) })).status).toBe(200);
  expect(p.logs.filter((l) => l.message.includes('cached=true')).length).toBe(1);
  clock = NOW + 100 + 60; // exp + leeway: expired at the boundary
  const res = noTrap(await p.handle({ uri: '/mcp', headers: bearer(token) }));
  expect(res.status).toBe(401);
  expect(res.json().error_description).toBe('token expired');
});

test('only verified tokens are cached: a token failing policy is re-verified, never served from cache', async () => {
  const key = await makeKey('EdDSA');
  const p = await startPlugin(pluginOptions([key], { requiredScopes: ['mcp:tools'], logLevel: 0 }));
  const forged = (await sign(key, baseClaims())).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
  for (let i = 0; i < 3; i++) expect(noTrap(await p.handle({ uri: '/mcp', headers: bearer(forged) })).status).toBe(401);
  expect(p.logs.filter((l) => l.message.includes('cached=true')).length).toBe(0);
});

test('the cache is bounded in entries and bytes across thousands of distinct tokens', async () => {
  const h = await loadHarness<{
    configure(o: string): string; decideRequest(m: string, u: string, a: string, acc: string, pre: boolean, now: number): string;
    cacheSize(): number; cacheBytes(): number;
  }>('jwt');
  const key = await makeKey('EdDSA');
  expect(h.configure(JSON.stringify(pluginOptions([key])))).toBe('');
  let maxSize = 0;
  let maxBytes = 0;
  for (let i = 0; i < 2000; i++) {
    const token = await sign(key, baseClaims({ n: i, pad: 'x'.repeat(i % 700) }));
    const d = JSON.parse(h.decideRequest('GET', '/mcp', `Bearer ${token}`, '', false, NOW));
    expect(d.outcome).toBe('allow');
    maxSize = Math.max(maxSize, h.cacheSize());
    maxBytes = Math.max(maxBytes, h.cacheBytes());
  }
  expect(maxSize).toBeLessThanOrEqual(256);
  expect(maxBytes).toBeLessThanOrEqual(256 * 1024);
  expect(maxSize).toBeGreaterThan(50); // it did cache
});

// The cache is keyed on the token's bytes as the host wrote them (the plugin reads the common
// `Bearer <token>` shape in place); every other spelling of the header goes through the general
// reader and must land on the same entry.
test('a cached token hits whatever spelling of the header carries it; one changed byte misses', async () => {
  const key = await makeKey('ES256');
  const p = await startPlugin(pluginOptions([key], { logLevel: 0 }));
  const token = await sign(key, baseClaims());
  const cachedCount = (): number => p.logs.filter((l) => l.message.includes('cached=true')).length;
  expect(noTrap(await p.handle({ uri: '/mcp', headers: [['Authorization', `Bearer ${token}`]] })).status).toBe(200);
  expect(cachedCount()).toBe(0);
  let expected = 0;
  for (const value of [`Bearer ${token}`, `bearer ${token}`, `BEARER   ${token}`, ` Bearer ${token}\t`]) {
    const res = noTrap(await p.handle({ uri: '/mcp', headers: [['Authorization', value]] }));
    expect(res.status, value.slice(0, 12)).toBe(200);
    expect(cachedCount()).toBe(++expected);
  }
  // Same length, last byte of the signature changed: a miss, verified, refused.
  const tampered = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  const res = noTrap(await p.handle({ uri: '/mcp', headers: bearer(tampered) }));
  expect(res.status).toBe(401);
  expect(cachedCount()).toBe(expected);
});

test('a token the policy refuses is refused again on every cached hit (the remembered verdict)', async () => {
  const key = await makeKey('EdDSA');
  const p = await startPlugin(pluginOptions([key], { requiredScopes: ['mcp:admin'], allowedEmails: ['@example.com'], logLevel: 0 }));
  const lacksScope = await sign(key, baseClaims({ scope: 'mcp:tools' }));
  const otherDomain = await sign(key, baseClaims({ scope: 'mcp:admin', email: 'eve@evil.example' }));
  for (let i = 0; i < 3; i++) {
    const a = noTrap(await p.handle({ uri: '/mcp', headers: bearer(lacksScope) }));
    expect(a.status).toBe(403);
    expect(a.json().error).toBe('insufficient_scope');
    const b = noTrap(await p.handle({ uri: '/mcp', headers: bearer(otherDomain) }));
    expect(b.status).toBe(403);
    expect(b.json().error_description).toBe('email not allowed');
  }
});

// What a cache hit costs in host calls (each is a trip through wazero in Traefik). Accept and
// Origin are not asked for: the header-name list already says whether Origin or a preflight
// header is there, and Accept only matters for the login redirect.
test('a cache hit makes seven host calls: clock, method, URI, Authorization, header names, strip, identity', async () => {
  const key = await makeKey('EdDSA');
  const calls: string[] = [];
  const p = await startPlugin(pluginOptions([key]), { onHostCall: (name) => calls.push(name) });
  const token = await sign(key, baseClaims());
  const headers: GuestRequest['headers'] = [['Authorization', `Bearer ${token}`], ['Accept', 'application/json, text/event-stream'], ['X-Real-Ip', '127.0.0.1']];
  expect(noTrap(await p.handle({ uri: '/mcp', headers })).status).toBe(200);
  calls.length = 0;
  const res = noTrap(await p.handle({ uri: '/mcp', headers }));
  expect(res.status).toBe(200);
  expect(calls.sort()).toEqual([
    'http_handler.get_header_names', 'http_handler.get_header_values', 'http_handler.get_method', 'http_handler.get_uri',
    'http_handler.remove_header', 'http_handler.set_header_value', 'wasi_snapshot_preview1.clock_time_get',
  ]);
});
