/**
 * Signing keys: generated once and persisted, agreed on by replicas starting together, rotated
 * with an overlap, used by oidc-provider (first key signs), and the rotate-keys command.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { SignJWT, calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { loadSigningKeys, rotateSigningKeys, runRotateKeysCommand, ALG_CHANGE_OVERLAP_SECONDS } from '../src/keys/keystore.js';
import { openStorage, type Storage } from '../src/storage/index.js';
import { silentLogger } from '../src/policy/logger.js';
import type { JWK } from '../src/policy/types.js';
import { startRedis, type RedisProcess } from './lib/redis.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let dir: string;
let redis: RedisProcess;
const opened: Storage[] = [];
const sqlite = async () => {
  const s = await openStorage({ dataDir: dir }, silentLogger);
  opened.push(s);
  return s;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-keys-'));
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

function modulusBits(jwk: JWK): number {
  return Buffer.from(jwk.n as string, 'base64url').length * 8;
}

async function signAndVerify(privateJwk: JWK, publicJwks: { keys: JWK[] }): Promise<string> {
  const key = await importJWK(privateJwk as Parameters<typeof importJWK>[0], privateJwk.alg);
  const jwt = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: privateJwk.alg as string, kid: privateJwk.kid }).sign(key);
  const { protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(publicJwks as Parameters<typeof createLocalJWKSet>[0]));
  return protectedHeader.kid as string;
}

describe('loadSigningKeys', () => {
  it('generates an RS256 2048-bit key on first start with kid = RFC 7638 thumbprint, alg, use', async () => {
    const keys = await loadSigningKeys(await sqlite(), { alg: 'RS256' });
    expect(keys.privateJwks.keys).toHaveLength(1);
    const [priv] = keys.privateJwks.keys;
    expect(priv).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(modulusBits(priv)).toBe(2048);
    expect(priv.d).toEqual(expect.any(String));
    expect(priv.kid).toBe(await calculateJwkThumbprint(priv as Parameters<typeof calculateJwkThumbprint>[0], 'sha256'));

    const [pub] = keys.publicJwks.keys;
    expect(pub).toEqual({ kty: 'RSA', n: priv.n, e: 'AQAB', kid: priv.kid, alg: 'RS256', use: 'sig' });
    for (const m of PRIVATE_MEMBERS) expect(JSON.stringify(keys.publicJwks)).not.toContain(`"${m}":`);
    expect(await signAndVerify(priv, keys.publicJwks)).toBe(priv.kid);
  });

  it.each([
    ['ES256', { kty: 'EC', crv: 'P-256' }],
    ['EdDSA', { kty: 'OKP', crv: 'Ed25519' }],
  ] as const)('generates %s keys', async (alg, shape) => {
    const keys = await loadSigningKeys(await sqlite(), { alg });
    expect(keys.privateJwks.keys[0]).toMatchObject({ ...shape, alg, use: 'sig' });
    expect(await signAndVerify(keys.privateJwks.keys[0], keys.publicJwks)).toBe(keys.privateJwks.keys[0].kid);
  });

  it('persists: a reload and a restart give the same key', async () => {
    const s = await sqlite();
    const first = await loadSigningKeys(s, { alg: 'RS256' });
    expect((await loadSigningKeys(s, { alg: 'RS256' })).privateJwks).toEqual(first.privateJwks);
    await s.close();
    const again = await sqlite();
    expect((await loadSigningKeys(again, { alg: 'RS256' })).privateJwks).toEqual(first.privateJwks);
  });

  it('replicas starting together agree on one key (SQLite file and Redis)', async () => {
    const [a, b, c] = [await sqlite(), await sqlite(), await sqlite()];
    const results = await Promise.all([a, b, c].map((s) => loadSigningKeys(s, { alg: 'ES256' })));
    expect(new Set(results.map((r) => r.privateJwks.keys[0].kid)).size).toBe(1);

    const r1 = await openStorage({ redisUrl: redis.url }, silentLogger);
    const r2 = await openStorage({ redisUrl: redis.url }, silentLogger);
    opened.push(r1, r2);
    const viaRedis = await Promise.all([r1, r2, r1, r2].map((s) => loadSigningKeys(s, { alg: 'RS256' })));
    expect(new Set(viaRedis.map((r) => r.privateJwks.keys[0].kid)).size).toBe(1);
  });

  it('a changed algorithm makes a key of that algorithm the signer; the old one stays published for the overlap', async () => {
    const s = await sqlite();
    let now = 1_800_000_000_000;
    const rs = await loadSigningKeys(s, { alg: 'RS256', now: () => now });
    const es = await loadSigningKeys(s, { alg: 'ES256', now: () => now });
    expect(es.privateJwks.keys.map((k) => k.alg)).toEqual(['ES256', 'RS256']);
    expect(es.privateJwks.keys[1].kid).toBe(rs.privateJwks.keys[0].kid);
    now += ALG_CHANGE_OVERLAP_SECONDS * 1000;
    expect((await loadSigningKeys(s, { alg: 'ES256', now: () => now })).publicJwks.keys.map((k) => k.alg)).toEqual(['ES256']);
  });
});

describe('rotateSigningKeys', () => {
  it('new key signs first, old keys stay published until their overlap ends, then drop out on load', async () => {
    const s = await sqlite();
    let now = 1_800_000_000_000;
    const clock = () => now;
    const k1 = (await loadSigningKeys(s, { alg: 'RS256', now: clock })).privateJwks.keys[0].kid;

    const r1 = await rotateSigningKeys(s, { alg: 'RS256', overlapSeconds: 3600, now: clock });
    const k2 = r1.privateJwks.keys[0].kid;
    expect(k2).not.toBe(k1);
    expect(r1.privateJwks.keys.map((k) => k.kid)).toEqual([k2, k1]);
    expect(r1.publicJwks.keys.map((k) => k.kid)).toEqual([k2, k1]);
    expect(r1.retiring).toEqual([{ kid: k1, publishUntil: now / 1000 + 3600 }]);

    now += 1800_000;
    const r2 = await rotateSigningKeys(s, { alg: 'RS256', overlapSeconds: 3600, now: clock });
    const k3 = r2.privateJwks.keys[0].kid;
    // k1 keeps its original deadline; k2 gets a fresh one
    expect(r2.retiring).toEqual([
      { kid: k2, publishUntil: now / 1000 + 3600 },
      { kid: k1, publishUntil: now / 1000 + 1800 },
    ]);

    now += 1799_000;
    expect((await loadSigningKeys(s, { alg: 'RS256', now: clock })).publicJwks.keys.map((k) => k.kid)).toEqual([k3, k2, k1]);
    now += 1000; // k1's overlap is over
    expect((await loadSigningKeys(s, { alg: 'RS256', now: clock })).publicJwks.keys.map((k) => k.kid)).toEqual([k3, k2]);
    now += 1800_000;
    expect((await loadSigningKeys(s, { alg: 'RS256', now: clock })).privateJwks.keys.map((k) => k.kid)).toEqual([k3]);
  });

  it('a rotation is seen by another replica (Redis)', async () => {
    const a = await openStorage({ redisUrl: redis.url }, silentLogger);
    const b = await openStorage({ redisUrl: redis.url }, silentLogger);
    opened.push(a, b);
    const before = await loadSigningKeys(a, { alg: 'RS256' });
    const rotated = await rotateSigningKeys(b, { alg: 'RS256', overlapSeconds: 60 });
    const seen = await loadSigningKeys(a, { alg: 'RS256' });
    expect(seen.privateJwks.keys[0].kid).toBe(rotated.privateJwks.keys[0].kid);
    expect(seen.publicJwks.keys.map((k) => k.kid)).toContain(before.privateJwks.keys[0].kid);
  });
});

describe('oidc-provider signs with the first key', () => {
  let server: Server;
  afterEach(() => server?.close());

  it('a JWT access token after rotation carries the new kid and verifies with the published set', async () => {
    const s = await sqlite();
    await loadSigningKeys(s, { alg: 'RS256' });
    const keys = await rotateSigningKeys(s, { alg: 'RS256', overlapSeconds: 3600 });
    const resource = 'https://mcp.example.com/mcp';
    const provider = new Provider('http://127.0.0.1', {
      adapter: s.adapter,
      jwks: keys.privateJwks as never,
      clients: [{ client_id: 'svc', client_secret: 'secret-secret-secret', grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }],
      features: {
        clientCredentials: { enabled: true },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => resource,
          useGrantedResource: () => true,
          getResourceServerInfo: () => ({ scope: 'mcp', audience: resource, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
        },
      },
    });
    server = createServer(provider.callback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const res = await fetch(`http://127.0.0.1:${port}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('svc:secret-secret-secret').toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'mcp', resource }),
    });
    const body = (await res.json()) as { access_token: string };
    expect(res.status).toBe(200);
    expect(decodeProtectedHeader(body.access_token)).toMatchObject({ alg: 'RS256', kid: keys.privateJwks.keys[0].kid, typ: 'at+jwt' });
    await jwtVerify(body.access_token, createLocalJWKSet(keys.publicJwks as never), { audience: resource });
  });
});

describe('sidecar rotate-keys', () => {
  const run = async (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runRotateKeysCommand(argv, { env, stdout: (l) => out.push(l), stderr: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  it('rotates the keys in DATA_DIR and prints kids only', async () => {
    const s = await sqlite();
    const before = (await loadSigningKeys(s, { alg: 'RS256' })).privateJwks.keys[0].kid;
    const { code, out } = await run(['rotate-keys', '--overlap', '600'], { DATA_DIR: dir });
    expect(code).toBe(0);
    const summary = JSON.parse(out);
    expect(summary).toMatchObject({ rotated: true, alg: 'RS256', retiring: [{ kid: before, publishUntil: expect.any(Number) }] });
    for (const m of PRIVATE_MEMBERS) expect(out).not.toContain(`"${m}":`);
    const after = await loadSigningKeys(s, { alg: 'RS256' });
    expect(after.privateJwks.keys.map((k) => k.kid)).toEqual([summary.signer, before]);
  });

  it('accepts --flag=value, --redis-url and --alg', async () => {
    const { code, out } = await run([`--redis-url=${redis.url}`, '--alg=EdDSA', '--overlap=0']);
    expect(code).toBe(0);
    const s = await openStorage({ redisUrl: redis.url }, silentLogger);
    opened.push(s);
    expect((await loadSigningKeys(s, { alg: 'EdDSA' })).privateJwks.keys[0].kid).toBe(JSON.parse(out).signer);
  });

  it('usage errors exit 2; storage errors exit 1 with the reason', async () => {
    expect((await run(['--overlap', 'soon'], { DATA_DIR: dir })).code).toBe(2);
    expect((await run(['--alg', 'HS256'], { DATA_DIR: dir })).code).toBe(2);
    expect((await run(['--bogus'], { DATA_DIR: dir })).code).toBe(2);
    expect((await run(['--overlap'], { DATA_DIR: dir })).code).toBe(2);
    const failed = await run([], { DATA_DIR: path.join(dir, 'missing') });
    expect(failed.code).toBe(1);
    expect(failed.err).toContain(path.join(dir, 'missing'));
    expect((await run(['--help'])).code).toBe(0);
  });
});
