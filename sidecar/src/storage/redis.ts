/**
 * Shared storage for several sidecar replicas: one Redis (ioredis). Keys live under `mcpauth:`;
 * items expire with Redis TTLs; every multi-key change is one Lua script (atomic). Commands never
 * queue while disconnected (`enableOfflineQueue: false`) and time out (`commandTimeout`), so
 * when Redis is down every call fails fast with STORAGE_UNAVAILABLE while ioredis keeps
 * reconnecting in the background; once Redis is back, calls work again.
 */
import { Redis } from 'ioredis';

import { alreadyConsumed, isAlreadyConsumed, StorageUnavailableError } from './errors.js';
import { CONSUME, DESTROY, REVOKE_GRANT, UPSERT } from './redis-scripts.js';
import { GRANTABLE_MODELS, type Adapter, type AdapterPayload, type LoggerLike, type Storage } from './types.js';

export const REDIS_PREFIX = 'mcpauth:';
const CONNECT_TIMEOUT_MS = 3000;
const COMMAND_TIMEOUT_MS = 3000;

interface ScriptCommands {
  mcpauthUpsert(key: string, ...args: string[]): Promise<number>;
  mcpauthConsume(key: string, now: string): Promise<number>;
  mcpauthDestroy(key: string, prefix: string): Promise<number>;
  mcpauthRevokeGrant(key: string, prefix: string): Promise<number>;
}

/** host:port/db of a Redis URL, without credentials, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable REDIS_URL)';
  }
}

export async function openRedisStorage(redisUrl: string, log: LoggerLike, now: () => number = Date.now): Promise<Storage> {
  const where = redactRedisUrl(redisUrl);
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // keep reconnecting (forever, at most every 2 s) so the service recovers by itself
    retryStrategy: (attempt: number) => Math.min(attempt * 200, 2000),
  });
  // One error line per outage (from the first failed call) and one when Redis is back; ioredis
  // itself repeats its connection error on every reconnect attempt, which stays at debug.
  let outage = false;
  client.on('ready', () => {
    if (outage) log.info({ redis: where }, 'Redis storage reachable again');
    outage = false;
  });
  client.on('error', (err: Error) => log.debug({ redis: where, err: err.message }, 'Redis connection error'));

  client.defineCommand('mcpauthUpsert', { numberOfKeys: 1, lua: UPSERT });
  client.defineCommand('mcpauthConsume', { numberOfKeys: 1, lua: CONSUME });
  client.defineCommand('mcpauthDestroy', { numberOfKeys: 1, lua: DESTROY });
  client.defineCommand('mcpauthRevokeGrant', { numberOfKeys: 1, lua: REVOKE_GRANT });
  const scripts = client as unknown as ScriptCommands;

  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    throw new StorageUnavailableError(`cannot connect to Redis at ${where} (${(err as Error).message})`, { cause: err });
  }
  log.info({ redis: where }, 'Redis storage connected');

  async function guard<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      if (isAlreadyConsumed(err) || err instanceof StorageUnavailableError) throw err;
      if (!outage) log.error({ redis: where, err: (err as Error).message }, 'Redis storage unavailable');
      outage = true;
      throw new StorageUnavailableError(`Redis at ${where} unavailable (${(err as Error).message})`, { cause: err });
    }
  }

  const itemKey = (model: string, id: string) => `${REDIS_PREFIX}oidc:${model}:${id}`;
  const indexKey = (model: string, kind: 'uid' | 'usercode', value: string) => `${REDIS_PREFIX}idx:${model}:${kind}:${value}`;
  const kvKey = (key: string) => `${REDIS_PREFIX}kv:${key}`;
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');

  const readItem = async (key: string): Promise<AdapterPayload | undefined> => {
    const [payload, consumed] = await client.hmget(key, 'payload', 'consumed');
    if (payload === null) return undefined;
    const parsed = JSON.parse(payload) as AdapterPayload;
    if (consumed !== null) parsed.consumed = Number(consumed);
    return parsed;
  };

  class RedisAdapter implements Adapter {
    constructor(readonly name: string) {}

    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      return guard(async () => {
        const { consumed, ...stored } = payload;
        const ttl = typeof expiresIn === 'number' && expiresIn > 0 ? Math.ceil(expiresIn) : 0;
        await scripts.mcpauthUpsert(
          itemKey(this.name, id),
          JSON.stringify(stored),
          String(ttl),
          REDIS_PREFIX,
          this.name,
          id,
          GRANTABLE_MODELS.has(this.name) ? str(payload.grantId) : '',
          str(payload.uid),
          str(payload.userCode),
          typeof consumed === 'number' ? String(consumed) : '',
        );
      });
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return guard(() => readItem(itemKey(this.name, id)));
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return guard(async () => {
        const id = await client.get(indexKey(this.name, 'uid', uid));
        return id === null ? undefined : readItem(itemKey(this.name, id));
      });
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return guard(async () => {
        const id = await client.get(indexKey(this.name, 'usercode', userCode));
        return id === null ? undefined : readItem(itemKey(this.name, id));
      });
    }

    consume(id: string): Promise<void> {
      return guard(async () => {
        const result = await scripts.mcpauthConsume(itemKey(this.name, id), String(Math.floor(now() / 1000)));
        if (result === 1) return;
        throw alreadyConsumed(this.name, result === 0 ? 'consumed' : 'missing');
      });
    }

    destroy(id: string): Promise<void> {
      return guard(async () => {
        await scripts.mcpauthDestroy(itemKey(this.name, id), REDIS_PREFIX);
      });
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return guard(async () => {
        await scripts.mcpauthRevokeGrant(`${REDIS_PREFIX}grant:${grantId}`, REDIS_PREFIX);
      });
    }
  }

  return {
    kind: 'redis',
    adapter: RedisAdapter,
    health: () => guard(async () => void (await client.ping())),
    async close() {
      try {
        await client.quit();
      } catch {
        client.disconnect();
      }
    },
    kv: {
      get: (key) => guard(async () => (await client.get(kvKey(key))) ?? undefined),
      set: (key, value) => guard(async () => void (await client.set(kvKey(key), value))),
      setIfAbsent: (key, value) => guard(async () => (await client.set(kvKey(key), value, 'NX')) === 'OK'),
    },
  };
}
