/**
 * Redis backend specifics: namespacing and TTLs, failing fast while Redis is down and
 * recovering when it is back, persistence across a Redis restart, and consume races between two
 * processes sharing one Redis.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { once } from 'node:events';
import { createServer } from 'node:http';

import { Redis } from 'ioredis';
import Provider from 'oidc-provider';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { openStorage, redactRedisUrl, type Storage } from '../src/storage/index.js';
import { silentLogger, type LoggerLike } from '../src/policy/logger.js';
import { assertExactlyOneWinner, consumeRace } from './lib/consume-race.js';
import { freePort, startRedis, type RedisProcess } from './lib/redis.js';

let redis: RedisProcess;
let raw: Redis;
const opened: Storage[] = [];
const open = async (url = redis.url, log: LoggerLike = silentLogger) => {
  const s = await openStorage({ redisUrl: url }, log);
  opened.push(s);
  return s;
};

beforeAll(async () => {
  redis = await startRedis();
  raw = new Redis(redis.url);
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  raw?.disconnect();
  await redis?.stop();
});

async function waitHealthy(storage: Storage): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await storage.health();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('layout', () => {
  it('namespaces every key under mcpauth: and sets TTLs on items, indexes and grant sets', async () => {
    await raw.flushall();
    const s = await open();
    await new s.adapter('RefreshToken').upsert('rt1', { grantId: 'g1' }, 300);
    await new s.adapter('AccessToken').upsert('at1', { grantId: 'g1' }, 60);
    await new s.adapter('Session').upsert('s1', { uid: 'u1' }, 120);
    await new s.adapter('Client').upsert('c1', { client_id: 'c1' });
    await s.kv.set('k', 'v');

    const keys = await raw.keys('*');
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith('mcpauth:'))).toBe(true);
    const ttl = (k: string) => raw.ttl(k);
    expect(await ttl('mcpauth:oidc:RefreshToken:rt1')).toBeGreaterThan(290);
    expect(await ttl('mcpauth:oidc:AccessToken:at1')).toBeLessThanOrEqual(60);
    expect(await ttl('mcpauth:oidc:AccessToken:at1')).toBeGreaterThan(0);
    // the grant set lives as long as its longest member
    expect(await ttl('mcpauth:grant:g1')).toBeGreaterThan(290);
    expect(await ttl('mcpauth:idx:Session:uid:u1')).toBeGreaterThan(0);
    expect(await ttl('mcpauth:oidc:Client:c1')).toBe(-1);
    expect(await raw.smembers('mcpauth:grant:g1')).toEqual(expect.arrayContaining(['mcpauth:oidc:RefreshToken:rt1', 'mcpauth:oidc:AccessToken:at1']));
  });

  it('items disappear when their TTL runs out', async () => {
    const s = await open();
    const a = new s.adapter('AuthorizationCode');
    await a.upsert('short', { grantId: 'gx' }, 1);
    expect(await a.find('short')).toEqual({ grantId: 'gx' });
    await new Promise((r) => setTimeout(r, 2100));
    expect(await a.find('short')).toBeUndefined();
    await expect(a.consume('short')).rejects.toMatchObject({ code: 'ALREADY_CONSUMED' });
  });

  it('never puts credentials of the URL into messages', () => {
    expect(redactRedisUrl('redis://user:s3cret@10.0.0.1:6380/2')).toBe('redis://10.0.0.1:6380/2');
  });
});

describe('Redis unavailable', () => {
  it('open fails fast with STORAGE_UNAVAILABLE naming the address (and not the password)', async () => {
    const port = await freePort();
    const err = await openStorage({ redisUrl: `redis://:hunter2@127.0.0.1:${port}` }, silentLogger).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('STORAGE_UNAVAILABLE');
    expect(err?.message).toContain(`127.0.0.1:${port}`);
    expect(err?.message).not.toContain('hunter2');
  });

  it('stopping Redis mid-test: every call rejects STORAGE_UNAVAILABLE; after a restart calls work again', async () => {
    const own = await startRedis();
    const errorsLogged: unknown[] = [];
    const log: LoggerLike = { ...silentLogger, error: (o) => void errorsLogged.push(o) };
    const s = await open(own.url, log);
    const a = new s.adapter('RefreshToken');
    await a.upsert('before', { grantId: 'g' }, 600);

    await own.stop();
    const calls: (() => Promise<unknown>)[] = [
      () => a.upsert('during', { grantId: 'g' }, 600),
      () => a.find('before'),
      () => a.findByUid('u'),
      () => a.findByUserCode('c'),
      () => a.consume('before'),
      () => a.destroy('before'),
      () => a.revokeByGrantId('g'),
      () => s.health(),
      () => s.kv.get('k'),
      () => s.kv.set('k', 'v'),
      () => s.kv.setIfAbsent('k', 'v'),
    ];
    for (const call of calls) {
      const err = await call().then(() => undefined, (e: Error & { code?: string; statusCode?: number }) => e);
      expect(err?.code).toBe('STORAGE_UNAVAILABLE');
      expect(err?.statusCode).toBe(503);
      expect(err?.message).toContain(`127.0.0.1:${own.port}`);
    }
    expect(errorsLogged.length).toBeGreaterThan(0);

    const again = await startRedis({ port: own.port });
    try {
      await waitHealthy(s);
      await a.upsert('after', { grantId: 'g2' }, 600);
      expect(await a.find('after')).toEqual({ grantId: 'g2' });
      await a.consume('after');
      await expect(a.consume('after')).rejects.toMatchObject({ code: 'ALREADY_CONSUMED' });
    } finally {
      await s.close();
      await again.stop();
    }
  });

  it('a hung Redis (process stopped, socket open) makes calls time out with STORAGE_UNAVAILABLE instead of hanging', async () => {
    const own = await startRedis();
    const s = await open(own.url);
    const a = new s.adapter('Grant');
    await a.upsert('g', { v: 1 }, 60);
    own.process.kill('SIGSTOP');
    try {
      const err = await a.find('g').then(() => undefined, (e: Error & { code?: string }) => e);
      expect(err?.code).toBe('STORAGE_UNAVAILABLE');
      expect(err?.message).toMatch(/timed out/i);
    } finally {
      own.process.kill('SIGCONT');
    }
    await waitHealthy(s);
    expect(await a.find('g')).toEqual({ v: 1 });
    await s.close();
    await own.stop();
  });

  it('oidc-provider answers 503 (not a hang, not a 500) while Redis is down', async () => {
    const own = await startRedis();
    const s = await open(own.url);
    const provider = new Provider('http://127.0.0.1', {
      adapter: s.adapter,
      clients: [{ client_id: 'app', client_secret: 'secret-secret-secret', grant_types: ['refresh_token', 'authorization_code'], redirect_uris: ['https://app.example/cb'] }],
    });
    const server = createServer(provider.callback());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      await own.stop();
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from('app:secret-secret-secret').toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }),
      });
      expect(res.status).toBe(503);
      // the body is oidc-provider's generic server_error: hosts and paths stay in the logs
      expect(JSON.stringify(await res.json())).not.toContain('127.0.0.1');
    } finally {
      server.close();
    }
  });
});

describe('restarts', () => {
  it('a Redis restart with persistence loses nothing (clients, grants, refresh tokens, consumed marks, keys)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-redis-aof-'));
    let server = await startRedis({ dir });
    try {
      let s = await openStorage({ redisUrl: server.url }, silentLogger);
      await new s.adapter('Client').upsert('c1', { client_id: 'c1', redirect_uris: ['http://127.0.0.1/cb'] });
      await new s.adapter('Grant').upsert('g1', { accountId: 'alice', clientId: 'c1' }, 3600);
      await new s.adapter('RefreshToken').upsert('rt1', { grantId: 'g1', accountId: 'alice' }, 3600);
      await new s.adapter('RefreshToken').upsert('rt2', { grantId: 'g1', accountId: 'alice' }, 3600);
      await new s.adapter('RefreshToken').consume('rt1');
      await s.kv.set('signing-keys:gen:1', '{"k":1}');
      await s.close();
      await server.stop();

      server = await startRedis({ dir, port: server.port });
      s = await openStorage({ redisUrl: server.url }, silentLogger);
      try {
        expect(await new s.adapter('Client').find('c1')).toEqual({ client_id: 'c1', redirect_uris: ['http://127.0.0.1/cb'] });
        expect(await new s.adapter('Grant').find('g1')).toEqual({ accountId: 'alice', clientId: 'c1' });
        expect(await new s.adapter('RefreshToken').find('rt1')).toMatchObject({ grantId: 'g1', consumed: expect.any(Number) });
        await expect(new s.adapter('RefreshToken').consume('rt1')).rejects.toMatchObject({ code: 'ALREADY_CONSUMED' });
        await new s.adapter('RefreshToken').consume('rt2');
        expect(await s.kv.get('signing-keys:gen:1')).toBe('{"k":1}');
        // the grant index survived too
        await new s.adapter('RefreshToken').revokeByGrantId('g1');
        expect(await new s.adapter('RefreshToken').find('rt2')).toBeUndefined();
      } finally {
        await s.close();
      }
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('several processes on one Redis', () => {
  it('two processes hammering consume on the same ids: each id has exactly one winner', async () => {
    const s = await open();
    const ids = Array.from({ length: 200 }, (_, i) => `race-${Date.now()}-${i}`);
    const a = new s.adapter('RefreshToken');
    for (const id of ids) await a.upsert(id, { grantId: 'race' }, 600);
    const result = await consumeRace('redis', redis.url, ids);
    const { perProcess } = assertExactlyOneWinner(ids, result);
    // both processes really competed (each won some)
    expect(perProcess.every((n) => n > 0)).toBe(true);
  });
});
