// Child processes for the Traefik benchmark: start them, find free loopback ports, read what the
// kernel says about them (RSS, CPU time), and stop every one of them on the way out, including
// when the benchmark fails or is interrupted.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../../stack/ports.mjs';

export const LOCALHOST = '127.0.0.1';
/** Every HTTP call the benchmark makes itself (probes, readiness) gives up after this long. */
export const FETCH_TIMEOUT_MS = 5_000;
const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** Everything it printed on stdout and stderr (the last 64 KiB). */
  output(): string;
  /** Resolves with the exit code (or null after a signal) once it has exited. */
  exited: Promise<number | null>;
  hasExited(): boolean;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

const running = new Set<ManagedProcess>();
const OUTPUT_KEEP = 64 * 1024;

export function startProcess(name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 2 * OUTPUT_KEEP) output = output.slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      done = true;
      resolve(code);
    });
    child.on('error', (error) => {
      output += `\nspawn error: ${error.message}`;
      done = true;
      resolve(-1);
    });
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`);
  const managed: ManagedProcess = {
    name,
    child,
    pid: child.pid,
    output: () => output.slice(-OUTPUT_KEEP),
    exited,
    hasExited: () => done,
    stop: async () => {
      running.delete(managed);
      if (done) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(managed);
  void exited.then(() => running.delete(managed));
  return managed;
}

/** Stops everything still running (used on errors and on SIGINT/SIGTERM). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** Last resort when the process exits without having awaited stopAll(). */
function killAllNow(): void {
  for (const p of running) p.child.kill('SIGKILL');
}
process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    console.error(`\n[bench] ${signal}: stopping child processes`);
    void stopAll().finally(() => process.exit(130));
  });
}

export { freePort };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Thrown by a waitUntil check when waiting longer cannot help. */
export class GiveUp extends Error {}

/**
 * Polls `check` until it returns true; fails after `timeoutMs`, at once if `proc` exits or the
 * check throws GiveUp. Other errors from the check (connection refused) mean "not yet".
 */
export async function waitUntil(what: string, timeoutMs: number, check: () => Promise<boolean>, proc?: ManagedProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc?.hasExited()) throw new Error(`${proc.name} exited while waiting for ${what}\n${proc.output().slice(-4000)}`);
    const done = await check().catch((error: unknown) => {
      if (error instanceof GiveUp) throw error;
      return false;
    });
    if (done) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${proc ? `\n${proc.output().slice(-4000)}` : ''}`);
    await sleep(POLL_MS);
  }
}

/** Resident set size in KiB (VmRSS of /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) the process has used so far, in seconds; null once it is gone. */
export function cpuSeconds(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Whole-machine CPU counters from /proc/stat: busy and total time over all cores, in ticks. */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((a, b) => a + b, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle + iowait
  return { busy: total - idle, total };
}
