// What one benchmark run produced, and the checks against the targets of issue 3 item 4.
import type { WrkResult } from './wrk.js';

export type ScenarioId = 'a' | 'w' | 'b' | 'c-RS256' | 'c-EdDSA' | 'd' | 'e';

/** CPU used during the measurement window, in cores (CPU seconds per wall second). */
export interface CpuShare {
  traefik: number;
  upstream: number;
  forwardAuth: number | null;
  wrk: number;
  /** Everything the machine ran, all cores together (2.0 = both cores busy). */
  machine: number;
  /** machine minus the processes above: other helpers' work and the kernel's. */
  others: number;
  cores: number;
}

export interface ScenarioResult {
  id: ScenarioId;
  title: string;
  detail: string;
  expectedStatus: number;
  wrk: WrkResult;
  /** Responses with the wrong status class, socket errors: a run with any of these is not valid. */
  problems: string[];
  rssKiB: { idle: number; before: number; after: number };
  cpu: CpuShare;
  loadAverage: number[];
  /** The same route with one connection (no queueing): the latency one request adds. */
  unloaded: WrkResult | null;
  /** Guest instances that started (their "ready" log lines); null unless Traefik logs at INFO. */
  guestStarts: number | null;
  tokens?: { distinct: number; firstIndex: number };
}

export interface SoakResult {
  seconds: number;
  connections: number;
  wrk: WrkResult;
  problems: string[];
  samples: { t: number; rssKiB: number }[];
  growthPercent: number;
  flat: boolean;
  /** Least-squares slope of RSS over the second half of the soak, in MiB per minute (context, not the criterion). */
  slopeMiBPerMinute: number;
  guestStarts: number | null;
}

export interface RunInfo {
  date: string;
  traefikVersion: string;
  wrkVersion: string;
  nodeVersion: string;
  cores: number;
  connections: number;
  threads: number;
  durationSeconds: number;
  warmupSeconds: number;
  unloadedSeconds: number;
  loadBefore: number[];
  loadAfter: number[];
  command: string;
}

/** Traefik CPU time per request during the measurement, in microseconds. */
export function traefikMicrosPerRequest(s: ScenarioResult): number {
  return (s.cpu.traefik / s.wrk.requestsPerSecond) * 1e6;
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  met: boolean;
}

/** RSS may grow this much between the first and second half of the soak and still count as flat. */
export const SOAK_FLAT_TOLERANCE = 0.05;

/**
 * Flat = the highest RSS in the second half of the soak is at most 5% above the highest RSS in
 * the first half (from the 5 s sample on; the start, while the guest pool fills, is left out).
 */
export function soakGrowth(samples: { t: number; rssKiB: number }[], seconds: number): { growthPercent: number; flat: boolean } {
  const half = seconds / 2;
  const first = samples.filter((s) => s.t >= 5 && s.t <= half).map((s) => s.rssKiB);
  const second = samples.filter((s) => s.t > half).map((s) => s.rssKiB);
  if (first.length === 0 || second.length === 0) return { growthPercent: NaN, flat: false };
  const growth = Math.max(...second) / Math.max(...first) - 1;
  return { growthPercent: growth * 100, flat: growth <= SOAK_FLAT_TOLERANCE };
}

/** Least-squares slope of RSS over the second half of the soak (after the pool has filled), in MiB per minute. */
export function soakSlope(samples: { t: number; rssKiB: number }[], seconds: number): number {
  const points = samples.filter((s) => s.t >= seconds / 2);
  if (points.length < 2) return NaN;
  const meanT = points.reduce((n, p) => n + p.t, 0) / points.length;
  const meanR = points.reduce((n, p) => n + p.rssKiB, 0) / points.length;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - meanT) * (p.rssKiB - meanR);
    den += (p.t - meanT) ** 2;
  }
  return ((num / den) * 60) / 1024;
}

export function checkTargets(byId: Map<ScenarioId, ScenarioResult>, soak: SoakResult | null): TargetCheck[] {
  const a = byId.get('a');
  const b = byId.get('b');
  const d = byId.get('d');
  const checks: TargetCheck[] = [];
  if (a && b) {
    const ratio = b.wrk.requestsPerSecond / a.wrk.requestsPerSecond;
    checks.push({ name: 'throughput b/a', target: '>= 0.85', measured: ratio.toFixed(3), met: ratio >= 0.85 });
    const delta = b.wrk.p99Ms - a.wrk.p99Ms;
    checks.push({ name: 'p99(b) - p99(a)', target: '<= 1 ms', measured: `${delta.toFixed(2)} ms (${b.wrk.p99Ms.toFixed(1)} - ${a.wrk.p99Ms.toFixed(1)})`, met: delta <= 1 });
  }
  if (b && d) {
    const ratio = b.wrk.requestsPerSecond / d.wrk.requestsPerSecond;
    checks.push({ name: 'throughput b/d', target: '>= 2', measured: ratio.toFixed(2), met: ratio >= 2 });
  }
  if (soak) {
    checks.push({
      name: `Traefik RSS over the ${soak.seconds} s soak`,
      target: `flat (second-half max <= first-half max + ${SOAK_FLAT_TOLERANCE * 100}%)`,
      measured: `${soak.growthPercent >= 0 ? '+' : ''}${soak.growthPercent.toFixed(1)}%`,
      met: soak.flat && soak.problems.length === 0,
    });
  }
  return checks;
}
