// npm run bench:traefik — a benchmark, not a test: the plugin inside a real Traefik under load,
// against Traefik alone and against Traefik forwardAuth to a Node service, measured with wrk on
// 127.0.0.1 (keep-alive, fixed connection count, fixed duration per scenario):
//   (a) Traefik without middleware -> upstream (a tiny Go net/http server, scripts/bench/upstream);
//   (w) control: a wasm middleware whose guest does nothing (Traefik's wasm machinery alone);
//   (b) the plugin and one valid RS256 token (the guest's verified-token cache answers);
//   (c) the plugin and a fresh valid token per request (full verification; RS256 and EdDSA);
//   (d) Traefik forwardAuth to the sidecar's forwardAuth handler (Node, same policy), one token;
//   (e) the plugin and a flood of distinct RS256 tokens with bad signatures (all 401);
// then a soak: (b) for 60 s at 100 connections, sampling Traefik's RSS every 5 s.
// Every scenario runs in a fresh Traefik (same static configuration) so RSS figures are its own.
// With --write, the figures replace the bench:traefik section of docs/benchmarks.md and the chart
// is written to docs/bench-traefik.svg.
//
//   npm run bench:traefik [-- --write] [--duration 15] [--warmup 3] [--connections 32] [--threads 1]
//                         [--tokens 200000] [--soak-seconds 60] [--soak-connections 100]
//                         [--unloaded-seconds 5] [--only a,b,...] [--profile SECONDS] [--traefik-log INFO]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { FETCH_TIMEOUT_MS, freePort, LOCALHOST, machineCpuTicks, cpuSeconds, rssKiB, sleep, startProcess, stopAll, waitUntil, type ManagedProcess } from './lib/processes.js';
import { writeBenchmarkSection } from './lib/benchmarks-doc.mjs';
import { chartSvg, markdownSection } from './lib/report.js';
import { checkTargets, soakGrowth, soakSlope, type CpuShare, type RunInfo, type ScenarioId, type ScenarioResult, type SoakResult } from './lib/results.js';
import { NOOP_PLUGIN_NAME, startBenchTraefik, PLUGIN_NAME, type BenchTraefik } from './lib/traefik.js';
import { badSignatureFile, benchPolicy, EMAIL, keysJwks, loadOrCreateKeys, oneToken, validTokenFile, type TokenFile } from './lib/tokens.js';
import { startWrk, wrkVersion, type WrkResult } from './lib/wrk.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cacheDir = path.join(root, '.cache', 'bench-traefik');
const chartName = 'bench-traefik.svg';
const REQUEST_PATH = '/mcp';
const ALL_SCENARIOS: ScenarioId[] = ['a', 'w', 'b', 'c-RS256', 'c-EdDSA', 'd', 'e'];

// ---- options -------------------------------------------------------------------------------------

