// A restart loses nothing: the bundled sidecar registers a client, logs a user in and issues
// tokens; the process is stopped (SIGTERM, or SIGKILL: a crash) and a new one starts on the same
// DATA_DIR or Redis. The client still exists, the refresh token still works, the signing key is
// the same (old access tokens verify against the new process's /jwks), consent is remembered
// (no consent page for the same user and client, even in another browser), and the browser
// session survives too (no new upstream login).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, childEnv, spawnSidecar, waitForHealth, type ChildSidecar } from './as-lib/child.js';
import { ClientDriver, type RegisteredClient } from './as-lib/client-driver.js';
import { freePort, TEST_RESOURCE } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { startRedis, type RedisProcess } from './lib/redis.js';

let upstream: MockUpstream;
let redis: RedisProcess;
let workDir: string;
const running: ChildSidecar[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-as-restart-'));
  [upstream, redis] = await Promise.all([startMockUpstream(), startRedis(), buildBundle()]);
}, 120_000);
afterAll(async () => {
  await Promise.all(running.map((c) => c.stop('SIGKILL')));
  await upstream?.stop();
  await redis?.stop();
  await rm(workDir, { recursive: true, force: true });
});

async function jwksOf(issuer: string): Promise<JSONWebKeySet> {
  return (await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet;
}

const cases: Array<{ storage: 'sqlite' | 'redis'; stop: NodeJS.Signals }> = [
  { storage: 'sqlite', stop: 'SIGTERM' },
  { storage: 'sqlite', stop: 'SIGKILL' },
  { storage: 'redis', stop: 'SIGTERM' },
];

for (const { storage, stop } of cases) {
  describe(`restart on ${storage} after ${stop}`, () => {
    it('loses no client, refresh token, signing key, consent or session', async () => {
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      const env = childEnv(upstream.issuer, {
        port,
        ...(storage === 'redis' ? { redisUrl: redis.url } : { dataDir: await mkdtemp(path.join(workDir, 'data-')) }),
      });

      const first = spawnSidecar(env);
      running.push(first);
      await waitForHealth(issuer, first);
      const browser = new ClientDriver(issuer);
      const client: RegisteredClient = await browser.registerOk({
        client_name: 'Survivor', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none',
      });
      const confidential: RegisteredClient = await browser.registerOk({
        client_name: 'Survivor with a secret', redirect_uris: ['https://app.example.com/cb'], token_endpoint_auth_method: 'client_secret_basic',
      });
      const login = await browser.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(login.outcome.consentShown).toBe(true);
      expect(login.tokens.status).toBe(200);
      const confLogin = await browser.loginAndExchange({ client: confidential, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(confLogin.tokens.status).toBe(200);
      const jwksBefore = await jwksOf(issuer);
      const upstreamLogins = upstream.authorizeRequests.length;

      const code = await first.stop(stop);
      expect(code).toBe(stop === 'SIGTERM' ? 0 : null);

      const second = spawnSidecar(env);
      running.push(second);
      await waitForHealth(issuer, second);
      try {
        // same signing key: the old access token verifies against the new process's keys
        const jwksAfter = await jwksOf(issuer);
        expect(jwksAfter).toEqual(jwksBefore);
        const oldToken = login.tokens.json.access_token as string;
        await expect(jwtVerify(oldToken, createLocalJWKSet(jwksAfter), { issuer, audience: TEST_RESOURCE, typ: 'at+jwt' })).resolves.toBeTruthy();

        // the refresh tokens still work (the confidential client's secret too), signed by the same key
        const refreshed = await browser.refresh(client, login.tokens.json.refresh_token);
        expect(refreshed.status).toBe(200);
        expect(decodeProtectedHeader(refreshed.json.access_token).kid).toBe(decodeProtectedHeader(oldToken).kid);
        expect((await browser.refresh(confidential, confLogin.tokens.json.refresh_token)).status).toBe(200);

        // the client exists, the browser session survived (no upstream login), consent is remembered
        const again = await browser.authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'stop' });
        expect(again.code).toBeTruthy();
        expect(again.consentShown).toBe(false);
        expect(upstream.authorizeRequests.length).toBe(upstreamLogins);
        expect((await browser.exchangeCode(client, again)).status).toBe(200);

        // another browser: a new upstream login, and still no consent page for this user and client
        const other = await new ClientDriver(issuer).authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'stop' });
        expect(other.code).toBeTruthy();
        expect(other.consentShown).toBe(false);
        expect(upstream.authorizeRequests.length).toBe(upstreamLogins + 1);
      } finally {
        expect(await second.stop('SIGTERM')).toBe(0);
      }
    });
  });
}
