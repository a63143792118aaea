// npm run bench:wasm-host — a benchmark, not a test: what one request costs in Traefik's wasm host
// (http-wasm-host-go + wazero, the versions Traefik v3.6.12 uses, driven by the small Go program in
// scripts/bench/wasm-host) without the proxy, the network or a load generator around it. Side by
// side in one run:
//   no-op     a guest that only says "continue" (scripts/bench/lib/noop-guest.ts): the host's own cost;
//   plugin    traefik-plugin/plugin.wasm with one valid RS256 token (cache hits after the first request);
//   baseline  (with --baseline <git ref>) the plugin built from that commit, same token and options.
// It is the quick, low-noise companion of `npm run bench:traefik`: use it to see what a change to
// the request path buys before paying for the end-to-end run. With --write the figures replace the
// bench:wasm-host section of docs/benchmarks.md.
//
//   npm run bench:wasm-host [-- --write] [--baseline <git ref>] [--rounds 5]
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { writeBenchmarkSection } from './lib/benchmarks-doc.mjs';
import { noopGuestWasm } from './lib/noop-guest.js';
import { benchPolicy, keysJwks, loadOrCreateKeys, oneToken } from './lib/tokens.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cacheDir = path.join(root, '.cache', 'bench-wasm-host');

const argv = process.argv.slice(2);
const WRITE = argv.includes('--write');
const baselineIndex = argv.indexOf('--baseline');
const BASELINE = baselineIndex >= 0 ? argv[baselineIndex + 1] : undefined;
if (baselineIndex >= 0 && (!BASELINE || BASELINE.startsWith('--'))) throw new Error('--baseline needs a git ref, e.g. --baseline HEAD~3');
const roundsIndex = argv.indexOf('--rounds');
const ROUNDS = roundsIndex >= 0 ? Number(argv[roundsIndex + 1]) : 5;
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS > 50) throw new Error('--rounds must be an integer in 1..50');

interface GuestResult {
  name: string;
  microsPerOp: number;
  goAllocsPerOp: number;
  goBytesPerOp: number;
}

const log = (message: string) => console.error(`[bench] ${message}`);

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status}):\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/** The plugin as built from `ref`: its assembly/ and asconfig.json, compiled with this checkout's compiler. */
async function buildBaseline(ref: string): Promise<string> {
  const commit = run('git', ['rev-parse', '--short', `${ref}^{commit}`], root).trim();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-baseline-'));
  try {
    const archive = spawnSync('git', ['archive', commit, 'assembly', 'asconfig.json'], { cwd: root, maxBuffer: 256 * 1024 * 1024 });
    if (archive.status !== 0) throw new Error(`git archive ${commit} failed: ${archive.stderr.toString()}`);
    await writeFile(path.join(dir, 'archive.tar'), archive.stdout);
    run('tar', ['-xf', 'archive.tar'], dir);
    await symlink(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    const out = path.join(cacheDir, `plugin-${commit}.wasm`);
    run(process.execPath, [path.join(root, 'node_modules/assemblyscript/bin/asc.js'), 'assembly/index.ts', '--config', 'asconfig.json', '--target', 'plugin', '--outFile', out, '--textFile', path.join(dir, 'plugin.wat')], dir);
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function table(results: GuestResult[], baselineLabel: string | undefined): string {
  const noop = results.find((r) => r.name === 'no-op')!;
  const plugin = results.find((r) => r.name === 'plugin')!;
  const baseline = results.find((r) => r.name === 'baseline');
  const rows = results.map((r) => {
    const label = r.name === 'baseline' ? `plugin at ${baselineLabel}` : r.name === 'plugin' ? 'plugin (this checkout)' : 'no-op guest';
    const own = r.name === 'no-op' ? '-' : (r.microsPerOp - noop.microsPerOp).toFixed(1);
    return `| ${label} | ${r.microsPerOp.toFixed(1)} | ${own} | ${r.goAllocsPerOp} | ${r.goBytesPerOp.toLocaleString('en-US')} |`;
  });
  const lines = [
    '| guest | µs per request | µs over the no-op guest | Go allocations per request | Go bytes per request |',
    '|---|---:|---:|---:|---:|',
    ...rows,
  ];
  if (baseline) {
    const before = baseline.microsPerOp - noop.microsPerOp;
    const after = plugin.microsPerOp - noop.microsPerOp;
    lines.push('', `The plugin's own cost per cached request: ${after.toFixed(1)} µs vs ${before.toFixed(1)} µs at ${baselineLabel} (${(before / after).toFixed(2)}x less).`);
  }
  return lines.join('\n');
}


async function main(): Promise<void> {
  await mkdir(cacheDir, { recursive: true });
  const keys = await loadOrCreateKeys(path.join(root, '.cache', 'bench-traefik'));
  const configFile = path.join(cacheDir, 'options.json');
  const tokenFile = path.join(cacheDir, 'token.txt');
  const noopFile = path.join(cacheDir, 'noop.wasm');
  await writeFile(configFile, JSON.stringify(benchPolicy(keysJwks(keys))));
  await writeFile(tokenFile, await oneToken(keys.RS256));
  await writeFile(noopFile, noopGuestWasm());
  const guests = [`no-op=${noopFile}`, `plugin=${path.join(root, 'traefik-plugin', 'plugin.wasm')}`];
  let baselineLabel: string | undefined;
  if (BASELINE) {
    log(`building the plugin at ${BASELINE}`);
    const file = await buildBaseline(BASELINE);
    baselineLabel = path.basename(file, '.wasm').replace('plugin-', '');
    guests.push(`baseline=${file}`);
  }
  log(`running ${guests.length} guests, ${ROUNDS} interleaved rounds (go run in scripts/bench/wasm-host)`);
  const args = ['run', '.', '--config', configFile, '--token', tokenFile, '--rounds', String(ROUNDS), ...guests.flatMap((g) => ['--guest', g])];
  const stdout = run('go', args, path.join(here, 'wasm-host'), { ...process.env, GOWORK: 'off', GOFLAGS: '-mod=mod' });
  const results = JSON.parse(stdout) as GuestResult[];
  const goVersion = run('go', ['env', 'GOVERSION'], root).trim();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(', ');
  const command = argv.length ? `npm run bench:wasm-host -- ${argv.join(' ')}` : 'npm run bench:wasm-host';
  const section = [
    `Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}: http-wasm-host-go v0.7.0 + wazero v1.8.0 (Traefik v3.6.12's), ${goVersion}, best of ${ROUNDS} interleaved rounds, load average ${load}.`,
    '',
    `Command: \`${command}\``,
    '',
    table(results, baselineLabel),
  ].join('\n');
  console.log(section);
  if (WRITE) {
    await writeBenchmarkSection('wasm-host', section);
    log('docs/benchmarks.md updated');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
