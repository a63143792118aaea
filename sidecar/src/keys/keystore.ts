/**
 * Signing keys of the sidecar: generated on first start, persisted in storage (so restarts and
 * replicas share them), rotated by `sidecar rotate-keys` with an overlap period during which the
 * previous keys stay published (tokens they signed keep verifying until they expire).
 *
 * Rotation takes effect for signing when a replica next loads keys (its next start): restart the
 * replicas after rotating. The new key is the first of privateJwks, which oidc-provider uses to
 * sign (it picks the first key matching the algorithm).
 */
import { SIGNING_ALGS, type JWK, type SigningAlg } from '../policy/types.js';
import { silentLogger, type LoggerLike } from '../policy/logger.js';
import { openStorage } from '../storage/index.js';
import type { Storage } from '../storage/types.js';
import { toPublicJwks } from './public-jwk.js';
import { generateSigningKey, liveKeys, nextVersion, readLatest, tryWrite, type KeySetVersion } from './keyset.js';

export interface SigningKeys {
  /** private JWKs for oidc-provider's `jwks`; keys[0] is the current signer */
  privateJwks: { keys: JWK[] };
  /** what may be published (JWKS endpoint, JWKS file) */
  publicJwks: { keys: JWK[] };
  generation: number;
  /** kid and end of publication of each non-signing key */
  retiring: { kid: string; publishUntil: number | undefined }[];
}

/** Overlap used when the configured algorithm changed since the keys were made. */
export const ALG_CHANGE_OVERLAP_SECONDS = 86400;
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 86400;

type Clock = { now?: () => number };
const epochSeconds = (clock: Clock) => Math.floor((clock.now ?? Date.now)() / 1000);

function result(version: KeySetVersion, now: number): SigningKeys {
  const live = liveKeys(version, now);
  const privateKeys = live.map((k) => k.jwk);
  return {
    privateJwks: { keys: privateKeys },
    publicJwks: toPublicJwks(privateKeys),
    generation: version.generation,
    retiring: live.slice(1).map((k) => ({ kid: k.jwk.kid as string, publishUntil: k.publishUntil })),
  };
}

/** Writes the version built from the latest one; on a lost race re-reads and tries again. */
async function advance(storage: Pick<Storage, 'kv'>, build: (current: KeySetVersion | undefined) => Promise<KeySetVersion | undefined>): Promise<KeySetVersion> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readLatest(storage.kv);
    const next = await build(current);
    if (!next) return current!;
    if (await tryWrite(storage.kv, next)) return next;
  }
  throw new Error('signing keys keep changing under us (several rotations at once?); try again');
}

/**
 * The current signing keys, creating them on first start. Keys past their overlap are dropped.
 * If `alg` differs from the stored signer's, a key for `alg` becomes the signer and the old one
 * stays published for ALG_CHANGE_OVERLAP_SECONDS.
 */
export async function loadSigningKeys(storage: Pick<Storage, 'kv'>, opts: { alg: SigningAlg } & Clock): Promise<SigningKeys> {
  if (!SIGNING_ALGS.includes(opts.alg)) throw new TypeError(`unsupported signing algorithm ${opts.alg}`);
  const now = epochSeconds(opts);
  let rotations = 0;
  const version = await advance(storage, async (current) => {
    if (current && current.keys[0].jwk.alg === opts.alg) return undefined;
    // Guard against two replicas configured with different algorithms rotating in turn forever.
    if (current && ++rotations > 2) throw new Error(`replicas disagree on the signing algorithm (stored ${current.keys[0].jwk.alg}, configured ${opts.alg})`);
    return nextVersion(current, await generateSigningKey(opts.alg), now, ALG_CHANGE_OVERLAP_SECONDS);
  });
  return result(version, now);
}

