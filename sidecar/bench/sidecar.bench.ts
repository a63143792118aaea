// npm run bench:sidecar — a benchmark, not a test: throughput and latency of the bundled sidecar
// (sidecar/dist/sidecar.mjs, a real process) on 127.0.0.1, with SQLite and then with Redis (a
// real redis-server started here), against oauth2-mock-server as the upstream IdP.
//
// For each storage: register CLIENTS public clients, log each in once (a browser session and
// consent), mint CODES authorization codes through those sessions, then measure with a fixed
// concurrency and a fixed request count:
//   1. token endpoint, grant_type=authorization_code (PKCE S256, one code per request);
//   2. token endpoint, grant_type=refresh_token (rotation; each refresh token used once);
//   3. forwardAuth GET /auth with a valid access token (round-robin over the minted tokens).
// Every response must be 200, or the run stops. Loops are bounded by the counts; all traffic is
// loopback. With --write, the table replaces the bench:sidecar section of docs/benchmarks.md.
//
//   npm run bench:sidecar [-- --write] [--concurrency 8] [--codes 400] [--refreshes 1000] [--auth 5000]
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClientDriver, type RegisteredClient } from '../test/as-lib/client-driver.js';
import { startMockUpstream, type MockUpstream } from '../test/as-lib/mock-upstream.js';
import { freePort } from '../../scripts/stack/ports.mjs';
import { writeBenchmarkSection } from '../../scripts/bench/lib/benchmarks-doc.mjs';
import { startRedis, type RedisProcess } from '../test/lib/redis.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = path.join(root, 'sidecar/dist/sidecar.mjs');
const RESOURCE = 'https://mcp.example.test/mcp';
const REDIRECT_URI = 'http://127.0.0.1/cb';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > 1_000_000) throw new Error(`--${name} must be a positive integer`);
  return value;
}

const CONCURRENCY = option('concurrency', 8);
const CLIENTS = CONCURRENCY;
const CODES = option('codes', 400);
const REFRESHES = option('refreshes', 1000);
const AUTH_REQUESTS = option('auth', 5000);
const WARMUP = 20;

// ---------------------------------------------------------------------------------------------
// HTTP with keep-alive (lighter than fetch, so the load generator takes less of the 2 cores)

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

interface Reply {
  status: number;
  body: string;
}

function send(method: string, url: URL, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

function tokenRequest(base: string, params: Record<string, string>): Promise<Reply> {
  return send('POST', new URL('/token', base), { 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams(params).toString());
}

// ---------------------------------------------------------------------------------------------
// Measurement: `total` jobs over CONCURRENCY workers; each job's latency recorded.

interface Phase {
  requests: number;
  seconds: number;
  latenciesMs: number[];
}

async function measure(total: number, job: (i: number) => Promise<void>): Promise<Phase> {
  const latenciesMs: number[] = [];
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < total) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      await job(i);
      latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }));
  return { requests: total, seconds: Number(process.hrtime.bigint() - started) / 1e9, latenciesMs };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function expectOk(what: string, reply: Reply): void {
  if (reply.status !== 200) throw new Error(`${what}: HTTP ${reply.status} ${reply.body.slice(0, 200)}`);
}

// ---------------------------------------------------------------------------------------------
// Processes


interface Sidecar {
  base: string;
  process: ChildProcess;
  stderr: string[];
}

async function startSidecar(upstream: MockUpstream, storage: { dataDir: string } | { redisUrl: string }): Promise<Sidecar> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [bundle], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER: base,
      OIDC_ISSUER: upstream.issuer,
      CLIENT_ID: 'bench-upstream-client',
      CLIENT_SECRET: 'bench-upstream-secret-0123456789abcdef',
      RESOURCE,
      ALLOWED_SCOPES: 'mcp:tools',
      REQUIRED_SCOPES: 'mcp:tools',
      LOG_LEVEL: '1', // the default: one info line per token issued (to /dev/null here)
      REGISTRATION_RATE_LIMIT: '1000/60',
      ...('redisUrl' in storage ? { REDIS_URL: storage.redisUrl } : { DATA_DIR: storage.dataDir }),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (d) => stderr.push(String(d)));
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`sidecar exited: ${stderr.join('')}`);
    try {
      if ((await fetch(`${base}/health`)).status === 200) return { base, process: child, stderr };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`sidecar did not become healthy: ${stderr.join('')}`);
}

async function stopSidecar(s: Sidecar): Promise<void> {
  if (s.process.exitCode !== null) return;
  const exited = new Promise((r) => s.process.once('exit', r));
  s.process.kill('SIGTERM');
  await exited;
}

// ---------------------------------------------------------------------------------------------
// One storage configuration

interface Row {
  storage: string;
  operation: string;
  phase: Phase;
}

interface PreparedCode {
  client: RegisteredClient;
  code: string;
  verifier: string;
}

function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

