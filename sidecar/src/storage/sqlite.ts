/**
 * Embedded storage: one SQLite file (`<dataDir>/mcpauth.sqlite`, WAL mode) shared safely by
 * several connections or processes. Every write is one statement, hence one transaction;
 * `consume` is a conditional UPDATE, so of two racing consumers exactly one changes the row,
 * also across processes (SQLite's write lock serialises them; busy_timeout makes the loser wait
 * instead of failing). Expired rows are ignored by every read and swept on a timer.
 *
 * Before every write the file must still be the one opened, and it and its directory must be
 * writable: a connection keeps writing through its open descriptors after a `chmod`, a removal or
 * a read-only remount, and those writes would be lost or refused at the next start. Refusing
 * them at once (STORAGE_UNAVAILABLE, a 503) keeps what is stored consistent; once the directory
 * is writable again, writes work again.
 */
import { accessSync, chmodSync, constants as fsConstants, mkdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';

import Database from 'better-sqlite3';

import { alreadyConsumed, isAlreadyConsumed, StorageUnavailableError } from './errors.js';
import { GRANTABLE_MODELS, type Adapter, type AdapterPayload, type LoggerLike, type Storage } from './types.js';

export const SQLITE_FILE_NAME = 'mcpauth.sqlite';
const SCHEMA_VERSION = 1;
const SWEEP_INTERVAL_MS = 10 * 60 * 1000;
/** how long a writer waits for another connection's write lock before giving up */
const BUSY_TIMEOUT_MS = 5000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS oidc_item (
  model       TEXT NOT NULL,
  id          TEXT NOT NULL,
  payload     TEXT NOT NULL,
  grant_id    TEXT,
  user_code   TEXT,
  uid         TEXT,
  expires_at  INTEGER,           -- epoch ms; NULL = no expiry (e.g. Client)
  consumed_at INTEGER,           -- epoch s, as oidc-provider's epochTime(); NULL = not consumed
  PRIMARY KEY (model, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS oidc_item_grant ON oidc_item (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_item_user_code ON oidc_item (model, user_code) WHERE user_code IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_item_uid ON oidc_item (model, uid) WHERE uid IS NOT NULL;
CREATE INDEX IF NOT EXISTS oidc_item_expires ON oidc_item (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
`;

interface Row {
  payload: string;
  consumed_at: number | null;
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = String(e?.message ?? err);
  return e?.code && !message.startsWith(e.code) ? `${e.code}: ${message}` : message;
}

function openDatabase(file: string): Database.Database {
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a process crash loses nothing, a power cut at most the last commits;
    // the file is never corrupted either way.
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    // A real write at open, so a read-only directory or file fails now, not at the first login.
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value')
      .run('schema_version', String(SCHEMA_VERSION));
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Mode of a data directory the sidecar creates: it holds private signing keys. */
export const DATA_DIR_MODE = 0o700;

export interface SqliteOptions {
  /** create the directory (and missing parents, mode 0700) when it does not exist */
  createDataDir?: boolean;
  now?: () => number;
}

/** The data directory, created when asked and missing; STORAGE_UNAVAILABLE naming it otherwise. */
function ensureDirectory(dir: string, create: boolean, log: LoggerLike): void {
  let dirStat: Stats;
  try {
    dirStat = statSync(dir);
  } catch (err) {
    if (!create || (err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new StorageUnavailableError(`storage directory ${dir} is not accessible (${describe(err)})`, { cause: err });
    }
    try {
      mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
      chmodSync(dir, DATA_DIR_MODE); // mkdir masks the mode with the umask; make it exact
    } catch (mkdirErr) {
      throw new StorageUnavailableError(`cannot create storage directory ${dir} (${describe(mkdirErr)})`, { cause: mkdirErr });
    }
    log.info({ dir }, 'storage directory created');
    dirStat = statSync(dir);
  }
  if (!dirStat.isDirectory()) throw new StorageUnavailableError(`storage directory ${dir} is not a directory`);
}

export async function openSqliteStorage(dataDir: string, log: LoggerLike, options: SqliteOptions = {}): Promise<Storage> {
  const now = options.now ?? Date.now;
  const dir = path.resolve(dataDir);
  const file = path.join(dir, SQLITE_FILE_NAME);
  ensureDirectory(dir, options.createDataDir ?? false, log);

  let db: Database.Database;
  try {
    db = openDatabase(file);
  } catch (err) {
    throw new StorageUnavailableError(`cannot open SQLite database ${file} (${describe(err)})`, { cause: err });
  }
  const opened = statSync(file);

  /**
   * Refuses a write that would not last: the file was deleted or replaced under us (writes would
   * go to an unlinked inode and vanish at the next restart), or it or its directory is no longer
   * writable (SQLite could not reopen it, or would fail part-way through a checkpoint).
   */
  function assertWritable(): void {
    let st;
    try {
      st = statSync(file);
    } catch (err) {
      throw new StorageUnavailableError(`SQLite database ${file} is gone (${describe(err)})`);
    }
    if (st.ino !== opened.ino || st.dev !== opened.dev) {
      throw new StorageUnavailableError(`SQLite database ${file} was replaced while open`);
    }
    for (const [target, what] of [[file, 'SQLite database'], [dir, 'storage directory']] as const) {
      try {
        accessSync(target, fsConstants.W_OK);
      } catch (err) {
        throw new StorageUnavailableError(`${what} ${target} is not writable (${describe(err)})`);
      }
    }
  }

  try {
    assertWritable();
  } catch (err) {
    db.close();
    throw err;
  }
  log.info({ file }, 'SQLite storage opened');

  function guard<T>(write: boolean, op: () => T): Promise<T> {
    try {
      if (write) assertWritable();
      return Promise.resolve(op());
    } catch (err) {
      if (isAlreadyConsumed(err) || err instanceof StorageUnavailableError) return Promise.reject(err);
      return Promise.reject(new StorageUnavailableError(`SQLite database ${file} failed (${describe(err)})`, { cause: err }));
    }
  }

  const stmt = {
    upsert: db.prepare(`
      INSERT INTO oidc_item (model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
      VALUES (@model, @id, @payload, @grantId, @userCode, @uid, @expiresAt, @consumedAt)
      ON CONFLICT (model, id) DO UPDATE SET
        payload = excluded.payload, grant_id = excluded.grant_id, user_code = excluded.user_code,
        uid = excluded.uid, expires_at = excluded.expires_at,
        consumed_at = COALESCE(oidc_item.consumed_at, excluded.consumed_at)`),
    find: db.prepare<[string, string, number], Row>(
      'SELECT payload, consumed_at FROM oidc_item WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)'),
    findByUid: db.prepare<[string, string, number], Row>(
      'SELECT payload, consumed_at FROM oidc_item WHERE model = ? AND uid = ? AND (expires_at IS NULL OR expires_at > ?) LIMIT 1'),
    findByUserCode: db.prepare<[string, string, number], Row>(
      'SELECT payload, consumed_at FROM oidc_item WHERE model = ? AND user_code = ? AND (expires_at IS NULL OR expires_at > ?) LIMIT 1'),
    consume: db.prepare(
      'UPDATE oidc_item SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL AND (expires_at IS NULL OR expires_at > ?)'),
    consumedAt: db.prepare<[string, string, number], { consumed_at: number | null }>(
      'SELECT consumed_at FROM oidc_item WHERE model = ? AND id = ? AND (expires_at IS NULL OR expires_at > ?)'),
    destroy: db.prepare('DELETE FROM oidc_item WHERE model = ? AND id = ?'),
    revokeByGrantId: db.prepare('DELETE FROM oidc_item WHERE grant_id = ?'),
    sweep: db.prepare('DELETE FROM oidc_item WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    kvGet: db.prepare<[string], { value: string }>('SELECT value FROM kv WHERE key = ?'),
    kvSet: db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
    kvSetIfAbsent: db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING'),
    ping: db.prepare('SELECT 1'),
  };

  const toPayload = (row: Row | undefined): AdapterPayload | undefined => {
    if (!row) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    if (row.consumed_at !== null) payload.consumed = row.consumed_at;
    return payload;
  };

  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

  class SqliteAdapter implements Adapter {
    constructor(readonly name: string) {}

    upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      return guard(true, () => {
        const { consumed, ...stored } = payload;
        stmt.upsert.run({
          model: this.name,
          id,
          payload: JSON.stringify(stored),
          grantId: GRANTABLE_MODELS.has(this.name) ? str(payload.grantId) : null,
          userCode: str(payload.userCode),
          uid: str(payload.uid),
          expiresAt: typeof expiresIn === 'number' && expiresIn > 0 ? now() + expiresIn * 1000 : null,
          consumedAt: typeof consumed === 'number' ? consumed : null,
        });
      });
    }

    find(id: string): Promise<AdapterPayload | undefined> {
      return guard(false, () => toPayload(stmt.find.get(this.name, id, now())));
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return guard(false, () => toPayload(stmt.findByUid.get(this.name, uid, now())));
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return guard(false, () => toPayload(stmt.findByUserCode.get(this.name, userCode, now())));
    }

    consume(id: string): Promise<void> {
      return guard(true, () => {
        const t = now();
        const changed = stmt.consume.run(Math.floor(t / 1000), this.name, id, t).changes;
        if (changed === 1) return;
        const row = stmt.consumedAt.get(this.name, id, t);
        throw alreadyConsumed(this.name, row ? 'consumed' : 'missing');
      });
    }

    destroy(id: string): Promise<void> {
      return guard(true, () => {
        stmt.destroy.run(this.name, id);
      });
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return guard(true, () => {
        stmt.revokeByGrantId.run(grantId);
      });
    }
  }

  const sweep = (): Promise<number> => guard(true, () => stmt.sweep.run(now()).changes);
  const timer = setInterval(() => {
    sweep().then(
      (n) => n > 0 && log.debug({ removed: n }, 'swept expired storage rows'),
      (err: Error) => log.warn({ err: err.message }, 'storage sweep failed'),
    );
  }, SWEEP_INTERVAL_MS);
  timer.unref();
  await sweep().catch(() => 0);

  return {
    kind: 'sqlite',
    adapter: SqliteAdapter,
    sweep,
    health: () => guard(true, () => void stmt.ping.get()),
    async close() {
      clearInterval(timer);
      if (db.open) db.close();
    },
    kv: {
      get: (key) => guard(false, () => stmt.kvGet.get(key)?.value),
      set: (key, value) => guard(true, () => void stmt.kvSet.run(key, value)),
      setIfAbsent: (key, value) => guard(true, () => stmt.kvSetIfAbsent.run(key, value).changes === 1),
    },
  };
}
