/**
 * The persisted signing key set. Each version is a separate, write-once kv entry
 * (`signing-keys:gen:<n>`) created with setIfAbsent: that is a compare-and-set on the version
 * number, so replicas starting (or rotating) at the same moment agree on one result — the first
 * writer wins and the others adopt its set. `signing-keys:latest` is only a hint where to start
 * looking; the newest version is found by probing forward from it.
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';

import type { JWK, SigningAlg } from '../policy/types.js';
import type { KeyValue } from '../storage/types.js';

export interface StoredKey {
  /** private JWK with kid, alg, use */
  jwk: JWK;
  /** epoch s when this key stopped signing and started its overlap period */
  retiredAt?: number;
  /** epoch s after which it is no longer published */
  publishUntil?: number;
}

export interface KeySetVersion {
  generation: number;
  createdAt: number;
  /** keys[0] is the current signer */
  keys: StoredKey[];
}

const genKey = (n: number) => `signing-keys:gen:${n}`;
const LATEST_HINT = 'signing-keys:latest';

export async function generateSigningKey(alg: SigningAlg): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'RS256' ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const jwk = (await exportJWK(privateKey)) as JWK;
  const kid = await calculateJwkThumbprint(jwk as Parameters<typeof calculateJwkThumbprint>[0], 'sha256');
  return { ...jwk, kid, alg, use: 'sig' };
}

async function read(kv: KeyValue, n: number): Promise<KeySetVersion | undefined> {
  const text = await kv.get(genKey(n));
  if (text === undefined) return undefined;
  const parsed = JSON.parse(text) as KeySetVersion;
  if (parsed.generation !== n || !Array.isArray(parsed.keys) || parsed.keys.length === 0) {
    throw new Error(`stored signing key set ${genKey(n)} is damaged`);
  }
  return parsed;
}

export async function readLatest(kv: KeyValue): Promise<KeySetVersion | undefined> {
  const hint = Number(await kv.get(LATEST_HINT));
  let n = Number.isInteger(hint) && hint >= 1 ? hint : 1;
  let current = await read(kv, n);
  if (!current && n !== 1) {
    n = 1;
    current = await read(kv, n);
  }
  if (!current) return undefined;
  for (;;) {
    const next = await read(kv, n + 1);
    if (!next) return current;
    current = next;
    n += 1;
  }
}

/** Writes version `next.generation` unless someone else already did; true when we won. */
export async function tryWrite(kv: KeyValue, next: KeySetVersion): Promise<boolean> {
  const won = await kv.setIfAbsent(genKey(next.generation), JSON.stringify(next));
  if (won) await kv.set(LATEST_HINT, String(next.generation));
  return won;
}

/** Keys still to publish at `now` (the signer always is). */
export function liveKeys(version: KeySetVersion, now: number): StoredKey[] {
  return version.keys.filter((k, i) => i === 0 || k.publishUntil === undefined || k.publishUntil > now);
}

/** The version after `current`: a new signer first, older live keys retiring after `overlap`. */
export function nextVersion(current: KeySetVersion | undefined, signer: JWK, now: number, overlapSeconds: number): KeySetVersion {
  const previous = current ? liveKeys(current, now) : [];
  return {
    generation: (current?.generation ?? 0) + 1,
    createdAt: now,
    keys: [
      { jwk: signer },
      ...previous.map((k) => ({
        jwk: k.jwk,
        retiredAt: k.retiredAt ?? now,
        publishUntil: k.publishUntil ?? now + overlapSeconds,
      })),
    ],
  };
}
