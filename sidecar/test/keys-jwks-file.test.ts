/**
 * The key feed: atomic JWKS file writes, the upstream refresh schedule (Cache-Control, backoff,
 * last good keys), never any private key material, and the Traefik snippet with inline keys.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { exportJWK, generateKeyPair, generateSecret } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startJwksFeed, traefikDynamicSnippet, writeJwksFileAtomic } from '../src/keys/jwks-file.js';
import { BACKOFF_MAX_MS } from '../src/keys/jwks-file.js';
import { refreshDelaySeconds } from '../src/keys/cache-control.js';
import { loadPolicy } from '../src/policy/load.js';
import type { LoggerLike } from '../src/policy/logger.js';
import type { JWK } from '../src/policy/types.js';
import { parseMiniYaml } from './lib/mini-yaml.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** Fails when any private/symmetric member name appears anywhere in the JSON text. */
function expectNoPrivateMaterial(text: string): void {
  const doc = JSON.parse(text) as { keys: Record<string, unknown>[] };
  for (const key of doc.keys) for (const m of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(m);
  for (const m of PRIVATE_MEMBERS) expect(text).not.toMatch(new RegExp(`"${m}"\\s*:`));
}

async function privateJwk(alg: 'RS256' | 'ES256' | 'EdDSA', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' } as JWK;
}

let dir: string;
let rsa: JWK;
let ec: JWK;
let ed: JWK;

beforeAll(async () => {
  [rsa, ec, ed] = await Promise.all([privateJwk('RS256', 'rsa-1'), privateJwk('ES256', 'ec-1'), privateJwk('EdDSA', 'ed-1')]);
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-jwks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Captured {
  log: LoggerLike;
  warns: { obj: unknown; msg?: string }[];
  infos: unknown[];
}
function capture(): Captured {
  const c: Captured = { warns: [], infos: [], log: undefined as unknown as LoggerLike };
  c.log = {
    debug() {},
    info: (o) => void c.infos.push(o),
    warn: (obj, msg) => void c.warns.push({ obj, msg }),
    error: (obj, msg) => void c.warns.push({ obj, msg }),
  };
  return c;
}

describe('writeJwksFileAtomic', () => {
  it('writes only public members (mode 0644), whatever the input carries, and leaves no temp file', async () => {
    const file = path.join(dir, 'jwks.json');
    const oct = { ...(await exportJWK(await generateSecret('HS256', { extractable: true }))), kid: 'hmac' } as JWK;
    const old = process.umask(0o077);
    try {
      await writeJwksFileAtomic(file, { keys: [rsa, ec, ed, oct, { ...rsa, kid: 'enc', use: 'enc' }] });
    } finally {
      process.umask(old);
    }
    const text = await readFile(file, 'utf8');
    expectNoPrivateMaterial(text);
    const doc = JSON.parse(text) as { keys: JWK[] };
    expect(doc.keys.map((k) => k.kid)).toEqual(['rsa-1', 'ec-1', 'ed-1']);
    expect(doc.keys[0]).toEqual({ kty: 'RSA', n: rsa.n, e: rsa.e, kid: 'rsa-1', alg: 'RS256', use: 'sig' });
    expect((await stat(file)).mode & 0o777).toBe(0o644);
    expect(await readdir(dir)).toEqual(['jwks.json']);
  });

  it('replaces the file atomically: a concurrent reader never sees a partial document', async () => {
    const file = path.join(dir, 'jwks.json');
    const big = { keys: Array.from({ length: 40 }, (_, i) => ({ ...rsa, kid: `k${i}` })) };
    const small = { keys: [ec] };
    await writeJwksFileAtomic(file, small);
    let writing = true;
    let reads = 0;
    const reader = (async () => {
      while (writing) {
        const text = await readFile(file, 'utf8');
        const doc = JSON.parse(text) as { keys: unknown[] };
        expect([1, 40]).toContain(doc.keys.length);
        reads++;
      }
    })();
    for (let i = 0; i < 60; i++) await writeJwksFileAtomic(file, i % 2 ? small : big);
    writing = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual(['jwks.json']);
  });

  it('a failing write rejects and keeps the previous file', async () => {
    const file = path.join(dir, 'jwks.json');
    await writeJwksFileAtomic(file, { keys: [ec] });
    await expect(writeJwksFileAtomic(path.join(dir, 'missing', 'jwks.json'), { keys: [ec] })).rejects.toThrow();
    expect(JSON.parse(await readFile(file, 'utf8')).keys).toHaveLength(1);
  });
});

describe('refresh delay from Cache-Control', () => {
  it.each([
    ['public, max-age=120', 120],
    ['max-age=5', 60],
    ['max-age=999999', 86400],
    ['no-store', 60],
    ['no-cache, max-age=3600', 60],
    [null, 3600],
    ['max-age=abc', 3600],
    ['private, max-age="300"', 300],
  ])('%s -> %i s', (header, seconds) => {
    expect(refreshDelaySeconds(header)).toBe(seconds);
  });
});

interface FakeTimers {
  schedule: (fn: () => void, delay: number) => () => void;
  delays: number[];
  fire(): void;
  pending(): number;
}
function fakeTimers(): FakeTimers {
  const queue: { fn: () => void; cancelled: boolean }[] = [];
  const t: FakeTimers = {
    delays: [],
    schedule(fn, delay) {
      const item = { fn, cancelled: false };
      queue.push(item);
      t.delays.push(delay);
      return () => {
        item.cancelled = true;
      };
    },
    fire() {
      const item = queue.shift();
      if (item && !item.cancelled) item.fn();
    },
    pending: () => queue.filter((q) => !q.cancelled).length,
  };
  return t;
}

function jwksResponse(keys: unknown[], cacheControl?: string, status = 200): Response {
  return new Response(JSON.stringify({ keys }), {
    status,
    headers: { 'content-type': 'application/json', ...(cacheControl ? { 'cache-control': cacheControl } : {}) },
  });
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('startJwksFeed', () => {
  it('without an upstream writes the sidecar public keys once', async () => {
    const file = path.join(dir, 'jwks.json');
    const timers = fakeTimers();
    const c = capture();
    const feed = startJwksFeed({ file, sidecarJwks: { keys: [rsa] }, log: c.log, schedule: timers.schedule });
    await feed.refreshNow();
    const text = await readFile(file, 'utf8');
    expectNoPrivateMaterial(text);
    expect(JSON.parse(text).keys.map((k: JWK) => k.kid)).toEqual(['rsa-1']);
    expect(timers.pending()).toBe(0);
    feed.stop();
  });

  it('merges upstream keys, refreshes per max-age, backs off on failure keeping the last good keys', async () => {
    const file = path.join(dir, 'jwks.json');
    const upstreamPrivate = await privateJwk('RS256', 'google-1');
    const responses: (() => Promise<Response>)[] = [
      // the upstream (wrongly) publishes private members and a symmetric key: stripped / dropped
      async () => jwksResponse([upstreamPrivate, { kty: 'oct', k: 'c2VjcmV0', kid: 'sym' }], 'public, max-age=300'),
      async () => { throw new Error('connect ECONNREFUSED'); },
      async () => jwksResponse([], undefined, 500),
      async () => new Response('not json', { status: 200 }),
      async () => jwksResponse([{ ...ec, kid: 'google-2' }], 'max-age=10'),
    ];
    const urls: string[] = [];
    const fetchImpl = (async (url: string) => {
      urls.push(String(url));
      return responses.shift()!();
    }) as unknown as typeof fetch;
    const t2 = fakeTimers();
    const c2 = capture();
    const kidsInFile = async () => JSON.parse(await readFile(file, 'utf8')).keys.map((k: JWK) => k.kid);
    const feed2 = startJwksFeed({ file, sidecarJwks: { keys: [rsa] }, upstreamJwksUri: 'https://idp.example/jwks', log: c2.log, fetchImpl, schedule: t2.schedule });
    const settle = async (n: number) => {
      while (t2.delays.length < n) await tick();
    };

    await settle(1);
    expect(t2.delays).toEqual([300_000]);
    expect(await kidsInFile()).toEqual(['rsa-1', 'google-1']);
    expectNoPrivateMaterial(await readFile(file, 'utf8'));

    t2.fire(); // network error
    await settle(2);
    t2.fire(); // HTTP 500
    await settle(3);
    t2.fire(); // not JSON
    await settle(4);
    expect(t2.delays.slice(1)).toEqual([1000, 2000, 4000]);
    expect(await kidsInFile()).toEqual(['rsa-1', 'google-1']); // last good kept
    expect(c2.warns[0]).toMatchObject({ msg: 'upstream JWKS: some keys skipped' });
    const failures = c2.warns.slice(1);
    expect(failures.map((w) => w.msg)).toEqual(Array(3).fill('upstream JWKS refresh failed; keeping last good keys'));
    expect(failures.map((w) => (w.obj as { err: string }).err)).toEqual(['connect ECONNREFUSED', 'HTTP 500', expect.stringContaining('JSON')]);

    t2.fire(); // recovers; max-age 10 is raised to the 60 s floor
    await settle(5);
    expect(t2.delays[4]).toBe(60_000);
    expect(await kidsInFile()).toEqual(['rsa-1', 'google-2']);
    expectNoPrivateMaterial(await readFile(file, 'utf8'));

    feed2.stop();
    expect(t2.pending()).toBe(0);
    expect(urls.every((u) => u === 'https://idp.example/jwks')).toBe(true);
  });

  it('refreshNow fetches again at once and resolves after the file is written', async () => {
    const file = path.join(dir, 'jwks.json');
    const timers = fakeTimers();
    let calls = 0;
    const fetchImpl = (async () => {
      calls += 1;
      return jwksResponse([{ kty: ed.kty, crv: ed.crv, x: ed.x, kid: `up-${calls}` }], 'max-age=600');
    }) as unknown as typeof fetch;
    const feed = startJwksFeed({ file, sidecarJwks: { keys: [ec] }, upstreamJwksUri: 'https://idp/jwks', log: capture().log, fetchImpl, schedule: timers.schedule });
    await feed.refreshNow();
    expect(calls).toBe(2);
    expect(JSON.parse(await readFile(file, 'utf8')).keys.map((k: JWK) => k.kid)).toEqual(['ec-1', 'up-2']);
    feed.stop();
    expect(timers.pending()).toBe(0);
  });

  it('backoff doubles up to its cap', async () => {
    const timers = fakeTimers();
    const fetchImpl = (async () => { throw new Error('down'); }) as unknown as typeof fetch;
    const feed = startJwksFeed({ file: path.join(dir, 'jwks.json'), sidecarJwks: { keys: [ec] }, upstreamJwksUri: 'https://idp/jwks', log: capture().log, fetchImpl, schedule: timers.schedule });
    for (let n = 1; n <= 12; n++) {
      while (timers.delays.length < n) await tick();
      timers.fire();
    }
    feed.stop();
    expect(timers.delays.slice(0, 4)).toEqual([1000, 2000, 4000, 8000]);
    expect(Math.max(...timers.delays)).toBe(BACKOFF_MAX_MS);
    // the sidecar's own keys were written even though the upstream never answered
    expect(JSON.parse(await readFile(path.join(dir, 'jwks.json'), 'utf8')).keys.map((k: JWK) => k.kid)).toEqual(['ec-1']);
  });

  it('finds the upstream URL through a function (discovery), retrying it with backoff until it answers, then only fetches', async () => {
    const file = path.join(dir, 'jwks.json');
    const timers = fakeTimers();
    const c = capture();
    let lookups = 0;
    const resolve = async () => {
      lookups += 1;
      if (lookups < 3) throw new Error('upstream provider discovery failed');
      return 'https://idp.example/discovered-jwks';
    };
    const urls: string[] = [];
    const fetchImpl = (async (url: string) => {
      urls.push(String(url));
      return jwksResponse([{ kty: ed.kty, crv: ed.crv, x: ed.x, kid: 'up' }], 'max-age=120');
    }) as unknown as typeof fetch;
    const feed = startJwksFeed({ file, sidecarJwks: { keys: [rsa] }, upstreamJwksUri: resolve, log: c.log, fetchImpl, schedule: timers.schedule });
    const kidsInFile = async () => JSON.parse(await readFile(file, 'utf8')).keys.map((k: JWK) => k.kid);
    while (timers.delays.length < 1) await tick();
    expect(await kidsInFile()).toEqual(['rsa-1']); // the sidecar's keys go out while discovery fails
    timers.fire();
    while (timers.delays.length < 2) await tick();
    timers.fire();
    while (timers.delays.length < 3) await tick();
    expect(timers.delays).toEqual([1000, 2000, 120_000]);
    expect(await kidsInFile()).toEqual(['rsa-1', 'up']);
    expect(c.warns.map((w) => (w.obj as { err: string }).err)).toEqual(['upstream provider discovery failed', 'upstream provider discovery failed']);
    timers.fire();
    while (timers.delays.length < 4) await tick();
    expect(lookups).toBe(3);
    expect(urls).toEqual(['https://idp.example/discovered-jwks', 'https://idp.example/discovered-jwks']);
    feed.stop();
  });

  it('does not rewrite an unchanged file (the plugin would reload for nothing)', async () => {
    const file = path.join(dir, 'jwks.json');
    const timers = fakeTimers();
    const body = [{ kty: ed.kty, crv: ed.crv, x: ed.x, kid: 'up' }];
    const fetchImpl = (async () => jwksResponse(body, 'max-age=600')) as unknown as typeof fetch;
    const feed = startJwksFeed({ file, sidecarJwks: { keys: [ed] }, upstreamJwksUri: 'https://idp/jwks', log: capture().log, fetchImpl, schedule: timers.schedule });
    while (timers.delays.length < 1) await tick();
    const first = await stat(file);
    await writeFile(path.join(dir, 'marker'), '');
    timers.fire();
    while (timers.delays.length < 2) await tick();
    expect((await stat(file)).ino).toBe(first.ino);
    feed.stop();
  });
});

describe('traefikDynamicSnippet', () => {
  it('declares the mcpauth plugin middleware with the policy options and inline public keys; it loads back to the same policy', async () => {
    const policy = loadPolicy({
      resource: 'https://mcp.example.com/mcp',
      issuers: [
        { issuer: 'https://auth.example.com', jwksFile: '/keys/jwks.json', algorithms: ['RS256', 'ES256'] },
        { issuer: 'https://accounts.google.com', audiences: ['client-123.apps.googleusercontent.com'], type: 'JWT', jwks: { keys: [{ kty: ec.kty, crv: ec.crv, x: ec.x, y: ec.y, kid: 'g1' }] } },
      ],
      requiredScopes: 'mcp:tools, mcp:read',
      allowedEmails: ['Alice@Example.com', '@corp.example'],
      publicPaths: ['/health'],
      protectedPaths: ['/mcp', '/sse'],
      forwardHeaders: { email: 'X-Forwarded-Email', clientId: 'X-Client-Id' },
      resourceName: 'Example "MCP"',
      clockSkewSeconds: '30',
      loginRedirect: 'https://auth.example.com/login',
    });
    const yaml = traefikDynamicSnippet(policy, { keys: [rsa, ec] });
    for (const m of PRIVATE_MEMBERS) expect(yaml).not.toMatch(new RegExp(`\\\\"${m}\\\\":`));

    const doc = parseMiniYaml(yaml) as { http: { middlewares: { mcpauth: { plugin: { mcpauth: Record<string, unknown> } } } } };
    const options = doc.http.middlewares.mcpauth.plugin.mcpauth;
    const issuers = options.issuers as { jwks: string; jwksFile?: string }[];
    expect(issuers[0].jwksFile).toBeUndefined();
    expect(JSON.parse(issuers[0].jwks).keys.map((k: JWK) => k.kid)).toEqual(['rsa-1', 'ec-1']);
    expect(JSON.parse(issuers[1].jwks).keys.map((k: JWK) => k.kid)).toEqual(['g1']);

    const reloaded = loadPolicy(options);
    const expected = {
      ...policy,
      issuers: policy.issuers.map((i, n) => {
        const { jwksFile: _dropped, ...rest } = i;
        return { ...rest, jwks: JSON.parse(issuers[n].jwks) };
      }),
    };
    expect(reloaded).toEqual(expected);
  });
});

describe('traefikDynamicSnippet output in the real plugin', () => {
  it('a policy without scopes or allowlist yields options the plugin accepts (no empty lists)', async () => {
    const { HttpWasmHost } = await import('../../host-tests/host/index.js');
    const { parse } = await import('yaml');
    const policy = loadPolicy({ resource: 'https://mcp.example.com/mcp', issuers: [{ issuer: 'https://auth.example.com', jwksFile: '/keys/jwks.json' }] });
    const yaml = traefikDynamicSnippet(policy, { keys: [rsa, ec] });
    const options = parse(yaml).http.middlewares.mcpauth.plugin.mcpauth as Record<string, unknown>;
    expect(options).not.toHaveProperty('requiredScopes');
    expect(options).not.toHaveProperty('allowedEmails');
    const wasm = path.join(path.dirname(new URL(import.meta.url).pathname), '../../build/plugin.wasm');
    const host = await HttpWasmHost.create(wasm, { config: options });
    const res = await host.handle({ uri: '/mcp' });
    expect(res.trapped).toBe(false);
    expect(res.status).toBe(401);
    expect((await host.handle({ uri: '/.well-known/oauth-protected-resource/mcp' })).status).toBe(200);
  });
});
