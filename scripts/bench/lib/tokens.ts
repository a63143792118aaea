// Keys and tokens for the Traefik benchmark. Signing 200k RS256 tokens takes minutes, so keys and
// token lists are cached under .cache/bench-traefik/ and reused while the tokens stay valid for
// long enough. Tokens are signed with jose (host-tests/lib/tokens.ts), one distinct `jti` each.
import crypto from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import { exportJWK, type JWK } from 'jose';

import { sign, type Alg, type TestKey } from '../../../host-tests/lib/tokens.js';

export const ISSUER = 'https://auth.example.com';
export const RESOURCE = 'https://mcp.example.com/mcp';
export const EMAIL = 'alice@example.com';
export const REQUIRED_SCOPE = 'mcp:tools';

/** Cached tokens are valid this long after they were minted ... */
const TOKEN_LIFETIME_S = 7 * 24 * 3600;
/** ... and reused while at least this much of it is left. */
const MIN_REMAINING_S = 12 * 3600;

export interface BenchKeys {
  RS256: TestKey;
  EdDSA: TestKey;
}

async function keyFromPrivateJwk(alg: Alg, jwk: JWK): Promise<TestKey> {
  const privateKey = crypto.createPrivateKey({ key: jwk as crypto.JsonWebKey, format: 'jwk' });
  const publicKey = crypto.createPublicKey(privateKey);
  const kid = jwk.kid!;
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, publicJwk };
}

/** The benchmark's RS256 (2048-bit) and Ed25519 keys, generated once and kept in the cache. */
export async function loadOrCreateKeys(cacheDir: string): Promise<BenchKeys> {
  const file = path.join(cacheDir, 'keys.json');
  if (!existsSync(file)) {
    const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 });
    const ed = crypto.generateKeyPairSync('ed25519');
    const suffix = crypto.randomBytes(4).toString('hex');
    const stored = {
      RS256: { ...(await exportJWK(rsa.privateKey)), kid: `bench-rs256-${suffix}` },
      EdDSA: { ...(await exportJWK(ed.privateKey)), kid: `bench-eddsa-${suffix}` },
    };
    await writeFile(`${file}.partial`, JSON.stringify(stored), { mode: 0o600 });
    await rename(`${file}.partial`, file);
  }
  const stored = JSON.parse(await readFile(file, 'utf8')) as Record<Alg, JWK>;
  return { RS256: await keyFromPrivateJwk('RS256', stored.RS256), EdDSA: await keyFromPrivateJwk('EdDSA', stored.EdDSA) };
}

function claims(nowS: number, serial: number): Record<string, unknown> {
  return {
    iss: ISSUER,
    sub: `user-${serial % 1000}`,
    aud: RESOURCE,
    iat: nowS,
    exp: nowS + TOKEN_LIFETIME_S,
    scope: `${REQUIRED_SCOPE} openid`,
    client_id: 'bench-client',
    email: EMAIL,
    email_verified: true,
    jti: crypto.randomUUID(),
  };
}

/** One valid token (fresh each run). */
export async function oneToken(key: TestKey): Promise<string> {
  return sign(key, claims(Math.floor(Date.now() / 1000), 0));
}

interface TokenFileMeta {
  kid: string;
  count: number;
  exp: number;
}

export interface TokenFile {
  file: string;
  count: number;
  /** Whether the file was made in this run (and how long that took). */
  mintedSeconds: number | null;
}

/**
 * A file of at least `count` distinct valid tokens signed by `key`, one per line: reused from the
 * cache when it holds enough tokens that stay valid for a while, minted (with progress) otherwise.
 */
export async function validTokenFile(cacheDir: string, key: TestKey, count: number): Promise<TokenFile> {
  const file = path.join(cacheDir, `tokens-${key.kid}.txt`);
  const metaFile = `${file}.json`;
  const nowS = Math.floor(Date.now() / 1000);
  if (existsSync(file) && existsSync(metaFile)) {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as TokenFileMeta;
    if (meta.kid === key.kid && meta.count >= count && meta.exp - nowS >= MIN_REMAINING_S) {
      return { file, count: meta.count, mintedSeconds: null };
    }
  }
  const started = Date.now();
  const partial = `${file}.partial`;
  const out = createWriteStream(partial);
  for (let i = 0; i < count; i++) {
    if (!out.write(`${await sign(key, claims(nowS, i))}\n`)) await once(out, 'drain');
    if ((i + 1) % 20_000 === 0) console.error(`[bench] minted ${i + 1}/${count} ${key.alg} tokens`);
  }
  out.end();
  await once(out, 'finish');
  await rename(partial, file);
  const meta: TokenFileMeta = { kid: key.kid, count, exp: nowS + TOKEN_LIFETIME_S };
  await writeFile(metaFile, JSON.stringify(meta));
  return { file, count, mintedSeconds: (Date.now() - started) / 1000 };
}

/**
 * The same tokens with one signature character changed in the middle of the signature: the
 * signature keeps its length and (for RSA) stays below the modulus, so the guest runs the full
 * verification before refusing it rather than stopping at a cheap structural check.
 */
export async function badSignatureFile(valid: TokenFile): Promise<TokenFile> {
  const file = valid.file.replace(/\.txt$/, '.bad-signature.txt');
  const lines = (await readFile(valid.file, 'utf8')).split('\n').filter((line) => line.length > 0);
  const bad = lines.map((token) => {
    const dot = token.lastIndexOf('.');
    const at = dot + 1 + Math.floor((token.length - dot - 1) / 2);
    const swapped = token[at] === 'A' ? 'B' : 'A';
    return `${token.slice(0, at)}${swapped}${token.slice(at + 1)}`;
  });
  await writeFile(`${file}.partial`, `${bad.join('\n')}\n`);
  await rename(`${file}.partial`, file);
  return { file, count: bad.length, mintedSeconds: null };
}

export function keysJwks(keys: BenchKeys): { keys: JWK[] } {
  return { keys: [keys.RS256.publicJwk, keys.EdDSA.publicJwk] };
}

/** The plugin options every benchmark gives both enforcement points (plugin and forwardAuth). */
export function benchPolicy(jwks: unknown): Record<string, unknown> {
  return {
    resource: RESOURCE,
    requiredScopes: [REQUIRED_SCOPE],
    allowedEmails: ['@example.com'],
    issuers: [{ issuer: ISSUER, algorithms: ['RS256', 'EdDSA'], jwks }],
  };
}
