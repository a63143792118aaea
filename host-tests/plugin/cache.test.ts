// The verified-token cache: hits are re-checked for expiry, only verified tokens are stored, and
// the cache stays bounded in entries and bytes.
import { expect, test } from 'vitest';
import { loadHarness } from '../lib/harness.js';
import { NOW, baseClaims, makeKey, pluginOptions, sign } from '../lib/tokens.js';
import { bearer, noTrap, startPlugin } from './lib.js';

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
