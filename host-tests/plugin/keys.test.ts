// Keys from a mounted JWKS file (the sidecar's key feed): read through WASI from a Traefik
// settings.mounts directory, re-read on the refresh interval and at once (rate-limited) on an
// unknown kid; a missing or corrupt file keeps the last good keys; the token cache is flushed
// whenever keys change.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { HttpWasmHost } from '../host/index.js';
import { ISSUER, NOW, RESOURCE, baseClaims, jwks, makeKey, sign, type TestKey } from '../lib/tokens.js';
import { bearer, noTrap, startPlugin } from './lib.js';

let dir: string;
let clock: number;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-keys-'));
  clock = NOW;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeKeys(...keys: TestKey[]): Promise<void> {
  await writeFile(path.join(dir, 'jwks.json'), JSON.stringify(jwks(...keys)));
}

async function plugin(refresh = 30): Promise<HttpWasmHost> {
  return startPlugin(
    { resource: RESOURCE, issuers: [{ issuer: ISSUER, jwksFile: '/keys/jwks.json', jwksRefreshSeconds: refresh }] },
    { mounts: [`${dir}:/keys:ro`], now: () => clock * 1000 },
  );
}

async function status(p: HttpWasmHost, token: string): Promise<number> {
  return noTrap(await p.handle({ uri: '/mcp', headers: bearer(token) })).status;
}

const claims = () => baseClaims({ exp: clock + 600, iat: clock });

