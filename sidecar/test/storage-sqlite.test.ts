/**
 * SQLite backend specifics: open failures name the path, the data directory created on request,
 * WAL, expiry and sweeping, a file removed or made read-only under us, and consume races across
 * connections and processes on one file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { errors } from 'oidc-provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { DATA_DIR_MODE, openStorage, SQLITE_FILE_NAME, type Storage } from '../src/storage/index.js';
import { silentLogger } from '../src/policy/logger.js';
import { assertExactlyOneWinner, consumeRace } from './lib/consume-race.js';
import { makeReadOnly } from './lib/read-only.js';

let dir: string;
const opened: Storage[] = [];
const open = async (opts: Parameters<typeof openStorage>[0]) => {
  const s = await openStorage(opts, silentLogger);
  opened.push(s);
  return s;
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-sqlite-'));
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

async function openError(opts: Parameters<typeof openStorage>[0]): Promise<Error & { code?: string }> {
  return openStorage(opts, silentLogger).then(
    (s) => {
      opened.push(s);
      throw new Error('expected openStorage to fail');
    },
    (e: Error & { code?: string }) => e,
  );
}

describe('opening', () => {
  it('a missing directory is STORAGE_UNAVAILABLE naming the path', async () => {
    const missing = path.join(dir, 'nope', 'deeper');
    const err = await openError({ dataDir: missing });
    expect(err.code).toBe('STORAGE_UNAVAILABLE');
    expect(err.message).toContain(missing);
  });

  it('with createDataDir, a missing directory and its parents are created with mode 0700', async () => {
    const parent = path.join(dir, 'new');
    const missing = path.join(parent, 'data');
    const s = await open({ dataDir: missing, createDataDir: true });
    expect((await stat(missing)).mode & 0o777).toBe(DATA_DIR_MODE);
    expect((await stat(parent)).mode & 0o777).toBe(DATA_DIR_MODE);
    expect((await stat(path.join(missing, SQLITE_FILE_NAME))).isFile()).toBe(true);
    await s.kv.set('k', 'v');
    expect(await s.kv.get('k')).toBe('v');
  });

  it('with createDataDir, an existing directory keeps its mode', async () => {
    execFileSync('chmod', ['0750', dir]);
    await open({ dataDir: dir, createDataDir: true });
    expect((await stat(dir)).mode & 0o777).toBe(0o750);
  });

  it('with createDataDir, a directory that cannot be created is STORAGE_UNAVAILABLE naming it', async () => {
    const file = path.join(dir, 'plain-file');
    await writeFile(file, 'x');
    const under = path.join(file, 'data');
    const err = await openError({ dataDir: under, createDataDir: true });
    expect(err.code).toBe('STORAGE_UNAVAILABLE');
    expect(err.message).toContain(`storage directory ${under} is not accessible (ENOTDIR`);

    const ro = path.join(dir, 'ro-parent');
    execFileSync('mkdir', [ro]);
    const restore = makeReadOnly(ro);
    try {
      const inside = path.join(ro, 'data');
      const err2 = await openError({ dataDir: inside, createDataDir: true });
      expect(err2.code).toBe('STORAGE_UNAVAILABLE');
      expect(err2.message).toContain(`cannot create storage directory ${inside}`);
    } finally {
      restore();
    }
  });

  it('a data path that is a file is STORAGE_UNAVAILABLE naming the path', async () => {
    const file = path.join(dir, 'plain-file');
    await writeFile(file, 'x');
    const err = await openError({ dataDir: file });
    expect(err.code).toBe('STORAGE_UNAVAILABLE');
    expect(err.message).toContain(file);
  });

  it('a read-only directory is STORAGE_UNAVAILABLE naming the database file', async () => {
    const ro = path.join(dir, 'ro');
    execFileSync('mkdir', [ro]);
    const restore = makeReadOnly(ro);
    try {
      const err = await openError({ dataDir: ro });
      expect(err.code).toBe('STORAGE_UNAVAILABLE');
      expect(err.message).toContain(path.join(ro, SQLITE_FILE_NAME));
    } finally {
      restore();
    }
  });

  it('a read-only directory with an existing database is refused at open, not at the first write', async () => {
    const ro = path.join(dir, 'ro2');
    execFileSync('mkdir', [ro]);
    const s = await openStorage({ dataDir: ro }, silentLogger);
    await s.close();
    // drop the WAL side files so a new connection must create them
    await unlink(path.join(ro, `${SQLITE_FILE_NAME}-wal`)).catch(() => {});
    await unlink(path.join(ro, `${SQLITE_FILE_NAME}-shm`)).catch(() => {});
    const restore = makeReadOnly(ro);
    try {
      const err = await openError({ dataDir: ro });
      expect(err.code).toBe('STORAGE_UNAVAILABLE');
      expect(err.message).toContain(path.join(ro, SQLITE_FILE_NAME));
    } finally {
      restore();
    }
  });

  it('a file that is not a database is STORAGE_UNAVAILABLE, and is left untouched', async () => {
    const file = path.join(dir, SQLITE_FILE_NAME);
    const garbage = 'this is not an SQLite database, it is a text file that must survive'.repeat(100);
    await writeFile(file, garbage);
    const err = await openError({ dataDir: dir });
    expect(err.code).toBe('STORAGE_UNAVAILABLE');
    expect(err.message).toContain(file);
    const { readFile } = await import('node:fs/promises');
    expect(await readFile(file, 'utf8')).toBe(garbage);
  });

  it('uses WAL journaling in <dataDir>/mcpauth.sqlite', async () => {
    await open({ dataDir: dir });
    const raw = new Database(path.join(dir, SQLITE_FILE_NAME), { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });
});

describe('expiry', () => {
  it('expired rows are invisible to every read and swept from the file', async () => {
    let now = 1_700_000_000_000;
    const s = await open({ dataDir: dir, now: () => now });
    const at = new s.adapter('AccessToken');
    const sess = new s.adapter('Session');
    const dc = new s.adapter('DeviceCode');
    await at.upsert('short', { grantId: 'g' }, 10);
    await at.upsert('long', { grantId: 'g' }, 1000);
    await sess.upsert('s1', { uid: 'u1' }, 10);
    await dc.upsert('d1', { userCode: 'UC1', grantId: 'g' }, 10);

    now += 9_999;
    expect(await at.find('short')).toEqual({ grantId: 'g' });
    now += 1; // exactly expiresIn later: expired
    expect(await at.find('short')).toBeUndefined();
    expect(await sess.findByUid('u1')).toBeUndefined();
    expect(await dc.findByUserCode('UC1')).toBeUndefined();
    await expect(at.consume('short')).rejects.toBeInstanceOf(errors.InvalidGrant);
    expect(await at.find('long')).toEqual({ grantId: 'g' });

    const count = () => {
      const raw = new Database(path.join(dir, SQLITE_FILE_NAME), { readonly: true });
      try {
        return (raw.prepare('SELECT COUNT(*) AS n FROM oidc_item').get() as { n: number }).n;
      } finally {
        raw.close();
      }
    };
    expect(count()).toBe(4);
    expect(await s.sweep!()).toBe(3);
    expect(count()).toBe(1);
  });
});

describe('failures while open', () => {
  it('a database file deleted under a running process: writes and health are STORAGE_UNAVAILABLE', async () => {
    const s = await open({ dataDir: dir });
    const a = new s.adapter('Client');
    await a.upsert('c1', { client_id: 'c1' });
    await unlink(path.join(dir, SQLITE_FILE_NAME));
    for (const op of [() => a.upsert('c2', { client_id: 'c2' }), () => a.consume('c1'), () => s.health(), () => s.kv.set('k', 'v')]) {
      await expect(op()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining(SQLITE_FILE_NAME) });
    }
  });

  // A connection keeps writing through its open descriptors after these changes; the storage
  // must refuse instead (the writes would be lost, or the file unopenable, at the next start).
  for (const what of ['directory', 'database file'] as const) {
    it(`a ${what} made read-only under a running process: writes and health are STORAGE_UNAVAILABLE, reads work; writable again, everything works`, async () => {
      const s = await open({ dataDir: dir });
      const a = new s.adapter('RefreshToken');
      await a.upsert('rt1', { grantId: 'g' }, 600);
      const target = what === 'directory' ? dir : path.join(dir, SQLITE_FILE_NAME);
      const restore = makeReadOnly(target);
      try {
        for (const op of [() => a.upsert('rt2', { grantId: 'g' }, 600), () => a.consume('rt1'), () => s.health(), () => s.kv.set('k', 'v')]) {
          await expect(op()).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining(`${target} is not writable`) });
        }
        expect(await a.find('rt1')).toMatchObject({ grantId: 'g' });
      } finally {
        restore();
      }
      expect((await a.find('rt1'))?.consumed).toBeUndefined();
      await a.consume('rt1');
      await a.upsert('rt2', { grantId: 'g' }, 600);
      await s.health();
      expect(await a.find('rt2')).toMatchObject({ grantId: 'g' });
    });
  }

  it('a database file moved away and back: STORAGE_UNAVAILABLE meanwhile, then it works with nothing lost', async () => {
    const s = await open({ dataDir: dir });
    const a = new s.adapter('Client');
    await a.upsert('c1', { client_id: 'c1' });
    const file = path.join(dir, SQLITE_FILE_NAME);
    await rename(file, `${file}.away`);
    await expect(a.upsert('c2', { client_id: 'c2' })).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE', message: expect.stringContaining(`${file} is gone`) });
    await rename(`${file}.away`, file);
    await a.upsert('c2', { client_id: 'c2' });
    await s.close();
    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.prepare("SELECT id FROM oidc_item WHERE model = 'Client' ORDER BY id").all()).toEqual([{ id: 'c1' }, { id: 'c2' }]);
    } finally {
      raw.close();
    }
  });

  it('a closed storage rejects with STORAGE_UNAVAILABLE instead of throwing synchronously', async () => {
    const s = await openStorage({ dataDir: dir }, silentLogger);
    await s.close();
    const a = new s.adapter('Grant');
    await expect(a.find('x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
    await expect(s.kv.get('x')).rejects.toMatchObject({ code: 'STORAGE_UNAVAILABLE' });
  });
});

describe('one file, several connections', () => {
  it('a consume on one connection is seen by the other, whose consume then fails', async () => {
    const s1 = await open({ dataDir: dir });
    const s2 = await open({ dataDir: dir });
    await new s1.adapter('RefreshToken').upsert('rt', { grantId: 'g' }, 60);
    await new s2.adapter('RefreshToken').consume('rt');
    expect((await new s1.adapter('RefreshToken').find('rt'))?.consumed).toEqual(expect.any(Number));
    await expect(new s1.adapter('RefreshToken').consume('rt')).rejects.toMatchObject({ code: 'ALREADY_CONSUMED' });
    expect(await s1.kv.setIfAbsent('k', 'a')).toBe(true);
    expect(await s2.kv.setIfAbsent('k', 'b')).toBe(false);
  });

  it('two processes hammering consume on the same ids: each id has exactly one winner', async () => {
    const s = await open({ dataDir: dir });
    const ids = Array.from({ length: 150 }, (_, i) => `race-${i}`);
    const a = new s.adapter('RefreshToken');
    for (const id of ids) await a.upsert(id, { grantId: 'g' }, 600);
    const result = await consumeRace('sqlite', dir, ids);
    const { perProcess } = assertExactlyOneWinner(ids, result);
    expect(perProcess.reduce((x, y) => x + y, 0)).toBe(ids.length);
  });
});
