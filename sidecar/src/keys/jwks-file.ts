/**
 * The key feed for the plugin: a JWKS file with the sidecar's public keys and, when configured,
 * the upstream IdP's keys. The file is replaced atomically (temp file in the same directory,
 * fsync, rename), so the plugin never reads a half-written file. Upstream keys are refreshed as
 * their Cache-Control says (bounded), retried with exponential backoff on failure, and the last
 * good keys are kept meanwhile. Only public members are ever written.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

import type { LoggerLike } from '../policy/logger.js';
import type { JWK } from '../policy/types.js';
import { importVerifyKey } from '../policy/verify-keys.js';
import { MAX_REFRESH_SECONDS, refreshDelaySeconds } from './cache-control.js';
import { toPublicJwk, toPublicJwks } from './public-jwk.js';

export { traefikDynamicSnippet } from './traefik-snippet.js';

/** Replaces `file` with the public view of `jwks` (mode 0644), atomically. */
export async function writeJwksFileAtomic(file: string, jwks: { keys: JWK[] }): Promise<void> {
  const content = `${JSON.stringify(toPublicJwks(jwks.keys))}\n`;
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await chmod(tmp, 0o644); // the umask may have narrowed the mode given to open()
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
  // Persist the rename itself; not every file system lets a directory be fsynced.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort */
  }
}

export interface JwksFeedOptions {
  file: string;
  sidecarJwks: { keys: JWK[] };
  /**
   * The upstream IdP's JWKS URL, or a function finding it (e.g. from OIDC discovery), called on
   * every refresh until it succeeds; a failure counts like a failed fetch (backoff, last good
   * keys kept, the sidecar's keys written regardless).
   */
  upstreamJwksUri?: string | (() => Promise<string>);
  log: LoggerLike;
  fetchImpl?: typeof fetch;
  /** timer hook (tests); returns a cancel function */
  schedule?: (fn: () => void, delayMs: number) => () => void;
}

export interface JwksFeed {
  stop(): void;
  /** fetches upstream keys (if configured) and rewrites the file now */
  refreshNow(): Promise<void>;
}

export const BACKOFF_INITIAL_MS = 1000;
export const BACKOFF_MAX_MS = 5 * 60 * 1000;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_JWKS_BYTES = 512 * 1024;

const defaultSchedule = (fn: () => void, delayMs: number) => {
  const t = setTimeout(fn, delayMs);
  t.unref();
  return () => clearTimeout(t);
};

/** Usable public keys of an upstream JWKS document (others are skipped and reported). */
function upstreamKeys(doc: unknown): { keys: JWK[]; skipped: string[] } {
  const list = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(list)) throw new Error('response is not a JWKS (no "keys" array)');
  const keys: JWK[] = [];
  const skipped: string[] = [];
  for (const raw of list) {
    const pub = typeof raw === 'object' && raw !== null ? toPublicJwk(raw as JWK) : undefined;
    const imported = pub ? importVerifyKey(pub) : { ok: false as const, problem: 'not a public signing key' };
    if (pub && imported.ok) keys.push(pub);
    else skipped.push(imported.ok ? 'unusable key' : imported.problem);
  }
  if (keys.length === 0) throw new Error('upstream JWKS holds no usable signing key');
  return { keys, skipped };
}

export function startJwksFeed(opts: JwksFeedOptions): JwksFeed {
  const { file, log } = opts;
  const configuredUri = opts.upstreamJwksUri;
  let upstreamJwksUri = typeof configuredUri === 'string' ? configuredUri : undefined;
  const fetchImpl = opts.fetchImpl ?? fetch;
  const schedule = opts.schedule ?? defaultSchedule;
  const sidecarKeys = toPublicJwks(opts.sidecarJwks.keys).keys;

  let upstream: JWK[] = [];
  let lastWritten: string | undefined;
  let failures = 0;
  let cancelTimer: (() => void) | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;

  async function write(): Promise<void> {
    const kids = new Set(sidecarKeys.map((k) => k.kid));
    const merged = [...sidecarKeys, ...upstream.filter((k) => k.kid === undefined || !kids.has(k.kid))];
    const content = JSON.stringify(merged);
    if (content === lastWritten) return; // unchanged: do not make the plugin reload
    await writeJwksFileAtomic(file, { keys: merged });
    lastWritten = content;
    log.info({ jwksFile: file, sidecarKeys: sidecarKeys.length, upstreamKeys: upstream.length }, 'JWKS file written');
  }

  /** One refresh; returns the delay until the next one. */
  async function cycle(): Promise<number> {
    if (!configuredUri) {
      await write();
      return Number.POSITIVE_INFINITY;
    }
    try {
      if (typeof configuredUri === 'function') upstreamJwksUri ??= await configuredUri();
      const res = await fetchImpl(upstreamJwksUri!, {
        headers: { accept: 'application/jwk-set+json, application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (text.length > MAX_JWKS_BYTES) throw new Error('response too large');
      const { keys, skipped } = upstreamKeys(JSON.parse(text));
      if (skipped.length > 0) log.warn({ upstreamJwksUri, skipped }, 'upstream JWKS: some keys skipped');
      upstream = keys;
      failures = 0;
      await write();
      return refreshDelaySeconds(res.headers.get('cache-control')) * 1000;
    } catch (err) {
      failures += 1;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (failures - 1));
      log.warn(
        { upstreamJwksUri, err: (err as Error).message, attempt: failures, retryInMs: delay, keptUpstreamKeys: upstream.length },
        'upstream JWKS refresh failed; keeping last good keys',
      );
      // the sidecar's own keys go out even while the upstream is unreachable
      await write().catch((e: Error) => log.error({ jwksFile: file, err: e.message }, 'JWKS file write failed'));
      return delay;
    }
  }

  function run(): Promise<void> {
    cancelTimer?.();
    cancelTimer = undefined;
    running ??= cycle()
      .catch((err: Error) => {
        log.error({ jwksFile: file, err: err.message }, 'JWKS file write failed');
        failures += 1;
        return Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** (failures - 1));
      })
      .then((delay) => {
        running = undefined;
        if (!stopped && Number.isFinite(delay)) {
          cancelTimer = schedule(() => void run(), Math.min(delay, MAX_REFRESH_SECONDS * 1000));
        }
      });
    return running;
  }

  void run();
  return {
    stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
    },
    async refreshNow() {
      if (running) await running;
      await run();
    },
  };
}
