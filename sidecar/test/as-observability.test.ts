// Logs never carry tokens, codes or secrets (LOG_LEVEL 1 and 2); metrics count logins, tokens
// and denials; /health reports storage; storage down answers 503 with a clear error.
import { spawn, type ChildProcess } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { freePort, startTestSidecar, TEST_RESOURCE, UPSTREAM_CLIENT_SECRET, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';

let upstream: MockUpstream;

beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(async () => {
  await upstream?.stop();
});

const COOKIE_KEY = 'cookie-key-for-the-log-test-0123456789abcdef';

/** Runs every flow that handles a secret, good and bad, and returns each secret value seen. */
async function exerciseSecrets(t: TestSidecar): Promise<string[]> {
  const secrets = new Set<string>([UPSTREAM_CLIENT_SECRET, COOKIE_KEY]);
  const driver = t.newDriver();
  const conf = await driver.registerOk({ client_name: 'Logs', redirect_uris: ['https://logs.example.com/cb'], token_endpoint_auth_method: 'client_secret_post' });
  secrets.add(conf.client_secret!);
  const outcome = await driver.authorize({ client: conf, scope: 'mcp:tools openid', resource: TEST_RESOURCE });
  secrets.add(outcome.code!);
  secrets.add(outcome.pkce!.verifier);
  secrets.add(outcome.state!);
  for (const url of outcome.visited) {
    for (const name of ['code', 'state', 'nonce', 'ref', 'code_challenge']) {
      const value = url.searchParams.get(name);
      if (value && value.length >= 8) secrets.add(value);
    }
  }
  const tokens = await driver.exchangeCode(conf, outcome);
  secrets.add(tokens.json.access_token);
  secrets.add(tokens.json.refresh_token);
  secrets.add(tokens.json.id_token);
  // Failures log too: replayed code, wrong verifier, wrong secret, reused refresh token.
  await driver.exchangeCode(conf, outcome);
  await driver.exchangeCode({ ...conf, client_secret: 'wrong-secret-value-xyz' }, outcome);
  const rotated = await driver.refresh(conf, tokens.json.refresh_token);
  secrets.add(rotated.json.refresh_token);
  secrets.add(rotated.json.access_token);
  await driver.refresh(conf, tokens.json.refresh_token);
  await driver.revoke(conf, rotated.json.refresh_token);
  await fetch(`${t.issuer}/token`, { method: 'POST', headers: { authorization: `Bearer ${tokens.json.access_token}` } });
  // forwardAuth with a token in the header and in the query.
  await fetch(`${t.issuer}/auth`, { headers: { authorization: `Bearer ${rotated.json.access_token}`, 'x-forwarded-uri': `/mcp?access_token=${rotated.json.access_token}` } });
  // Denied login.
  const saved = upstream.user;
  upstream.user = { sub: 'x', email: 'x@example.com', email_verified: false };
  const denied = await t.newDriver().authorize({ client: conf, scope: 'mcp:tools', resource: TEST_RESOURCE });
  for (const url of denied.visited) {
    const code = url.searchParams.get('code');
    if (code) secrets.add(code);
  }
  upstream.user = saved;
  for (const cookie of (driver.jar.header(new URL(`${t.issuer}/authorize/x`)) ?? '').split('; ')) {
    const value = cookie.split('=')[1];
    if (value && value.length >= 8) secrets.add(value);
  }
  return [...secrets].filter((s) => s && s.length >= 8);
}

for (const level of ['1', '2'] as const) {
  describe(`logs at LOG_LEVEL ${level}`, () => {
    it('contain no token, code or secret', async () => {
      const t = await startTestSidecar(upstream, { LOG_LEVEL: level, COOKIE_KEYS: COOKIE_KEY });
      try {
        const secrets = await exerciseSecrets(t);
        expect(secrets.length).toBeGreaterThan(10);
        expect(t.logs.length).toBeGreaterThan(0);
        const all = t.logs.join('\n');
        for (const secret of secrets) expect(all.includes(secret), `log contains ${secret.slice(0, 12)}...`).toBe(false);
        for (const line of t.logs) expect(() => JSON.parse(line)).not.toThrow();
        const levels = new Set(t.logs.map((l) => (JSON.parse(l) as { level: string }).level));
        if (level === '2') expect([...levels].every((l) => l === 'warn' || l === 'error' || l === 'fatal')).toBe(true);
        else expect(t.logs.some((l) => l.includes('"event":"token.issued"'))).toBe(true);
      } finally {
        await t.stop();
      }
    });
  });
}

describe('logger redaction', () => {
  it('redacts secret-bearing fields even if code passes them by mistake', () => {
    const lines: string[] = [];
    const log = createLogger(0, new Writable({ write(chunk, _e, done) { lines.push(String(chunk)); done(); } }) as never);
    log.info({
      req: { headers: { authorization: 'Bearer SECRET-A', cookie: 'mcpauth_session=SECRET-B' } },
      access_token: 'SECRET-C',
      body: { refresh_token: 'SECRET-D', client_secret: 'SECRET-E', code: 'SECRET-F', code_verifier: 'SECRET-G' },
      headers: { 'set-cookie': 'x=SECRET-H' },
    }, 'oops');
    log.flush?.();
    return new Promise<void>((resolve) => setTimeout(() => {
      const all = lines.join('');
      expect(all).toContain('oops');
      for (const s of 'ABCDEFGH') expect(all).not.toContain(`SECRET-${s}`);
      resolve();
    }, 50));
  });
});

describe('metrics and health', () => {
  it('/metrics counts logins, tokens issued by grant type, denials by reason, and process metrics', async () => {
    const t = await startTestSidecar(upstream);
    try {
      const client = await t.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      const { tokens } = await t.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
      await t.driver.refresh(client, tokens.json.refresh_token);
      await t.driver.refresh(client, tokens.json.refresh_token);
      await t.newDriver().authorize({ client, scope: 'mcp:tools', resource: TEST_RESOURCE, consent: 'deny' });
      const res = await fetch(`${t.issuer}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      const text = await res.text();
      expect(text).toMatch(/mcpauth_logins_total\{result="success"\} 2/);
      expect(text).toMatch(/mcpauth_tokens_issued_total\{grant_type="authorization_code"\} 1/);
      expect(text).toMatch(/mcpauth_tokens_issued_total\{grant_type="refresh_token"\} 1/);
      expect(text).toMatch(/mcpauth_denials_total\{reason="invalid_grant"\} 1/);
      expect(text).toMatch(/mcpauth_denials_total\{reason="consent_denied"\} 1/);
      expect(text).toMatch(/process_cpu_user_seconds_total/);
      const health = await fetch(`${t.issuer}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok', storage: 'sqlite' });
    } finally {
      await t.stop();
    }
  });
});

describe('storage unavailable (Redis down)', () => {
  let redis: ChildProcess | undefined;
  let port: number;

  async function startRedis(): Promise<void> {
    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i++) {
      try {
        const { createConnection } = await import('node:net');
        await new Promise<void>((resolve, reject) => {
          const socket = createConnection(port, '127.0.0.1', () => { socket.end(); resolve(); });
          socket.once('error', reject);
        });
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error('redis-server did not start');
  }

  afterAll(() => {
    redis?.kill('SIGKILL');
  });

  it('answers 503 temporarily_unavailable, and /health says so, until Redis is back', async () => {
    port = await freePort();
    await startRedis();
    const t = await startTestSidecar(upstream, { REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      expect(await (await fetch(`${t.issuer}/health`)).json()).toEqual({ status: 'ok', storage: 'redis' });
      const client = await t.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
      const { tokens } = await t.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
      expect(tokens.status).toBe(200);

      redis!.kill('SIGKILL');
      await new Promise((resolve) => redis!.once('exit', resolve));

      const health = await fetch(`${t.issuer}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ status: 'unavailable', error: 'storage unavailable' });
      const expected = { error: 'temporarily_unavailable', error_description: 'storage unavailable' };
      const refresh = await t.driver.refresh(client, tokens.json.refresh_token);
      expect(refresh.status).toBe(503);
      expect(refresh.json).toEqual(expected);
      const reg = await t.driver.register({ redirect_uris: ['http://127.0.0.1/cb'] });
      expect(reg.status).toBe(503);
      expect(reg.json).toEqual(expected);
      const authorize = await fetch(t.driver.authorizeUrl({ client, scope: 'mcp:tools' }, null), { redirect: 'manual', headers: { accept: 'application/json' } });
      expect(authorize.status).toBe(503);
      expect(authorize.headers.get('location')).toBeNull();
      const callback = await fetch(`${t.issuer}/callback?state=abc&code=def`);
      expect(callback.status).toBe(503);

      await startRedis();
      let healthy = false;
      for (let i = 0; i < 50 && !healthy; i++) {
        healthy = (await fetch(`${t.issuer}/health`)).status === 200;
        if (!healthy) await new Promise((r) => setTimeout(r, 200));
      }
      expect(healthy).toBe(true);
    } finally {
      await t.stop();
    }
  });
});
