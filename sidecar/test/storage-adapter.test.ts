/**
 * The oidc-provider adapter contract, run against both backends (SQLite file, real Redis).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Provider, { errors } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStorage, type Storage } from '../src/storage/index.js';
import { silentLogger } from '../src/policy/logger.js';
import { startRedis, type RedisProcess } from './lib/redis.js';

interface Backend {
  name: 'sqlite' | 'redis';
  open(): Promise<Storage>;
}

let redis: RedisProcess;
let dataDir: string;

beforeAll(async () => {
  redis = await startRedis();
  dataDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-storage-'));
});

afterAll(async () => {
  await redis?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const backends: Backend[] = [
  { name: 'sqlite', open: () => openStorage({ dataDir }, silentLogger) },
  { name: 'redis', open: () => openStorage({ redisUrl: redis.url }, silentLogger) },
];

let seq = 0;
const uniq = (p: string) => `${p}-${process.pid}-${++seq}-${Math.random().toString(36).slice(2)}`;

describe.each(backends)('$name adapter', (backend) => {
  let storage: Storage;
  beforeAll(async () => {
    storage = await backend.open();
  });
  afterAll(async () => {
    await storage?.close();
  });

  it('reports its kind and is healthy', async () => {
    expect(storage.kind).toBe(backend.name);
    await expect(storage.health()).resolves.toBeUndefined();
  });

  it('upserts and finds a payload, per model', async () => {
    const id = uniq('id');
    const at = new storage.adapter('AccessToken');
    const rt = new storage.adapter('RefreshToken');
    const payload = { accountId: 'alice', grantId: uniq('g'), scope: 'openid mcp:tools', nested: { a: [1, 2.5, 'x'], empty: [] }, big: 12345678901234 };
    await at.upsert(id, payload, 60);
    expect(await at.find(id)).toEqual(payload);
    expect(await rt.find(id)).toBeUndefined();
    expect(await at.find(uniq('missing'))).toBeUndefined();
  });

  it('replaces a payload on upsert', async () => {
    const id = uniq('id');
    const a = new storage.adapter('Grant');
    await a.upsert(id, { v: 1 }, 60);
    await a.upsert(id, { v: 2 }, 60);
    expect(await a.find(id)).toEqual({ v: 2 });
  });

  it('keeps items without expiresIn (clients) indefinitely', async () => {
    const id = uniq('client');
    const a = new storage.adapter('Client');
    await a.upsert(id, { client_id: id, redirect_uris: ['http://127.0.0.1/cb'] });
    expect(await a.find(id)).toEqual({ client_id: id, redirect_uris: ['http://127.0.0.1/cb'] });
  });

  it('finds sessions by uid and device codes by user code; re-upsert moves the index', async () => {
    const sessions = new storage.adapter('Session');
    const id = uniq('sess');
    const uid1 = uniq('uid');
    const uid2 = uniq('uid');
    await sessions.upsert(id, { uid: uid1, accountId: 'a' }, 60);
    expect(await sessions.findByUid(uid1)).toEqual({ uid: uid1, accountId: 'a' });
    await sessions.upsert(id, { uid: uid2, accountId: 'a' }, 60);
    expect(await sessions.findByUid(uid1)).toBeUndefined();
    expect(await sessions.findByUid(uid2)).toEqual({ uid: uid2, accountId: 'a' });
    await sessions.destroy(id);
    expect(await sessions.findByUid(uid2)).toBeUndefined();

    const dc = new storage.adapter('DeviceCode');
    const code = uniq('ABCD');
    await dc.upsert(uniq('dc'), { userCode: code, grantId: uniq('g') }, 60);
    expect((await dc.findByUserCode(code))?.userCode).toBe(code);
    expect(await dc.findByUserCode(uniq('nope'))).toBeUndefined();
  });

  it('consume marks the item (epoch seconds) and a second consume is invalid_grant', async () => {
    const a = new storage.adapter('RefreshToken');
    const id = uniq('rt');
    await a.upsert(id, { grantId: uniq('g'), accountId: 'alice' }, 60);
    const before = Math.floor(Date.now() / 1000);
    await a.consume(id);
    const found = await a.find(id);
    expect(found?.consumed).toBeGreaterThanOrEqual(before);
    expect(found?.consumed).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));

    const second = await a.consume(id).then(() => undefined, (e: unknown) => e);
    expect(second).toBeInstanceOf(errors.InvalidGrant);
    expect(second).toMatchObject({ code: 'ALREADY_CONSUMED', error: 'invalid_grant', statusCode: 400 });

    const missing = await a.consume(uniq('missing')).then(() => undefined, (e: unknown) => e);
    expect(missing).toBeInstanceOf(errors.InvalidGrant);
  });

  it('exactly one of many concurrent consumes of one id wins', async () => {
    const a = new storage.adapter('AuthorizationCode');
    const id = uniq('code');
    await a.upsert(id, { grantId: uniq('g') }, 60);
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => a.consume(id)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(errors.InvalidGrant);
    }
  });

  it('an upsert never clears the consumed mark', async () => {
    const a = new storage.adapter('RefreshToken');
    const id = uniq('rt');
    await a.upsert(id, { grantId: uniq('g') }, 60);
    await a.consume(id);
    const consumed = (await a.find(id))?.consumed;
    await a.upsert(id, { grantId: 'other', note: 'resaved' }, 60);
    expect(await a.find(id)).toMatchObject({ note: 'resaved', consumed });
    await expect(a.consume(id)).rejects.toBeInstanceOf(errors.InvalidGrant);
  });

  it('destroy removes the item', async () => {
    const a = new storage.adapter('AccessToken');
    const id = uniq('at');
    await a.upsert(id, { grantId: uniq('g') }, 60);
    await a.destroy(id);
    expect(await a.find(id)).toBeUndefined();
    await expect(a.destroy(id)).resolves.toBeUndefined();
  });

  it('revokeByGrantId removes every token of that grant and nothing else', async () => {
    const g1 = uniq('grant');
    const g2 = uniq('grant');
    const models = ['AccessToken', 'RefreshToken', 'AuthorizationCode'] as const;
    const ids: Record<string, string> = {};
    for (const m of models) {
      ids[`${m}1`] = uniq(m);
      ids[`${m}2`] = uniq(m);
      await new storage.adapter(m).upsert(ids[`${m}1`], { grantId: g1 }, 60);
      await new storage.adapter(m).upsert(ids[`${m}2`], { grantId: g2 }, 60);
    }
    await new storage.adapter('Grant').upsert(g1, { accountId: 'alice' }, 60);

    await new storage.adapter('AccessToken').revokeByGrantId(g1);

    for (const m of models) {
      expect(await new storage.adapter(m).find(ids[`${m}1`])).toBeUndefined();
      expect(await new storage.adapter(m).find(ids[`${m}2`])).toEqual({ grantId: g2 });
    }
    // the Grant itself is destroyed separately by oidc-provider (Grant adapter destroy)
    expect(await new storage.adapter('Grant').find(g1)).toEqual({ accountId: 'alice' });
  });

  it('kv: get/set/setIfAbsent, and only one of concurrent setIfAbsent calls stores', async () => {
    const key = uniq('k');
    expect(await storage.kv.get(key)).toBeUndefined();
    await storage.kv.set(key, 'one');
    expect(await storage.kv.get(key)).toBe('one');
    expect(await storage.kv.setIfAbsent(key, 'two')).toBe(false);
    expect(await storage.kv.get(key)).toBe('one');

    const race = uniq('race');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => storage.kv.setIfAbsent(race, `v${i}`)));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await storage.kv.get(race)).toBe(`v${results.indexOf(true)}`);
  });

  it('a restart (close, reopen) loses nothing', async () => {
    const id = uniq('rt');
    const client = uniq('client');
    const grant = uniq('g');
    await new storage.adapter('RefreshToken').upsert(id, { grantId: grant, accountId: 'bob' }, 3600);
    await new storage.adapter('RefreshToken').consume(id);
    await new storage.adapter('Client').upsert(client, { client_id: client });
    await storage.kv.set('restart-check', id);
    await storage.close();

    storage = await backend.open();
    expect(await new storage.adapter('RefreshToken').find(id)).toMatchObject({ grantId: grant, accountId: 'bob', consumed: expect.any(Number) });
    await expect(new storage.adapter('RefreshToken').consume(id)).rejects.toBeInstanceOf(errors.InvalidGrant);
    expect(await new storage.adapter('Client').find(client)).toEqual({ client_id: client });
    expect(await storage.kv.get('restart-check')).toBe(id);
    await new storage.adapter('RefreshToken').revokeByGrantId(grant);
    expect(await new storage.adapter('RefreshToken').find(id)).toBeUndefined();
  });

  it('works as oidc-provider\'s adapter: clients, opaque tokens, rotation race', async () => {
    const provider = new Provider('http://127.0.0.1:1', {
      adapter: storage.adapter,
      clients: [],
      features: { devInteractions: { enabled: false } },
    });
    const clientId = uniq('client');
    await new storage.adapter('Client').upsert(clientId, {
      client_id: clientId,
      redirect_uris: ['http://127.0.0.1/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    const client = await provider.Client.find(clientId);
    expect(client?.clientId).toBe(clientId);

    const grantId = uniq('grant');
    const rt = new provider.RefreshToken({ accountId: 'alice', client: client!, grantId, scope: 'openid offline_access', gty: 'authorization_code' });
    const value = await rt.save();
    const found = await provider.RefreshToken.find(value);
    expect(found?.accountId).toBe('alice');
    expect(found?.isValid).toBe(true);

    // two concurrent rotations of one refresh token: exactly one consume succeeds
    const [a, b] = await Promise.all([provider.RefreshToken.find(value), provider.RefreshToken.find(value)]);
    const results = await Promise.allSettled([a!.consume(), b!.consume()]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await provider.RefreshToken.find(value))?.consumed).toEqual(expect.any(Number));

    const at = new provider.AccessToken({ accountId: 'alice', client: client!, grantId, scope: 'openid', gty: 'authorization_code' });
    const atValue = await at.save();
    expect((await provider.AccessToken.find(atValue))?.accountId).toBe('alice');
    await new storage.adapter('AccessToken').revokeByGrantId(grantId);
    expect(await provider.AccessToken.find(atValue)).toBeUndefined();
    expect(await provider.RefreshToken.find(value)).toBeUndefined();
  });
});