const argv = process.argv.slice(2);
function option(name: string, fallback: number, min: number, max: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = Number(argv[i + 1]);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer in ${min}..${max}`);
  return value;
}
const WRITE = argv.includes('--write');
const DURATION = option('duration', 15, 5, 600);
const WARMUP = option('warmup', 3, 0, 60);
const CONNECTIONS = option('connections', 32, 1, 1000);
const THREADS = option('threads', 1, 1, 16);
const TOKENS = option('tokens', 200_000, 1000, 2_000_000);
const SOAK_SECONDS = option('soak-seconds', 60, 0, 3600);
const SOAK_CONNECTIONS = option('soak-connections', 100, 1, 1000);
const PROFILE_SECONDS = option('profile', 0, 0, 60);
const LOG_LEVEL_INDEX = argv.indexOf('--traefik-log');
const TRAEFIK_LOG = LOG_LEVEL_INDEX >= 0 ? (argv[LOG_LEVEL_INDEX + 1] ?? '').toUpperCase() : 'ERROR';
if (!['ERROR', 'WARN', 'INFO'].includes(TRAEFIK_LOG)) throw new Error('--traefik-log must be ERROR, WARN or INFO');
const UNLOADED_SECONDS = option('unloaded-seconds', 5, 0, 600);
const onlyIndex = argv.indexOf('--only');
const ONLY = onlyIndex >= 0 ? (argv[onlyIndex + 1] ?? '').split(',') : null;
if (ONLY) for (const id of ONLY) if (!ALL_SCENARIOS.includes(id as ScenarioId)) throw new Error(`--only: unknown scenario "${id}" (${ALL_SCENARIOS.join(', ')})`);
if (THREADS > CONNECTIONS) throw new Error('--threads must not exceed --connections');

const log = (message: string) => console.error(`[bench] ${message}`);

type Middleware = 'none' | 'noop' | 'plugin' | 'forwardAuth';

function dynamicConfig(middleware: Middleware, upstreamUrl: string, policy: Record<string, unknown>, forwardAuthUrl: string): Record<string, unknown> {
  const middlewares: Record<string, unknown> = {
    [PLUGIN_NAME]: { plugin: { [PLUGIN_NAME]: policy } },
    [NOOP_PLUGIN_NAME]: { plugin: { [NOOP_PLUGIN_NAME]: { unused: true } } },
    'forward-auth': {
      forwardAuth: {
        address: `${forwardAuthUrl}/auth`,
        // The identity header the policy sets, and Authorization so Traefik drops the client's token.
        authResponseHeaders: ['X-Forwarded-User', 'Authorization'],
        maxResponseBodySize: 65536,
      },
    },
  };
  const used = { none: [], noop: [NOOP_PLUGIN_NAME], plugin: [PLUGIN_NAME], forwardAuth: ['forward-auth'] }[middleware];
  return {
    http: {
      routers: { bench: { rule: 'PathPrefix(`/`)', entryPoints: ['web'], service: 'upstream', ...(used.length ? { middlewares: used } : {}) } },
      middlewares: used.length ? Object.fromEntries(used.map((name) => [name, middlewares[name]])) : undefined,
      services: { upstream: { loadBalancer: { servers: [{ url: upstreamUrl }] } } },
    },
  };
}

// ---- helpers -------------------------------------------------------------------------------------

function requireTool(command: string, args: string[], hint: string): string {
  const run = spawnSync(command, args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (run.error || run.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${hint}`);
  return run.stdout.trim();
}

function traefikVersion(binary: string): string {
  const out = spawnSync(binary, ['version'], { encoding: 'utf8' }).stdout ?? '';
  return /Version:\s+(\S+)/.exec(out)?.[1] ?? 'unknown';
}

