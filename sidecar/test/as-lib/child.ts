// Runs the bundled sidecar (sidecar/dist/sidecar.mjs) as a child process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

export function spawnSidecar(env: Record<string, string>, args: string[] = []): ChildSidecar {
  const child = spawn(process.execPath, [bundlePath, ...args], {
    cwd: repoRoot,
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
