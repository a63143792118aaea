// The SQLite disk failing under a running sidecar, seen over HTTP: the data directory or the
// database file made read-only, or the file moved away. Every endpoint that must write answers
// 503 with a clear error (and the log says which path and why); nothing is half-done (the
// refresh token presented during the outage is not spent); once the disk is back everything
// works again with nothing lost, and the file passes SQLite's integrity check.
import { rename } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredClient } from './as-lib/client-driver.js';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { makeReadOnly } from './lib/read-only.js';
import { SQLITE_FILE_NAME } from '../src/storage/index.js';

let upstream: MockUpstream;
let t: TestSidecar;
let client: RegisteredClient;

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream);
  client = await t.driver.registerOk({ client_name: 'Disk test', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

const dbFile = () => path.join(t.dataDir, SQLITE_FILE_NAME);

async function refreshToken(): Promise<string> {
  const { tokens } = await t.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
  expect(tokens.status).toBe(200);
  return tokens.json.refresh_token as string;
}

/** Every write path answers 503 with a clear error; the presented refresh token is not spent. */
async function expectUnavailable(refresh: string, reason: string): Promise<void> {
  const logsBefore = t.logs.length;
  const token = await t.driver.refresh(client, refresh);
  expect(token.status).toBe(503);
  expect(token.headers.get('retry-after')).toBe('5');
  expect(token.json).toEqual({ error: 'temporarily_unavailable', error_description: 'storage unavailable' });

  const registration = await t.driver.register({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
  expect(registration.status).toBe(503);
  expect(registration.json.error).toBe('temporarily_unavailable');

  const health = await fetch(`${t.issuer}/health`);
  expect(health.status).toBe(503);
  expect(await health.json()).toEqual({ status: 'unavailable', storage: 'sqlite', error: 'storage unavailable' });

  // The operator learns what is wrong from the log (the responses never name paths).
  const logged = t.logs.slice(logsBefore);
  const tokenLine = logged.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'storage.unavailable' && l.path === '/token');
  expect(tokenLine?.reason).toContain(reason);
  expect(logged.join('\n')).not.toContain(refresh);
}

async function expectWorking(refresh: string): Promise<string> {
  expect((await fetch(`${t.issuer}/health`)).status).toBe(200);
  const res = await t.driver.refresh(client, refresh);
  expect(res.status).toBe(200);
  expect((await t.driver.register({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' })).status).toBe(201);
  return res.json.refresh_token as string;
}

describe('SQLite storage failing under a running sidecar', () => {
  const cases: Array<[string, () => () => void | Promise<void>, (dir: string) => string]> = [
    ['the data directory made read-only', () => makeReadOnly(t.dataDir), (dir) => `storage directory ${dir} is not writable`],
    ['the database file made read-only', () => makeReadOnly(dbFile()), (dir) => `SQLite database ${path.join(dir, SQLITE_FILE_NAME)} is not writable`],
  ];
  for (const [label, breakIt, reason] of cases) {
    it(`${label}: 503 on every write path, then it works again with nothing lost`, async () => {
      const refresh = await refreshToken();
      const restore = breakIt();
      try {
        await expectUnavailable(refresh, reason(t.dataDir));
      } finally {
        await restore();
      }
      // the refresh token tried during the outage was not spent, and rotates normally now
      const next = await expectWorking(refresh);
      expect((await t.driver.refresh(client, next)).status).toBe(200);
    });
  }

  it('the database file moved away: 503 (the log says it is gone); moved back: it works again with nothing lost', async () => {
    const refresh = await refreshToken();
    await rename(dbFile(), `${dbFile()}.away`);
    try {
      await expectUnavailable(refresh, `SQLite database ${dbFile()} is gone`);
    } finally {
      await rename(`${dbFile()}.away`, dbFile());
    }
    await expectWorking(refresh);
  });

  it('leaves a database that passes SQLite\'s integrity check', async () => {
    const raw = new Database(dbFile(), { readonly: true });
    try {
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      raw.close();
    }
  });
});