/** One request with curl-like fetch: status and the upstream's report of what reached it. */
async function probe(url: string, token: string | null): Promise<{ status: number; seenUser: string | null; seenAuthorization: string | null; wwwAuthenticate: string | null }> {
  const response = await fetch(url, { headers: token === null ? {} : { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  await response.arrayBuffer();
  return {
    status: response.status,
    seenUser: response.headers.get('x-seen-user'),
    seenAuthorization: response.headers.get('x-seen-authorization'),
    wwwAuthenticate: response.headers.get('www-authenticate'),
  };
}

/** Sanity checks before measuring: the route does what the scenario claims. */
async function checkRoute(id: ScenarioId, url: string, valid: string, invalid: string): Promise<void> {
  const fail = (what: string, got: unknown) => {
    throw new Error(`scenario ${id}: ${what}; got ${JSON.stringify(got)}`);
  };
  if (id === 'a' || id === 'w') {
    const r = await probe(url, valid);
    if (r.status !== 200 || r.seenAuthorization !== 'present') fail('expected 200 with the token passed through', r);
    return;
  }
  const none = await probe(url, null);
  if (none.status !== 401 || !none.wwwAuthenticate?.startsWith('Bearer')) fail('expected 401 Bearer without a token', none);
  const bad = await probe(url, invalid);
  if (bad.status !== 401) fail('expected 401 for a bad signature', bad);
  const ok = await probe(url, valid);
  if (ok.status !== 200 || ok.seenUser !== EMAIL || ok.seenAuthorization !== 'absent') fail(`expected 200, X-Forwarded-User ${EMAIL}, no Authorization upstream`, ok);
}

interface Pids {
  traefik: number;
  upstream: number;
  forwardAuth: number | null;
}

/** CPU of each process and of the whole machine between two instants. */
function cpuSnapshot(pids: number[]) {
  return { at: process.hrtime.bigint(), perPid: pids.map((pid) => cpuSeconds(pid)), machine: machineCpuTicks() };
}

function cpuShare(before: ReturnType<typeof cpuSnapshot>, after: ReturnType<typeof cpuSnapshot>, pids: Pids): CpuShare {
  const seconds = Number(after.at - before.at) / 1e9;
  const used = (i: number) => {
    const a = before.perPid[i];
    const b = after.perPid[i];
    return a === null || a === undefined || b === null || b === undefined ? 0 : (b - a) / seconds;
  };
  const cores = os.cpus().length;
  const machineTotal = after.machine.total - before.machine.total;
  const machine = machineTotal > 0 ? ((after.machine.busy - before.machine.busy) / machineTotal) * cores : 0;
  const traefik = used(0);
  const upstream = used(1);
  const wrk = used(2);
  const forwardAuth = pids.forwardAuth === null ? null : used(3);
  return { traefik, upstream, forwardAuth, wrk, machine, others: Math.max(0, machine - traefik - upstream - wrk - (forwardAuth ?? 0)), cores };
}

function problemsOf(result: WrkResult, expectedStatus: number): string[] {
  const problems: string[] = [];
  if (expectedStatus === 200 && result.non2xx > 0) problems.push(`${result.non2xx} non-2xx responses`);
  if (expectedStatus !== 200 && result.non2xx !== result.requests) problems.push(`${result.requests - result.non2xx} responses were 2xx/3xx`);
  const e = result.socketErrors;
  const socketErrors = e.connect + e.read + e.write + e.timeout;
  if (socketErrors > 0) problems.push(`socket errors ${JSON.stringify(e)}`);
  return problems;
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const wrkVer = wrkVersion();
  if (wrkVer === null) throw new Error('wrk is not installed: apt-get install -y wrk');
  const pluginDir = path.join(root, 'traefik-plugin');
  if (!existsSync(path.join(pluginDir, 'plugin.wasm'))) throw new Error('traefik-plugin/plugin.wasm is missing: run `npm run build`');
  const manifestFile = path.join(root, '.traefik.yml');
  const binary = requireTool('node', ['scripts/traefik/get-traefik.mjs'], 'see its message above (set TRAEFIK_BIN or install Traefik)');
  await mkdir(cacheDir, { recursive: true });

  const upstreamBinary = path.join(cacheDir, 'upstream');
  log('building the Go upstream');
  requireTool('go', ['build', '-o', upstreamBinary, './scripts/bench/upstream/main.go'], 'Go is needed to build scripts/bench/upstream');

  const keys = await loadOrCreateKeys(cacheDir);
  const policy = benchPolicy(keysJwks(keys));
  const singleToken = await oneToken(keys.RS256);
  const want = (id: ScenarioId) => !ONLY || ONLY.includes(id);
  const tokenFiles: Partial<Record<'RS256' | 'EdDSA' | 'bad', TokenFile>> = {};
  if (want('c-RS256') || want('e')) {
    log(`RS256 token list (${TOKENS})`);
    tokenFiles.RS256 = await validTokenFile(cacheDir, keys.RS256, TOKENS);
  }
  if (want('c-EdDSA')) {
    log(`EdDSA token list (${TOKENS})`);
    tokenFiles.EdDSA = await validTokenFile(cacheDir, keys.EdDSA, TOKENS);
  }
  if (want('e')) tokenFiles.bad = await badSignatureFile(tokenFiles.RS256!);
  const invalidToken = await (async () => {
    const file = tokenFiles.bad?.file;
    if (file) return (await readFile(file, 'utf8')).split('\n', 1)[0]!;
    const parts = singleToken.split('.');
    const sig = parts[2]!;
    const at = Math.floor(sig.length / 2);
    return `${parts[0]}.${parts[1]}.${sig.slice(0, at)}${sig[at] === 'A' ? 'B' : 'A'}${sig.slice(at + 1)}`;
  })();

  const workRoot = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-bench-traefik-'));
  const singleTokenFile = path.join(workRoot, 'single-token.txt');
  await writeFile(singleTokenFile, `${singleToken}\n`);
  const policyFile = path.join(workRoot, 'policy.json');
  await writeFile(policyFile, JSON.stringify(policy));
  const singleLua = path.join(here, 'lua', 'single-token.lua');
  const rotateLua = path.join(here, 'lua', 'rotate-tokens.lua');

  const processes: ManagedProcess[] = [];
  let traefik: BenchTraefik | null = null;
  const loadBefore = os.loadavg();
  const results: ScenarioResult[] = [];
  let soak: SoakResult | null = null;
  try {
    const upstreamPort = await freePort();
    const upstream = startProcess('upstream', upstreamBinary, ['-addr', `${LOCALHOST}:${upstreamPort}`]);
    processes.push(upstream);
    const upstreamUrl = `http://${LOCALHOST}:${upstreamPort}`;
    await waitUntil('the upstream', 10_000, async () => (await fetch(upstreamUrl, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })).ok, upstream);

    let forwardAuth: ManagedProcess | null = null;
    let forwardAuthUrl = `http://${LOCALHOST}:1`;
    if (want('d')) {
      const port = await freePort();
      forwardAuth = startProcess('forward-auth', process.execPath, ['--import', 'tsx', path.join(here, 'forward-auth-server.ts'), policyFile, String(port)], { cwd: root });
      processes.push(forwardAuth);
      forwardAuthUrl = `http://${LOCALHOST}:${port}`;
      await waitUntil('the forwardAuth service', 30_000, async () => forwardAuth!.output().includes('listening'), forwardAuth);
    }

    const scenarios: { id: ScenarioId; title: string; detail: string; middleware: Middleware; expectedStatus: number; tokens?: TokenFile }[] = [
      { id: 'a', title: 'Traefik, no middleware', detail: 'Traefik routes to the upstream with no middleware; requests carry the same token as (b), passed through untouched.', middleware: 'none', expectedStatus: 200 },
      { id: 'w', title: 'Traefik, no-op wasm guest (control)', detail: "control, not in the issue: a wasm middleware whose guest only says continue (scripts/bench/lib/noop-guest.ts, no imports), with the token of (b): what Traefik's wasm machinery (http-wasm-host-go, wazero, the guest pool) costs per request before the plugin does any work.", middleware: 'noop', expectedStatus: 200 },
      { id: 'b', title: 'plugin, one valid token', detail: 'the plugin with one valid RS256 token on every request: after the first request per guest instance, the verified-token cache answers (claims and time re-checked).', middleware: 'plugin', expectedStatus: 200 },
      { id: 'c-RS256', title: 'plugin, fresh RS256 token per request', detail: `the plugin with a different valid RS256 (2048-bit) token on every request (rotating through ${tokenFiles.RS256?.count ?? '-'} pre-minted tokens; no token is sent twice within a run shorter than the list): full signature and claims verification each time.`, middleware: 'plugin', expectedStatus: 200, tokens: tokenFiles.RS256 },
      { id: 'c-EdDSA', title: 'plugin, fresh EdDSA token per request', detail: `as (c-RS256) with Ed25519 tokens (${tokenFiles.EdDSA?.count ?? '-'} pre-minted).`, middleware: 'plugin', expectedStatus: 200, tokens: tokenFiles.EdDSA },
      { id: 'd', title: 'forwardAuth to Node', detail: "Traefik forwardAuth to the sidecar's forwardAuth handler (sidecar/src/forward-auth, node:crypto verification, same policy, no token cache) in one Node process, with the token of (b); Traefik's forwardAuth client is Go's default transport (2 idle connections per host).", middleware: 'forwardAuth', expectedStatus: 200 },
      { id: 'e', title: 'plugin, flood of bad signatures', detail: `the plugin with a different RS256 token with a bad signature (one base64url character changed mid-signature) on every request (${tokenFiles.bad?.count ?? '-'} tokens): every request verified and refused with 401.`, middleware: 'plugin', expectedStatus: 401, tokens: tokenFiles.bad },
    ];

    for (const scenario of scenarios) {
      if (!want(scenario.id)) continue;
      const workDir = path.join(workRoot, scenario.id);
      log(`scenario (${scenario.id}) ${scenario.title}: starting Traefik`);
      traefik = await startBenchTraefik({ binary, workDir, pluginDir, manifestFile, dynamicConfig: dynamicConfig(scenario.middleware, upstreamUrl, policy, forwardAuthUrl), routers: ['bench'], debug: PROFILE_SECONDS > 0, logLevel: TRAEFIK_LOG });
      const url = `${traefik.url}${REQUEST_PATH}`;
      await checkRoute(scenario.id, url, singleToken, invalidToken);
      const idle = rssKiB(traefik.pid);
      const script = scenario.tokens ? rotateLua : singleLua;
      const argsFrom = (firstIndex: number) => (scenario.tokens ? [scenario.tokens.file, String(THREADS), String(firstIndex)] : [singleTokenFile]);
      let firstIndex = 0;
      let unloadedWrapped = false;
      if (WARMUP > 0) {
        const warm = await startWrk({ url, connections: CONNECTIONS, threads: THREADS, durationSeconds: WARMUP, script, scriptArgs: argsFrom(0) }).result;
        // The measured run starts after the tokens the warm-up sent, so none of them is a cache hit.
        firstIndex = warm.requests + 1000;
      }
      const before = rssKiB(traefik.pid);
      const loadAverage = os.loadavg();
      log(`scenario (${scenario.id}): measuring ${DURATION} s (Traefik pid ${traefik.pid})`);
      const run = startWrk({ url, connections: CONNECTIONS, threads: THREADS, durationSeconds: DURATION, script, scriptArgs: argsFrom(firstIndex) });
      const pids: Pids = { traefik: traefik.pid, upstream: upstream.pid, forwardAuth: scenario.middleware === 'forwardAuth' ? forwardAuth!.pid : null };
      const pidList = [pids.traefik, pids.upstream, run.process.pid, ...(pids.forwardAuth === null ? [] : [pids.forwardAuth])];
      await sleep(1000);
      const cpuStart = cpuSnapshot(pidList);
      let profile: Promise<void> | null = null;
      if (PROFILE_SECONDS > 0) profile = captureProfile(traefik, scenario.id, Math.min(PROFILE_SECONDS, DURATION - 3));
      await sleep((DURATION - 2) * 1000);
      const cpuEnd = cpuSnapshot(pidList);
      const result = await run.result;
      await profile;
      const after = rssKiB(traefik.pid);
      let unloaded: WrkResult | null = null;
      if (UNLOADED_SECONDS > 0) {
        // One connection: no queueing, so latency is what one request costs on this route.
        const from = firstIndex + result.requests + 1000;
        unloaded = await startWrk({ url, connections: 1, threads: 1, durationSeconds: UNLOADED_SECONDS, script, scriptArgs: scenario.tokens ? [scenario.tokens.file, '1', String(from)] : [singleTokenFile] }).result;
        if (scenario.tokens && from + unloaded.requests > scenario.tokens.count) unloadedWrapped = true;
      }
      const logPath = traefik.logPath;
      await traefik.stop();
      traefik = null;
      // The plugin logs "ready" at info once per guest instance it initializes.
      const guestStarts = TRAEFIK_LOG === 'INFO' && scenario.middleware === 'plugin' ? ((await readFile(logPath, 'utf8')).match(/mcpauth: ready for/g) ?? []).length : null;
      const scenarioResult: ScenarioResult = {
        id: scenario.id,
        title: scenario.title,
        detail: scenario.detail,
        expectedStatus: scenario.expectedStatus,
        wrk: result,
        problems: problemsOf(result, scenario.expectedStatus),
        rssKiB: { idle, before, after },
        cpu: cpuShare(cpuStart, cpuEnd, pids),
        loadAverage,
        unloaded,
        guestStarts,
        ...(scenario.tokens ? { tokens: { distinct: scenario.tokens.count, firstIndex } } : {}),
      };
      if (scenario.tokens && result.requests + firstIndex > scenario.tokens.count) {
        scenarioResult.problems.push(`the token list wrapped (${result.requests + firstIndex} > ${scenario.tokens.count} tokens)`);
      }
      if (unloaded) scenarioResult.problems.push(...problemsOf(unloaded, scenario.expectedStatus).map((p) => `1 connection: ${p}`));
      if (unloadedWrapped) scenarioResult.problems.push('1 connection: the token list wrapped');
      results.push(scenarioResult);
      log(`(${scenario.id}) ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, RSS ${idle}/${before}/${after} KiB, ${guestStarts === null ? '' : `guest instances started ${guestStarts}, `}cpu ${JSON.stringify(scenarioResult.cpu, (_k, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(2)) : v))}${scenarioResult.problems.length ? ` PROBLEMS: ${scenarioResult.problems.join('; ')}` : ''}`);
    }

    if (SOAK_SECONDS > 0 && (!ONLY || ONLY.includes('b'))) {
      log(`soak: scenario (b) for ${SOAK_SECONDS} s at ${SOAK_CONNECTIONS} connections`);
      traefik = await startBenchTraefik({ binary, workDir: path.join(workRoot, 'soak'), pluginDir, manifestFile, dynamicConfig: dynamicConfig('plugin', upstreamUrl, policy, forwardAuthUrl), routers: ['bench'], logLevel: TRAEFIK_LOG });
      const url = `${traefik.url}${REQUEST_PATH}`;
      await checkRoute('b', url, singleToken, invalidToken);
      const run = startWrk({ url, connections: SOAK_CONNECTIONS, threads: THREADS, durationSeconds: SOAK_SECONDS, script: singleLua, scriptArgs: [singleTokenFile] });
      const started = Date.now();
      const samples: { t: number; rssKiB: number }[] = [{ t: 0, rssKiB: rssKiB(traefik.pid) }];
      for (let t = 5; t <= SOAK_SECONDS; t += 5) {
        // The last sample is taken half a second before wrk stops, still under load.
        const at = t === SOAK_SECONDS ? t * 1000 - 500 : t * 1000;
        await sleep(Math.max(0, started + at - Date.now()));
        samples.push({ t, rssKiB: rssKiB(traefik.pid) });
        log(`soak t=${t}s RSS ${(samples.at(-1)!.rssKiB / 1024).toFixed(1)} MiB`);
      }
      const result = await run.result;
      const logPath = traefik.logPath;
      await traefik.stop();
      traefik = null;
      const guestStarts = TRAEFIK_LOG === 'INFO' ? ((await readFile(logPath, 'utf8')).match(/mcpauth: ready for/g) ?? []).length : null;
      const growth = soakGrowth(samples, SOAK_SECONDS);
      soak = { seconds: SOAK_SECONDS, connections: SOAK_CONNECTIONS, wrk: result, problems: problemsOf(result, 200), samples, ...growth, slopeMiBPerMinute: soakSlope(samples, SOAK_SECONDS), guestStarts };
      log(`soak: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.p99Ms} ms, growth ${growth.growthPercent.toFixed(1)}% (${growth.flat ? 'flat' : 'NOT flat'})`);
    }
  } finally {
    await traefik?.stop();
    for (const p of processes) await p.stop();
    await stopAll();
    await rm(workRoot, { recursive: true, force: true });
  }

  const byId = new Map(results.map((r) => [r.id, r]));
  const targets = checkTargets(byId, soak);
  const command = argv.length ? `npm run bench:traefik -- ${argv.join(' ')}` : 'npm run bench:traefik';
  const run: RunInfo = {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    traefikVersion: traefikVersion(binary),
    wrkVersion: wrkVer,
    nodeVersion: process.version,
    cores: os.cpus().length,
    connections: CONNECTIONS,
    threads: THREADS,
    durationSeconds: DURATION,
    warmupSeconds: WARMUP,
    unloadedSeconds: UNLOADED_SECONDS,
    loadBefore,
    loadAfter: os.loadavg(),
    command,
  };
  const section = markdownSection(run, results, soak, targets, chartName);
  console.log(section);
  await writeFile(path.join(cacheDir, 'last-run.json'), JSON.stringify({ run, results: results.map((r) => ({ ...r, wrk: { ...r.wrk, output: undefined } })), soak, targets }, null, 2));
  if (WRITE) {
    await writeFile(path.join(root, 'docs', chartName), chartSvg(run, results));
    await writeBenchmarkSection('traefik', section, SECTION_INTRO);
    log(`wrote docs/benchmarks.md (bench:traefik section) and docs/${chartName}`);
  } else {
    await writeFile(path.join(cacheDir, chartName), chartSvg(run, results));
    log(`chart preview: ${path.relative(root, path.join(cacheDir, chartName))} (use --write to update docs/)`);
  }
}

/** CPU profile of Traefik (Go pprof via api.debug) while the scenario runs; summary printed. */
async function captureProfile(traefik: BenchTraefik, id: ScenarioId, seconds: number): Promise<void> {
  const out = path.join(cacheDir, `profile-${id}.pb.gz`);
  const response = await fetch(`${traefik.adminUrl}/debug/pprof/profile?seconds=${seconds}`, { signal: AbortSignal.timeout((seconds + 30) * 1000) });
  if (!response.ok) {
    log(`profile (${id}): pprof answered ${response.status}`);
    return;
  }
  await writeFile(out, Buffer.from(await response.arrayBuffer()));
  const top = spawnSync('go', ['tool', 'pprof', '-top', '-nodecount=25', out], { encoding: 'utf8', timeout: 120_000 });
  log(`profile (${id}) saved to ${path.relative(root, out)}\n${(top.stdout || top.stderr || '').split('\n').slice(0, 34).join('\n')}`);
}

const SECTION_INTRO = `## Traefik end to end (\`npm run bench:traefik\`)

Command: \`npm run bench:traefik -- --write\` (builds the plugin, runs \`scripts/bench/traefik.bench.ts\`
and rewrites this section and \`docs/${chartName}\`). Everything runs on 127.0.0.1: a fresh Traefik
(from \`scripts/traefik/get-traefik.mjs\`, log level ERROR, no access log) per scenario with the
plugin installed as a local plugin, a minimal Go upstream (\`scripts/bench/upstream\`), and wrk with
keep-alive connections, a fixed connection count and a fixed duration; Lua scripts in
\`scripts/bench/lua\` set the \`Authorization\` header (one token, or the next of a pre-minted list
per request). Scenario (w) is a control the issue does not ask for: a wasm middleware that does
nothing, to separate Traefik's wasm machinery from the plugin's own work.

How to read the figures: wrk is closed-loop, so on a CPU-bound machine throughput is set by CPU
cost per request and latency at 32 connections is mostly queueing (mean latency ~ connections /
req/s). "Traefik CPU µs per request" (Traefik's CPU time over the measurement / requests) is the
least load-sensitive figure; the 1-connection run shows the latency one request adds without
queueing. Traefik RSS is \`VmRSS\` of its process: at idle after start, after the warm-up, and at
the end. CPU columns are CPU seconds per second of each process during the measurement (2.0 = both
cores); "others" is the rest of the machine (other work on this shared box).

Options: \`--duration S\`, \`--warmup S\`, \`--connections N\`, \`--threads N\`, \`--tokens N\`,
\`--unloaded-seconds S\` (the 1-connection run), \`--soak-seconds S\`, \`--soak-connections N\`,
\`--only a,w,b,...\`, \`--profile S\` (Go CPU profile of Traefik per scenario, printed, not written
here), \`--traefik-log INFO\` (counts the guest instances Traefik starts, from the plugin's "ready"
lines; adds log I/O). Tokens are minted once with jose and cached in \`.cache/bench-traefik/\`.
\`npx tsx scripts/bench/guest-request-cost.ts\` (hand-run) shows where the guest's time goes on one
request, in V8.
`;


main().catch(async (error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  await stopAll();
  process.exit(1);
});
