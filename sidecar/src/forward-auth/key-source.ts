/**
 * Verification keys per issuer: inline `jwks` imported once, `jwksFile` re-read when its
 * refresh interval has passed and the file changed (inode/size/mtime), and at once — at most
 * once a second per issuer — when a token names an unknown `kid` (the sidecar may just have
 * rotated). A missing or broken file keeps the last good keys and is logged.
 */
import { readFile, stat } from 'node:fs/promises';

import type { LoggerLike } from '../policy/logger.js';
import type { IssuerPolicy, PolicyConfig } from '../policy/types.js';
import { importVerifyKeys, type VerifyKey } from '../policy/verify-keys.js';

export interface KeySource {
  /** the keys currently loaded for a configured issuer (inline first, then file keys) */
  keysFor(issuer: string): readonly VerifyKey[];
  /** re-checks files whose refresh interval has passed; cheap when nothing is due */
  refreshIfDue(): Promise<void>;
  /** a token named an unknown kid: re-read that issuer's file now (rate-limited); true if keys changed */
  reloadForUnknownKid(issuer: string): Promise<boolean>;
}

/** Unknown-kid reloads per issuer are at most this often; each costs one stat() at most. */
export const UNKNOWN_KID_RELOAD_INTERVAL_MS = 1000;

interface FileState {
  path: string;
  refreshMs: number;
  lastCheck: number;
  lastUnknownKidReload: number;
  fingerprint: string | undefined;
  keys: VerifyKey[];
  inflight: Promise<boolean> | undefined;
}

interface IssuerState {
  inline: VerifyKey[];
  file?: FileState;
}

export function createKeySource(policy: PolicyConfig, log: LoggerLike, opts: { now?: () => number } = {}): KeySource {
  const now = opts.now ?? Date.now;
  const states = new Map<string, IssuerState>();

  for (const issuer of policy.issuers) states.set(issuer.issuer, initialState(issuer, log));

  async function load(issuer: string, file: FileState): Promise<boolean> {
    file.lastCheck = now();
    let fingerprint: string;
    try {
      const st = await stat(file.path);
      fingerprint = `${st.ino}:${st.size}:${st.mtimeMs}`;
    } catch (err) {
      log.warn({ issuer, jwksFile: file.path, err: (err as Error).message, keptKeys: file.keys.length }, 'JWKS file unreadable; keeping last good keys');
      return false;
    }
    if (fingerprint === file.fingerprint) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(file.path, 'utf8'));
    } catch (err) {
      log.warn({ issuer, jwksFile: file.path, err: (err as Error).message, keptKeys: file.keys.length }, 'JWKS file not valid JSON; keeping last good keys');
      return false;
    }
    const { keys, problems } = importVerifyKeys(parsed);
    if (problems.length > 0) log.warn({ issuer, jwksFile: file.path, problems }, 'JWKS file: some keys skipped');
    if (keys.length === 0) {
      log.warn({ issuer, jwksFile: file.path, keptKeys: file.keys.length }, 'JWKS file holds no usable key; keeping last good keys');
      return false;
    }
    file.fingerprint = fingerprint;
    const before = file.keys.map((k) => k.kid).join(',');
    file.keys = keys;
    const changed = keys.map((k) => k.kid).join(',') !== before;
    log.info({ issuer, jwksFile: file.path, kids: keys.map((k) => k.kid) }, 'JWKS file loaded');
    return changed;
  }

  function loadOnce(issuer: string, file: FileState): Promise<boolean> {
    file.inflight ??= load(issuer, file).finally(() => {
      file.inflight = undefined;
    });
    return file.inflight;
  }

  return {
    keysFor(issuer) {
      const state = states.get(issuer);
      if (!state) return [];
      return state.file ? [...state.inline, ...state.file.keys] : state.inline;
    },
    async refreshIfDue() {
      const due: Promise<boolean>[] = [];
      const t = now();
      for (const [issuer, state] of states) {
        if (state.file && t - state.file.lastCheck >= state.file.refreshMs) due.push(loadOnce(issuer, state.file));
      }
      await Promise.all(due);
    },
    async reloadForUnknownKid(issuer) {
      const file = states.get(issuer)?.file;
      if (!file) return false;
      const t = now();
      if (t - file.lastUnknownKidReload < UNKNOWN_KID_RELOAD_INTERVAL_MS) return false;
      file.lastUnknownKidReload = t;
      return loadOnce(issuer, file);
    },
  };
}

function initialState(issuer: IssuerPolicy, log: LoggerLike): IssuerState {
  const { keys: inline, problems } = issuer.jwks ? importVerifyKeys(issuer.jwks) : { keys: [], problems: [] };
  if (problems.length > 0) log.warn({ issuer: issuer.issuer, problems }, 'inline JWKS: some keys skipped');
  return {
    inline,
    ...(issuer.jwksFile
      ? {
          file: {
            path: issuer.jwksFile,
            refreshMs: issuer.jwksRefreshSeconds * 1000,
            lastCheck: Number.NEGATIVE_INFINITY,
            lastUnknownKidReload: Number.NEGATIVE_INFINITY,
            fingerprint: undefined,
            keys: [],
            inflight: undefined,
          },
        }
      : {}),
  };
}