describe('jwksFile', () => {
  test('keys are read from the mount', async () => {
    const k = await makeKey('RS256');
    await writeKeys(k);
    const p = await plugin();
    expect(await status(p, await sign(k, claims()))).toBe(200);
    expect(p.logs.map((l) => l.message).join('\n')).toContain('loaded 1 key(s) from /keys/jwks.json');
  });

  test('a new kid works at once (unknown-kid reload), a removed key stops after the refresh interval', async () => {
    const oldKey = await makeKey('ES256');
    const newKey = await makeKey('ES256');
    await writeKeys(oldKey);
    const p = await plugin(30);
    const oldToken = await sign(oldKey, claims());
    expect(await status(p, oldToken)).toBe(200);
    await writeKeys(newKey);
    // New kid: the plugin re-reads the file on the unknown kid.
    expect(await status(p, await sign(newKey, claims()))).toBe(200);
    // The old token was cached, but keys changed: the cache was flushed and the old key is gone.
    expect(await status(p, oldToken)).toBe(401);
  });

  test('a removed key keeps working from cache only until the refresh interval, then 401', async () => {
    const a = await makeKey('EdDSA');
    const b = await makeKey('EdDSA');
    await writeKeys(a, b);
    const p = await plugin(30);
    const tokenA = await sign(a, claims());
    expect(await status(p, tokenA)).toBe(200);
    await writeKeys(b);
    clock += 29;
    expect(await status(p, tokenA)).toBe(200); // within the refresh interval
    clock += 2;
    expect(await status(p, tokenA)).toBe(401);
  });

  test('unknown-kid reloads are rate-limited: a flood of made-up kids reads the file once per 5 s', async () => {
    const k = await makeKey('EdDSA');
    await writeKeys(k);
    const p = await plugin(3600);
    const later = await makeKey('EdDSA');
    expect(await status(p, await sign(k, claims()))).toBe(200); // first request: initial load
    const before = p.logs.length;
    for (let i = 0; i < 50; i++) expect(await status(p, await sign(await makeKeyLike(k, `fake-${i}`), claims()))).toBe(401);
    // The real new key appears in the file, but the last forced reload was less than 5 s ago.
    await writeKeys(k, later);
    expect(await status(p, await sign(later, claims()))).toBe(401);
    clock += 5;
    expect(await status(p, await sign(later, claims()))).toBe(200);
    const loads = p.logs.slice(before).filter((l) => l.message.includes('loaded'));
    expect(loads.length).toBe(1);
  });

  test('a corrupt or missing file keeps the last good keys and logs each problem once', async () => {
    const k = await makeKey('RS256');
    await writeKeys(k);
    const p = await plugin(10);
    const t = await sign(k, claims());
    expect(await status(p, t)).toBe(200);
    await writeFile(path.join(dir, 'jwks.json'), '{"keys": [ {"kty": "RSA", "n": ');
    for (let i = 0; i < 3; i++) {
      clock += 11;
      expect(await status(p, await sign(k, claims()))).toBe(200);
    }
    await writeFile(path.join(dir, 'jwks.json'), '["not", "a", "key set"]');
    clock += 11;
    expect(await status(p, await sign(k, claims()))).toBe(200);
    await rm(path.join(dir, 'jwks.json'));
    clock += 11;
    expect(await status(p, await sign(k, claims()))).toBe(200);
    const problems = p.logs.filter((l) => l.levelName === 'error').map((l) => l.message);
    expect(problems.length).toBe(3);
    expect(problems[0]).toContain('not valid JSON');
    expect(problems[1]).toContain('JWKS must be a JSON object');
    expect(problems[2]).toMatch(/ENOENT|no such file/i);
    expect(problems.every((m) => m.includes('keeping the last good keys'))).toBe(true);
  });

  test('an instance idle for over 5 minutes when the file broke drops its file keys instead of resurrecting revoked ones', async () => {
    // Traefik pools instances; an idle one may still hold keys the file revoked in the meantime.
    const a = await makeKey('EdDSA');
    const b = await makeKey('EdDSA');
    await writeKeys(a, b);
    const p = await plugin(10);
    expect(await status(p, await sign(a, claims()))).toBe(200); // confirmed [a, b] at NOW
    // Elsewhere, a was revoked and later the file broke; this instance saw neither.
    await writeFile(path.join(dir, 'jwks.json'), 'garbage');
    clock += 301; // past max(2 x jwksRefreshSeconds, 300 s) since this instance last confirmed its keys
    expect(await status(p, await sign(a, claims()))).toBe(401);
    expect(await status(p, await sign(b, claims()))).toBe(401);
    const log = p.logs.map((l) => l.message).join('\n');
    expect(log).toContain('dropping this file\'s keys');
    // Once the file is good again, its keys are trusted again.
    await writeKeys(b);
    clock += 11;
    expect(await status(p, await sign(b, claims()))).toBe(200);
    expect(await status(p, await sign(a, claims()))).toBe(401);
  });

  test('a key set emptied on purpose revokes the file keys (how an operator drops a leaked key)', async () => {
    const k = await makeKey('ES256');
    await writeKeys(k);
    const p = await plugin(10);
    const t = await sign(k, claims());
    expect(await status(p, t)).toBe(200);
    await writeFile(path.join(dir, 'jwks.json'), '{"keys": []}');
    clock += 11;
    expect(await status(p, t)).toBe(401);
    expect(p.logs.map((l) => l.message).join('\n')).toContain('no key of this file is trusted now');
  });

  test('a file missing at start is logged; requests get 401 until it appears', async () => {
    const k = await makeKey('ES256');
    const p = await plugin(1);
    expect(await status(p, await sign(k, claims()))).toBe(401);
    await writeKeys(k);
    clock += 1;
    expect(await status(p, await sign(k, claims()))).toBe(200);
  });

  test('inline keys and file keys work side by side', async () => {
    const inline = await makeKey('ES256');
    const fileKey = await makeKey('RS256');
    await writeKeys(fileKey);
    const p = await startPlugin(
      { resource: RESOURCE, issuers: [{ issuer: ISSUER, jwks: jwks(inline), jwksFile: '/keys/jwks.json' }] },
      { mounts: [`${dir}:/keys:ro`], now: () => clock * 1000 },
    );
    expect(await status(p, await sign(inline, claims()))).toBe(200);
    expect(await status(p, await sign(fileKey, claims()))).toBe(200);
  });
});

/** A key with the given kid (made up: not in any file). */
async function makeKeyLike(k: TestKey, kid: string): Promise<TestKey> {
  return { ...k, kid };
}
