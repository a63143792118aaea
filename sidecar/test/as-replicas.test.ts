// Two sidecar processes (the bundled sidecar/dist/sidecar.mjs) behind one issuer, sharing one
// storage: one Redis (a real redis-server started here) or one SQLite DATA_DIR. As replicas
// behind a load balancer: a login hopping between them works, rotation and replay
// detection hold across processes, and of two concurrent refreshes with one refresh token, one
// at each replica, exactly one wins; a replay of that token afterwards revokes the winner's family.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, childEnv, spawnSidecar, waitForHealth, type ChildSidecar } from './as-lib/child.js';
import { ClientDriver, type HttpResult, type RegisteredClient } from './as-lib/client-driver.js';
import { freePort, TEST_RESOURCE } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';
import { startRedis, type RedisProcess } from './lib/redis.js';

let upstream: MockUpstream;
let redis: RedisProcess;
let workDir: string;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'mcpauth-as-replicas-'));
  [upstream, redis] = await Promise.all([startMockUpstream(), startRedis(), buildBundle()]);
}, 120_000);
afterAll(async () => {
  await upstream?.stop();
  await redis?.stop();
  await rm(workDir, { recursive: true, force: true });
});

/** A browser whose requests to the sidecar go to each replica in turn (a round-robin balancer). */
class HoppingBrowser extends ClientDriver {
  #turn = 0;

  constructor(issuer: string, readonly bases: string[], readonly seen: string[]) {
    super(issuer);
  }

  #route(url: URL): URL {
    if (!this.bases.includes(url.origin)) return url; // the upstream IdP
    const base = this.bases[this.#turn++ % this.bases.length]!;
    this.seen.push(base);
    return new URL(url.pathname + url.search, base);
  }

  override browserGet(url: URL): Promise<Response> {
    return super.browserGet(this.#route(url));
  }

  override browserPost(url: URL, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return super.browserPost(this.#route(url), form, headers);
  }
}

for (const kind of ['redis', 'sqlite'] as const) {
  describe(`two sidecar processes on one ${kind === 'redis' ? 'Redis' : 'SQLite data directory'}`, () => {
    const replicas: ChildSidecar[] = [];
    let issuer: string;
    let viaA: ClientDriver;
    let viaB: ClientDriver;
    let client: RegisteredClient;

    beforeAll(async () => {
      const [portA, portB] = [await freePort(), await freePort()];
      issuer = `http://127.0.0.1:${portA}`;
      const storage = kind === 'redis' ? { redisUrl: redis.url } : { dataDir: await mkdtemp(path.join(workDir, 'data-')) };
      // The second replica listens elsewhere but serves the same issuer (pinned from ISSUER).
      const baseB = `http://127.0.0.1:${portB}`;
      replicas.push(spawnSidecar(childEnv(upstream.issuer, { port: portA, issuer, ...storage })));
      replicas.push(spawnSidecar(childEnv(upstream.issuer, { port: portB, issuer, ...storage })));
      await Promise.all([waitForHealth(issuer, replicas[0]!), waitForHealth(baseB, replicas[1]!)]);
      viaA = new ClientDriver(issuer);
      viaB = new ClientDriver(baseB);
      client = await viaA.registerOk({ client_name: `Replicated ${kind}`, redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
    }, 60_000);

    afterAll(async () => {
      await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
    });

    async function login(): Promise<{ access_token: string; refresh_token: string }> {
      const { tokens } = await viaA.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(tokens.status).toBe(200);
      return tokens.json;
    }

    const expectInvalidGrant = (res: HttpResult) => {
      expect(res.status).toBe(400);
      expect(res.json.error).toBe('invalid_grant');
    };

    it('complete a login whose browser steps alternate between the replicas (consent page included)', async () => {
      const fresh = await viaA.registerOk({ client_name: 'Hopper', redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      const hosts: string[] = [];
      const browser = new HoppingBrowser(issuer, [issuer, viaB.issuer], hosts);
      const { outcome, tokens } = await browser.loginAndExchange({ client: fresh, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(outcome.consentShown).toBe(true);
      expect(tokens.status).toBe(200);
      expect(new Set(hosts)).toEqual(new Set([issuer, viaB.issuer]));
    });

    it('share the signing key: a token minted at one verifies against the other\'s /jwks', async () => {
      const { access_token } = await login();
      const jwksB = (await (await fetch(viaB.url('/jwks'))).json()) as JSONWebKeySet;
      const jwksA = (await (await fetch(viaA.url('/jwks'))).json()) as JSONWebKeySet;
      expect(jwksB).toEqual(jwksA);
      await expect(jwtVerify(access_token, createLocalJWKSet(jwksB), { issuer, audience: TEST_RESOURCE, typ: 'at+jwt' })).resolves.toBeTruthy();
    });

    it('rotate a refresh token at either replica; a replay of a rotated one at the other revokes the family everywhere', async () => {
      const t0 = await login();
      const r1 = await viaB.refresh(client, t0.refresh_token);
      expect(r1.status).toBe(200);
      const r2 = await viaA.refresh(client, r1.json.refresh_token);
      expect(r2.status).toBe(200);
      expectInvalidGrant(await viaB.refresh(client, t0.refresh_token));
      expectInvalidGrant(await viaA.refresh(client, r2.json.refresh_token));
      expectInvalidGrant(await viaB.refresh(client, r2.json.refresh_token));
    });

    it('two concurrent refreshes with one token, one at each replica: exactly one wins; a later replay revokes the winner\'s family', async () => {
      for (let round = 0; round < 4; round++) {
        const { refresh_token } = await login();
        const results = await Promise.all([viaA.refresh(client, refresh_token), viaB.refresh(client, refresh_token)]);
        expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
        const winner = results.find((r) => r.status === 200)!;
        expectInvalidGrant(results.find((r) => r.status === 400)!);
        expect(winner.json.refresh_token).toEqual(expect.any(String));
        expect(winner.json.refresh_token).not.toBe(refresh_token);

        expectInvalidGrant(await (round % 2 === 0 ? viaA : viaB).refresh(client, refresh_token));
        expectInvalidGrant(await (round % 2 === 0 ? viaB : viaA).refresh(client, winner.json.refresh_token));
      }
    });
  });
}
