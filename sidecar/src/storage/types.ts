import type { LoggerLike } from '../policy/logger.js';

export type { LoggerLike };

/** What oidc-provider stores for one model instance (opaque to us except a few members). */
export interface AdapterPayload {
  [member: string]: unknown;
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: number;
}

/** oidc-provider's adapter contract (one instance per model name). */
export interface Adapter {
  upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<AdapterPayload | undefined>;
  findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
  findByUid(uid: string): Promise<AdapterPayload | undefined>;
  /** marks the item consumed; rejects with invalid_grant if it already was (or is gone) */
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export interface KeyValue {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** stores only when the key is absent; true when this call stored it */
  setIfAbsent(key: string, value: string): Promise<boolean>;
}

export interface Storage {
  /** adapter class for oidc-provider's `adapter` option, bound to this storage */
  adapter: new (name: string) => Adapter;
  /** resolves when the backend answers; rejects with STORAGE_UNAVAILABLE otherwise */
  health(): Promise<void>;
  close(): Promise<void>;
  kind: 'sqlite' | 'redis';
  kv: KeyValue;
  /** SQLite only: deletes expired rows now (also runs on a timer); resolves to the count */
  sweep?(): Promise<number>;
}

export interface StorageOptionsCommon {
  /** clock in milliseconds (tests); default Date.now */
  now?: () => number;
}

export type StorageOptions = ({ dataDir: string; createDataDir?: boolean } | { redisUrl: string }) & StorageOptionsCommon;

/**
 * Models whose rows belong to a grant: revokeByGrantId removes them all (the same set as
 * oidc-provider's memory adapter).
 */
export const GRANTABLE_MODELS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
]);
