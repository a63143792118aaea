// Key sets per issuer: inline keys from the options and keys from a mounted JWKS file (the
// sidecar's key feed). The file is re-read at most every `jwksRefreshSeconds`, and at once on an
// unknown `kid` (at most once per UNKNOWN_KID_RELOAD_SECONDS, so a flood of made-up kids costs one
// file read, not one per request). A missing or invalid file keeps the last good keys.
import { parseJson } from '../encoding/json';
import { Config } from '../policy/config';
import { VerificationKey, parseKeySet } from '../jwt/jwk';
import { KeySource } from '../jwt/verifier';
import { readFileLimited } from '../abi/wasi';
import { LogLevel } from '../abi/host';
import { logAt } from './log';

export const UNKNOWN_KID_RELOAD_SECONDS: i64 = 5;
/** Keys confirmed this recently survive a broken file (see failedRead); at least two refresh intervals. */
export const MIN_KEEP_WINDOW_SECONDS: i64 = 300;
export const MAX_JWKS_FILE_BYTES: i32 = 256 * 1024;

class IssuerKeys {
  inline: VerificationKey[] = [];
  fromFile: VerificationKey[] = [];
  merged: VerificationKey[] = [];
  file: string = '';
  refreshSeconds: i64 = 30;
  /** When the file was last read (Unix seconds); i64.MIN_VALUE = never. */
  lastRead: i64 = i64.MIN_VALUE;
  lastForced: i64 = i64.MIN_VALUE;
  /** Raw bytes of the last file content that parsed, to notice real changes. */
  lastGood: Uint8Array = new Uint8Array(0);
  /** Last problem logged, so one broken file is reported once per change, not per request. */
  lastProblem: string = '';
  /** When this instance last read the file and found it good (Unix seconds). */
  lastConfirmed: i64 = i64.MIN_VALUE;
  /** True while reads fail; `keepThroughFailure` is decided when such a streak starts. */
  inFailure: bool = false;
  keepThroughFailure: bool = false;
}

export class FileKeySource extends KeySource {
  private issuers: IssuerKeys[] = [];
  /** Bumped whenever any key set changes; the token cache is flushed on a change. */
  generation: i32 = 0;

  constructor(private config: Config) {
    super();
  }

  /** Loads inline keys (errors here are configuration errors) and the files (errors are logged). */
  init(now: i64): string {
    for (let i = 0; i < this.config.issuers.length; i++) {
      const cfg = this.config.issuers[i];
      const keys = new IssuerKeys();
      keys.file = cfg.jwksFile;
      keys.refreshSeconds = cfg.jwksRefreshSeconds;
      const inline = cfg.inlineJwks;
      if (inline != null) {
        const set = parseKeySet(inline);
        for (let w = 0; w < set.warnings.length; w++) {
          logAt(this.config, LogLevel.Warn, 'mcpauth: issuer "' + cfg.issuer + '" inline jwks: ' + set.warnings[w]);
        }
        if (set.error.length > 0 && keys.file.length == 0) {
          return 'option "issuers[' + i.toString() + '].jwks": ' + set.error;
        }
        keys.inline = set.keys;
      }
      this.issuers.push(keys);
      this.merge(keys);
      if (keys.file.length > 0) this.readFile(i, now);
    }
    return '';
  }

  keysFor(issuerIndex: i32): VerificationKey[] {
    if (issuerIndex < 0 || issuerIndex >= this.issuers.length) return [];
    return this.issuers[issuerIndex].merged;
  }

  /** Re-reads files whose refresh interval has passed. Returns true when any key set changed. */
  refreshDue(now: i64): bool {
    let changed = false;
    for (let i = 0; i < this.issuers.length; i++) {
      const k = this.issuers[i];
      if (k.file.length > 0 && (k.lastRead == i64.MIN_VALUE || now - k.lastRead >= k.refreshSeconds || now < k.lastRead)) {
        if (this.readFile(i, now)) changed = true;
      }
    }
    return changed;
  }

