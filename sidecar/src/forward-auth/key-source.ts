/**
 * Verification keys per issuer, kept as the plugin keeps them (assembly/plugin/keys.ts): inline
 * `jwks` parsed once, `jwksFile` re-read when its refresh interval has passed and at once — at
 * most once every UNKNOWN_KID_RELOAD_SECONDS per issuer — when a token names an unknown `kid`
 * (the sidecar may just have rotated). The file is parsed with the plugin's strict JSON and key
 * rules; a file that is missing, too large, not JSON or not a key set keeps the last good keys and
 * is logged once per distinct problem. A key set is authoritative even without one usable key:
 * writing `{"keys": []}` is how an operator revokes a leaked key. Inline keys come first, then the file's.
 */
import { readFile, stat } from 'node:fs/promises';

import { parseJson } from '../policy/json.js';
import type { LoggerLike } from '../policy/logger.js';
import type { IssuerPolicy, PolicyConfig } from '../policy/types.js';
import { importVerifyKeys, parseKeySet, type VerifyKey } from '../policy/verify-keys.js';

export interface KeySource {
  /** the keys currently loaded for a configured issuer (inline first, then file keys) */
  keysFor(issuer: string): readonly VerifyKey[];
  /** re-reads files whose refresh interval has passed; cheap when nothing is due */
  refreshIfDue(): Promise<void>;
  /** a token named an unknown kid: re-read that issuer's file now (rate-limited); true if keys changed */
  reloadForUnknownKid(issuer: string): Promise<boolean>;
}

/** Unknown-kid reloads per issuer happen at most this often (the plugin's interval). */
export const UNKNOWN_KID_RELOAD_SECONDS = 5;
/** Larger key files are refused (the plugin's limit). */
export const MAX_JWKS_FILE_BYTES = 256 * 1024;

interface FileState {
  path: string;
  refreshSeconds: number;
  /** Unix seconds of the last read, or undefined before the first */
  lastRead: number | undefined;
  lastForced: number | undefined;
  /** bytes of the last content that gave usable keys, to notice real changes */
  lastGood: Buffer | undefined;
  lastProblem: string;
  keys: VerifyKey[];
  inflight: Promise<boolean> | undefined;
}

interface IssuerState {
  inline: VerifyKey[];
  file?: FileState;
}

export function createKeySource(policy: Pick<PolicyConfig, 'issuers'>, log: LoggerLike, opts: { now?: () => number } = {}): KeySource {
  const nowMs = opts.now ?? Date.now;
  const nowSeconds = (): number => Math.floor(nowMs() / 1000);
  const states = new Map<string, IssuerState>();
  for (const issuer of policy.issuers) states.set(issuer.issuer, initialState(issuer, log));

  function problem(issuer: string, file: FileState, message: string): void {
    if (message === file.lastProblem) return;
    file.lastProblem = message;
    log.warn({ issuer, jwksFile: file.path, problem: message, keptKeys: file.keys.length }, `JWKS file ${message}; keeping last good keys`);
  }

  async function load(issuer: string, file: FileState): Promise<boolean> {
    file.lastRead = nowSeconds();
    let bytes: Buffer;
    try {
      const st = await stat(file.path);
      if (st.size > MAX_JWKS_FILE_BYTES) {
        problem(issuer, file, `over ${MAX_JWKS_FILE_BYTES} bytes`);
        return false;
      }
      bytes = await readFile(file.path);
    } catch (err) {
      problem(issuer, file, `unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return false;
    }
    if (file.lastGood !== undefined && bytes.equals(file.lastGood)) return false;
    const parsed = parseJson(bytes, 8, MAX_JWKS_FILE_BYTES);
    if (!parsed.ok) {
      problem(issuer, file, `not valid JSON (${parsed.error})`);
      return false;
    }
    const set = parseKeySet(parsed.value);
    if (set.error && !set.isKeySet) {
      problem(issuer, file, `is not a key set (${set.error})`);
      return false;
    }
    if (set.error) log.warn({ issuer, jwksFile: file.path, problem: set.error }, 'JWKS file holds no usable key: no key of this file is trusted now');
    if (set.warnings.length > 0) log.warn({ issuer, jwksFile: file.path, problems: set.warnings }, 'JWKS file: some keys skipped');
    file.lastGood = bytes;
    file.keys = set.keys;
    file.lastProblem = '';
    log.info({ issuer, jwksFile: file.path, kids: set.keys.map((k) => k.kid) }, 'JWKS file loaded');
    return true;
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
      const t = nowSeconds();
      const due: Promise<boolean>[] = [];
      for (const [issuer, state] of states) {
        const f = state.file;
        if (f && (f.lastRead === undefined || t - f.lastRead >= f.refreshSeconds || t < f.lastRead)) due.push(loadOnce(issuer, f));
      }
      await Promise.all(due);
    },
    async reloadForUnknownKid(issuer) {
      const file = states.get(issuer)?.file;
      if (!file) return false;
      const t = nowSeconds();
      if (file.lastForced !== undefined && t - file.lastForced < UNKNOWN_KID_RELOAD_SECONDS && t >= file.lastForced) return false;
      file.lastForced = t;
      return loadOnce(issuer, file);
    },
  };
}

function initialState(issuer: IssuerPolicy, log: LoggerLike): IssuerState {
  const { keys: inline, problems } = issuer.jwks ? importVerifyKeys(issuer.jwks) : { keys: [], problems: [] };
  if (problems.length > 0) log.warn({ issuer: issuer.issuer, problems }, 'inline JWKS: some keys skipped');
  if (!issuer.jwksFile) return { inline };
  return {
    inline,
    file: {
      path: issuer.jwksFile,
      refreshSeconds: issuer.jwksRefreshSeconds,
      lastRead: undefined,
      lastForced: undefined,
      lastGood: undefined,
      lastProblem: '',
      keys: [],
      inflight: undefined,
    },
  };
}
