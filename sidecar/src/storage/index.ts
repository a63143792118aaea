/**
 * Storage for the sidecar: SQLite in a data directory (default, one instance) or Redis
 * (REDIS_URL, several replicas). Both give oidc-provider a complete adapter and a small
 * key-value store (signing keys).
 */
import { openRedisStorage } from './redis.js';
import { openSqliteStorage } from './sqlite.js';
import type { LoggerLike, Storage, StorageOptions } from './types.js';

export async function openStorage(opts: StorageOptions, log: LoggerLike): Promise<Storage> {
  if ('redisUrl' in opts && opts.redisUrl) return openRedisStorage(opts.redisUrl, log, opts.now);
  if ('dataDir' in opts && opts.dataDir) return openSqliteStorage(opts.dataDir, log, { createDataDir: opts.createDataDir, now: opts.now });
  throw new TypeError('openStorage needs { dataDir } or { redisUrl }');
}

export type { Adapter, AdapterPayload, KeyValue, LoggerLike, Storage, StorageOptions } from './types.js';
export { GRANTABLE_MODELS } from './types.js';
export {
  alreadyConsumed,
  isAlreadyConsumed,
  isStorageUnavailable,
  StorageUnavailableError,
  type AlreadyConsumedError,
} from './errors.js';
export { redactRedisUrl, REDIS_PREFIX } from './redis.js';
export { DATA_DIR_MODE, SQLITE_FILE_NAME } from './sqlite.js';