async function run(storageName: string, upstream: MockUpstream, storage: { dataDir: string } | { redisUrl: string }): Promise<Row[]> {
  const sidecar = await startSidecar(upstream, storage);
  try {
    // CLIENTS clients, each with a logged-in browser that has given consent once
    const sessions = await Promise.all(Array.from({ length: CLIENTS }, async (_, n) => {
      const browser = new ClientDriver(sidecar.base);
      const client = await browser.registerOk({ client_name: `bench ${n}`, redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'none' });
      const first = await browser.authorize({ client, scope: 'mcp:tools', resource: RESOURCE });
      if (!first.code) throw new Error(`login failed: ${first.page?.status} ${first.page?.text.slice(0, 200)}`);
      return { browser, client };
    }));

    // authorization codes through the sessions (one /authorize each; codes live 60 s)
    const codes: PreparedCode[] = [];
    await Promise.all(sessions.map(async ({ browser, client }) => {
      const mine = Math.ceil((CODES + WARMUP) / CLIENTS);
      for (let i = 0; i < mine; i++) {
        const p = pkce();
        const outcome = await browser.authorize({ client, scope: 'mcp:tools', resource: RESOURCE, pkce: p, consent: 'stop' });
        if (!outcome.code) throw new Error(`no code: ${outcome.page?.status}`);
        codes.push({ client, code: outcome.code, verifier: p.verifier });
      }
    }));

    // every refresh token minted, with its client; the pool the refresh phase draws from
    const pool: string[] = [];
    const clientOf = new Map<string, RegisteredClient>();
    const accessTokens: string[] = [];
    const exchange = async (c: PreparedCode) => {
      const reply = await tokenRequest(sidecar.base, {
        grant_type: 'authorization_code', code: c.code, code_verifier: c.verifier, redirect_uri: REDIRECT_URI, client_id: c.client.client_id,
      });
      expectOk('authorization_code', reply);
      const json = JSON.parse(reply.body) as { access_token: string; refresh_token: string };
      pool.push(json.refresh_token);
      clientOf.set(json.refresh_token, c.client);
      accessTokens.push(json.access_token);
    };
    for (const c of codes.splice(0, WARMUP)) await exchange(c);
    const codePhase = await measure(Math.min(CODES, codes.length), (i) => exchange(codes[i]!));

    // refresh chains: a worker takes a token, refreshes it, and puts the rotated one back, so no
    // token is ever presented twice
    const refresh = async () => {
      const rt = pool.shift()!;
      const client = clientOf.get(rt)!;
      const reply = await tokenRequest(sidecar.base, { grant_type: 'refresh_token', refresh_token: rt, client_id: client.client_id });
      expectOk('refresh_token', reply);
      const next = (JSON.parse(reply.body) as { refresh_token: string }).refresh_token;
      clientOf.delete(rt);
      clientOf.set(next, client);
      pool.push(next);
    };
    if (pool.length < CONCURRENCY) throw new Error('not enough refresh tokens for the concurrency');
    for (let i = 0; i < WARMUP; i++) await refresh();
    const refreshPhase = await measure(REFRESHES, () => refresh());

    // forwardAuth with valid tokens
    const auth = (i: number) => send('GET', new URL('/auth', sidecar.base), {
      authorization: `Bearer ${accessTokens[i % accessTokens.length]}`,
      'x-forwarded-method': 'POST',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'mcp.example.test',
      'x-forwarded-uri': '/mcp',
    }).then((reply) => expectOk('forwardAuth', reply));
    for (let i = 0; i < WARMUP * 5; i++) await auth(i);
    const authPhase = await measure(AUTH_REQUESTS, auth);

    return [
      { storage: storageName, operation: 'token: authorization_code', phase: codePhase },
      { storage: storageName, operation: 'token: refresh_token', phase: refreshPhase },
      { storage: storageName, operation: 'forwardAuth /auth (valid token)', phase: authPhase },
    ];
  } finally {
    await stopSidecar(sidecar);
  }
}

// ---------------------------------------------------------------------------------------------

function table(rows: Row[]): string {
  const lines = [
    '| storage | operation | concurrency | requests | req/s | p50 ms | p99 ms |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const { storage, operation, phase } of rows) {
    const sorted = [...phase.latenciesMs].sort((a, b) => a - b);
    lines.push(`| ${storage} | ${operation} | ${CONCURRENCY} | ${phase.requests} | ${(phase.requests / phase.seconds).toFixed(0)} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0]!;
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-bench-'));
  let upstream: MockUpstream | undefined;
  let redis: RedisProcess | undefined;
  try {
    upstream = await startMockUpstream();
    const rows = [...(await run('SQLite', upstream, { dataDir: path.join(workDir, 'data') }))];
    redis = await startRedis();
    rows.push(...(await run('Redis', upstream, { redisUrl: redis.url })));

    const cpus = os.cpus();
    const report = [
      `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version},`,
      `the load generator on the same cores (1-minute load average before the run: ${loadBefore.toFixed(1)}).`,
      `Command: \`npm run bench:sidecar -- --write\``,
      `(concurrency ${CONCURRENCY}, ${CLIENTS} clients; ${CODES} codes, ${REFRESHES} refreshes, ${AUTH_REQUESTS} forwardAuth requests per storage).`,
      '',
      table(rows),
    ].join('\n');
    console.log(report);

    if (process.argv.includes('--write')) {
      await writeBenchmarkSection('sidecar', report);
      console.log('\nwritten to docs/benchmarks.md');
    }
  } finally {
    agent.destroy();
    await redis?.stop();
    await upstream?.stop();
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