  reloadForUnknownKid(issuerIndex: i32, now: i64): bool {
    if (issuerIndex < 0 || issuerIndex >= this.issuers.length) return false;
    const k = this.issuers[issuerIndex];
    if (k.file.length == 0) return false;
    if (k.lastForced != i64.MIN_VALUE && now - k.lastForced < UNKNOWN_KID_RELOAD_SECONDS && now >= k.lastForced) return false;
    k.lastForced = now;
    return this.readFile(issuerIndex, now);
  }

  private merge(k: IssuerKeys): void {
    const merged = new Array<VerificationKey>();
    for (let i = 0; i < k.inline.length; i++) merged.push(k.inline[i]);
    for (let i = 0; i < k.fromFile.length; i++) merged.push(k.fromFile[i]);
    k.merged = merged;
  }

  /**
   * A failed read. Traefik pools guest instances and each has its own key sets, so an instance
   * that sat idle may hold keys the file has revoked since. The last good keys are therefore kept
   * through a failure only when this instance confirmed them shortly before the failure began
   * (within two refresh intervals, and at least MIN_KEEP_WINDOW_SECONDS); an instance that was not
   * current drops its file keys (fail closed) rather than resurrect a key revoked long ago.
   * Returns true when the keys changed.
   */
  private failedRead(k: IssuerKeys, issuer: string, message: string, now: i64): bool {
    let changed = false;
    if (!k.inFailure) {
      k.inFailure = true;
      const window = 2 * k.refreshSeconds > MIN_KEEP_WINDOW_SECONDS ? 2 * k.refreshSeconds : MIN_KEEP_WINDOW_SECONDS;
      k.keepThroughFailure = k.lastConfirmed != i64.MIN_VALUE && now - k.lastConfirmed <= window && now >= k.lastConfirmed;
      if (!k.keepThroughFailure && k.fromFile.length > 0) {
        k.fromFile = [];
        k.lastGood = new Uint8Array(0);
        this.merge(k);
        this.generation++;
        changed = true;
      }
    }
    if (message != k.lastProblem) {
      k.lastProblem = message;
      const consequence = k.keepThroughFailure
        ? ' (keeping the last good keys)'
        : changed ? ' (dropping this file\'s keys: they were not confirmed recently and may have been revoked)' : '';
      logAt(this.config, LogLevel.Error, 'mcpauth: issuer "' + issuer + '" jwksFile ' + k.file + ': ' + message + consequence);
    }
    return changed;
  }

  /** Reads one issuer's file; returns true when its keys changed. */
  private readFile(index: i32, now: i64): bool {
    const k = this.issuers[index];
    const issuer = this.config.issuers[index].issuer;
    k.lastRead = now;
    const read = readFileLimited(k.file, MAX_JWKS_FILE_BYTES);
    if (!read.ok) return this.failedRead(k, issuer, read.error, now);
    if (k.lastGood.length > 0 && bytesEqual(read.data, k.lastGood)) {
      k.lastConfirmed = now;
      k.inFailure = false;
      return false;
    }
    const parsed = parseJson(read.data, 8, MAX_JWKS_FILE_BYTES);
    if (parsed.value == null) return this.failedRead(k, issuer, 'not valid JSON: ' + parsed.error, now);
    const set = parseKeySet(parsed.value!);
    // A document that is a key set is authoritative, even with no usable key: emptying the file
    // is how an operator revokes a leaked key. Only unreadable or non-JWKS content keeps the last
    // good keys.
    if (set.error.length > 0 && !set.isKeySet) return this.failedRead(k, issuer, set.error, now);
    if (set.error.length > 0) {
      logAt(this.config, LogLevel.Warn, 'mcpauth: issuer "' + issuer + '" jwksFile ' + k.file + ': ' + set.error + ' (no key of this file is trusted now)');
    }
    for (let w = 0; w < set.warnings.length; w++) {
      logAt(this.config, LogLevel.Warn, 'mcpauth: issuer "' + issuer + '" jwksFile: ' + set.warnings[w]);
    }
    k.lastGood = read.data;
    k.fromFile = set.keys;
    k.lastProblem = '';
    k.lastConfirmed = now;
    k.inFailure = false;
    this.merge(k);
    this.generation++;
    logAt(this.config, LogLevel.Info, 'mcpauth: issuer "' + issuer + '" loaded ' + set.keys.length.toString() + ' key(s) from ' + k.file);
    return true;
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] != b[i]) return false;
  return true;
}