/** Makes a new key the signer; older keys stay published for `overlapSeconds`, then drop out. */
export async function rotateSigningKeys(storage: Pick<Storage, 'kv'>, opts: { alg: SigningAlg; overlapSeconds: number } & Clock): Promise<SigningKeys> {
  if (!SIGNING_ALGS.includes(opts.alg)) throw new TypeError(`unsupported signing algorithm ${opts.alg}`);
  if (!Number.isInteger(opts.overlapSeconds) || opts.overlapSeconds < 0) throw new TypeError('overlapSeconds must be a non-negative integer');
  const now = epochSeconds(opts);
  const signer = await generateSigningKey(opts.alg);
  const version = await advance(storage, async (current) => nextVersion(current, signer, now, opts.overlapSeconds));
  return result(version, now);
}

export interface RotateCommandIo {
  env?: NodeJS.ProcessEnv;
  stdout?: (line: string) => void;
  stderr?: (line: string) => void;
  log?: LoggerLike;
  now?: () => number;
}

const USAGE = `usage: sidecar rotate-keys [--overlap SECONDS] [--alg RS256|ES256|EdDSA] [--data-dir DIR | --redis-url URL]
  Makes a new signing key current; previous keys stay published for --overlap seconds (default 86400).
  Storage comes from --redis-url / REDIS_URL, else --data-dir / DATA_DIR (default ./data);
  the algorithm from --alg / SIGNING_ALG (default RS256). Restart the sidecar replicas afterwards.`;

/**
 * `sidecar rotate-keys [--overlap 86400]`: rotates and prints a JSON summary (kids only, never
 * key material). Returns the process exit code (0 ok, 1 failure, 2 usage error).
 */
export async function runRotateKeysCommand(argv: readonly string[], io: RotateCommandIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const out = io.stdout ?? ((line: string) => process.stdout.write(`${line}\n`));
  const err = io.stderr ?? ((line: string) => process.stderr.write(`${line}\n`));
  const args = argv[0] === 'rotate-keys' ? argv.slice(1) : [...argv];

  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--help' || arg === '-h') {
      out(USAGE);
      return 0;
    }
    const m = /^--(overlap|alg|data-dir|redis-url)(?:=(.*))?$/.exec(arg);
    if (!m) {
      err(`rotate-keys: unknown argument ${arg}\n${USAGE}`);
      return 2;
    }
    const value = m[2] ?? args[++i];
    if (value === undefined) {
      err(`rotate-keys: --${m[1]} needs a value`);
      return 2;
    }
    flags.set(m[1], value);
  }

  const overlapText = flags.get('overlap') ?? String(DEFAULT_ROTATION_OVERLAP_SECONDS);
  if (!/^\d{1,9}$/.test(overlapText)) {
    err(`rotate-keys: --overlap must be a whole number of seconds, got ${JSON.stringify(overlapText)}`);
    return 2;
  }
  const alg = flags.get('alg') ?? env.SIGNING_ALG ?? 'RS256';
  if (!(SIGNING_ALGS as readonly string[]).includes(alg)) {
    err(`rotate-keys: --alg must be one of ${SIGNING_ALGS.join(', ')}, got ${JSON.stringify(alg)}`);
    return 2;
  }
  const redisUrl = flags.get('redis-url') ?? env.REDIS_URL;
  const dataDir = flags.get('data-dir') ?? env.DATA_DIR ?? './data';

  let storage: Storage | undefined;
  try {
    storage = await openStorage(redisUrl ? { redisUrl } : { dataDir }, io.log ?? silentLogger);
    const keys = await rotateSigningKeys(storage, { alg: alg as SigningAlg, overlapSeconds: Number(overlapText), now: io.now });
    out(JSON.stringify({
      rotated: true,
      generation: keys.generation,
      signer: keys.privateJwks.keys[0].kid,
      alg,
      retiring: keys.retiring,
      next: 'restart the sidecar replicas so they sign with the new key',
    }));
    return 0;
  } catch (e) {
    err(`rotate-keys failed: ${(e as Error).message}`);
    return 1;
  } finally {
    await storage?.close();
  }
}
