// Runs the bundled sidecar (sidecar/dist/sidecar.mjs) as a child process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { TEST_RESOURCE, UPSTREAM_CLIENT_ID, UPSTREAM_CLIENT_SECRET } from './harness.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const bundlePath = path.join(repoRoot, 'sidecar/dist/sidecar.mjs');

/** Builds the bundle from the current sources (the test must not run a stale one). */
export async function buildBundle(): Promise<void> {
  await promisify(execFile)(process.execPath, [path.join(repoRoot, 'sidecar/build.mjs')], { cwd: repoRoot });
}

export interface ChildSidecar {
  process: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnSidecar(env: Record<string, string>, args: string[] = [], options: { cwd?: string } = {}): ChildSidecar {
  const child = spawn(process.execPath, [bundlePath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  child.stdout!.on('data', (d) => stdout.push(...String(d).split('\n').filter(Boolean)));
  child.stderr!.on('data', (d) => stderr.push(...String(d).split('\n').filter(Boolean)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    process: child,
    stdout,
    stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export async function waitForHealth(base: string, child: ChildSidecar, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) throw new Error(`sidecar exited: ${child.stderr.join('\n')}`);
    try {
      if ((await fetch(`${base}/health`)).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sidecar did not become healthy: ${child.stderr.join('\n')}`);
}

export interface ChildEnvOptions {
  /** the port this process listens on */
  port: number;
  /** the issuer every replica shares (default: this process's own address) */
  issuer?: string;
  /** SQLite in this directory ... */
  dataDir?: string;
  /** ... or Redis */
  redisUrl?: string;
  extra?: Record<string, string>;
}

/** Environment of a bundled sidecar against `upstreamIssuer` (the mock upstream). */
export function childEnv(upstreamIssuer: string, opts: ChildEnvOptions): Record<string, string> {
  return {
    PORT: String(opts.port),
    HOST: '127.0.0.1',
    ISSUER: opts.issuer ?? `http://127.0.0.1:${opts.port}`,
    OIDC_ISSUER: upstreamIssuer,
    CLIENT_ID: UPSTREAM_CLIENT_ID,
    CLIENT_SECRET: UPSTREAM_CLIENT_SECRET,
    RESOURCE: TEST_RESOURCE,
    ALLOWED_SCOPES: 'mcp:tools',
    LOG_LEVEL: '1',
    ...(opts.redisUrl ? { REDIS_URL: opts.redisUrl } : {}),
    ...(opts.dataDir ? { DATA_DIR: opts.dataDir } : {}),
    ...opts.extra,
  };
}
