// Runs wrk (Debian package `wrk`) with --latency and reads its summary. wrk keeps every connection
// alive (HTTP/1.1) for the whole run; its latency percentiles come from its own histogram.
import { spawnSync } from 'node:child_process';

import { startProcess, type ManagedProcess } from './processes.js';

export interface WrkOptions {
  url: string;
  connections: number;
  threads: number;
  durationSeconds: number;
  script: string;
  scriptArgs: string[];
}

export interface WrkResult {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  p50Ms: number;
  p75Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses other than 2xx/3xx. */
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  output: string;
}

export function wrkVersion(): string | null {
  const run = spawnSync('wrk', ['-v'], { encoding: 'utf8' });
  if (run.error) return null;
  return /wrk\s+(\S+)/.exec(`${run.stdout}${run.stderr}`)?.[1] ?? 'unknown';
}

/** Starts wrk; the caller samples processes while it runs and awaits `result`. */
export function startWrk(options: WrkOptions): { process: ManagedProcess; result: Promise<WrkResult> } {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--latency',
    '--timeout', '10s',
    '-s', options.script,
    options.url,
    '--',
    ...options.scriptArgs,
  ];
  const proc = startProcess('wrk', 'wrk', args);
  // wrk stops itself after -d; a hung wrk is killed well after that.
  const guard = setTimeout(() => void proc.stop(), (options.durationSeconds + 60) * 1000);
  const result = proc.exited.then((code) => {
    clearTimeout(guard);
    const output = proc.output();
    if (code !== 0) throw new Error(`wrk exited with ${code}:\n${output}`);
    return parseWrkOutput(output);
  });
  return { process: proc, result };
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function durationMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!match) throw new Error(`unreadable wrk duration "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

const SIZE_FACTOR: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9 };

export function parseWrkOutput(output: string): WrkResult {
  const need = (pattern: RegExp, what: string): RegExpExecArray => {
    const match = pattern.exec(output);
    if (!match) throw new Error(`wrk output has no ${what}:\n${output}`);
    return match;
  };
  const percentile = (p: number) => durationMs(need(new RegExp(`^\\s+${p}%\\s+(\\S+)$`, 'm'), `${p}% latency`)[1]!);
  const total = need(/^\s+(\d+) requests in ([\d.]+)(us|ms|s|m),/m, 'request count');
  const rps = need(/^Requests\/sec:\s+([\d.]+)([kMG]?)$/m, 'Requests/sec');
  const latency = need(/^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)/m, 'latency line');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  return {
    requests: Number(total[1]),
    seconds: durationMs(`${total[2]}${total[3]}`) / 1000,
    requestsPerSecond: Number(rps[1]) * SIZE_FACTOR[rps[2]!]!,
    p50Ms: percentile(50),
    p75Ms: percentile(75),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    maxMs: durationMs(latency[3]!),
    non2xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket
      ? { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) }
      : { connect: 0, read: 0, write: 0, timeout: 0 },
    output,
  };
}
