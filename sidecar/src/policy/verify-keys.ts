/**
 * JWK / JWKS -> verification keys, with the wasm plugin's rules (assembly/jwt/jwk.ts), so both
 * enforcement points trust exactly the same keys: RSA 2048..4096-bit, odd modulus, e = 65537, no
 * ROCA fingerprint; EC P-256 with canonical coordinates on the curve; Ed25519 with a canonical
 * encoding of a point that is not of small order. `use` (when set) must be `sig`, `key_ops` (when
 * set) must include `verify`, a key's own `alg` must fit its type. A key that fails is skipped with
 * a warning; a set is unusable only as a whole (not an object, `keys` not an array, more than 64
 * keys, nothing usable). Keys sharing a `kid` are all dropped: a lookup by `kid` is never ambiguous.
 * A key without a `kid` member has no kid; `"kid": ""` is a kid like any other.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';

import { decodeStrictBase64url } from './base64url.js';
import { fromJs, member, type JsonNode } from './json.js';
import type { SigningAlg } from './types.js';

export interface VerifyKey {
  /** the key's `kid`; undefined when it has none (`"kid": ""` is a kid) */
  kid: string | undefined;
  /** the one algorithm this key's type verifies */
  alg: SigningAlg;
  /** the key's own `alg` member, "" when absent */
  jwkAlg: string;
  key: KeyObject;
  /** exact length of a signature made with this key */
  signatureBytes: number;
}

export interface KeySet {
  keys: VerifyKey[];
  /** why individual keys were skipped (for the log) */
  warnings: string[];
  /** set when the document as a whole is unusable */
  error: string;
  /** the document has the shape of a key set (an object with a `keys` array, or one JWK) */
  isKeySet: boolean;
}

/** At most this many keys per set: more is a misconfiguration (and a way to slow us down). */
export const MAX_KEYS_PER_SET = 64;

/** JWK members that only private or symmetric keys carry. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;

export function algFamily(alg: string): SigningAlg | undefined {
  return alg === 'RS256' || alg === 'ES256' || alg === 'EdDSA' ? alg : undefined;
}

export function isSigningAlg(value: unknown): value is SigningAlg {
  return typeof value === 'string' && algFamily(value) !== undefined;
}

// ---- key material checks (BigInt: runs once per key load) -------------------------------------

const ROCA_PRIMES = [3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167];

/** ROCA (CVE-2017-15361): n mod p lies in the subgroup 65537 generates, for every small prime. */
export function hasRocaFingerprint(modulus: Uint8Array): boolean {
  if (modulus.length === 0) return false;
  for (const p of ROCA_PRIMES) {
    let residue = 0;
    for (const byte of modulus) residue = ((residue << 8) | byte) % p;
    const g = 65537 % p;
    let x = 1;
    let found = false;
    for (let i = 0; i < p; i++) {
      if (x === residue) {
        found = true;
        break;
      }
      x = (x * g) % p;
      if (x === 1) break;
    }
    if (!found) return false;
  }
  return true;
}

const bigFromBytes = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
const mod = (a: bigint, m: bigint): bigint => ((a % m) + m) % m;
function powMod(base: bigint, exp: bigint, m: bigint): bigint {
  let r = 1n;
  let b = mod(base, m);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

const P256_P = 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n;
const P256_B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

/** 32-byte coordinates below p that satisfy y^2 = x^3 - 3x + b. */
function isP256Point(xBytes: Uint8Array, yBytes: Uint8Array): boolean {
  if (xBytes.length !== 32 || yBytes.length !== 32) return false;
  const x = bigFromBytes(xBytes);
  const y = bigFromBytes(yBytes);
  if (x >= P256_P || y >= P256_P) return false;
  return mod(y * y - (x * x * x - 3n * x + P256_B), P256_P) === 0n;
}

const ED_P = 2n ** 255n - 19n;
const ED_D = mod(-121665n * powMod(121666n, ED_P - 2n, ED_P), ED_P);
const ED_SQRT_M1 = powMod(2n, (ED_P - 1n) / 4n, ED_P);

/** A canonical encoding of a curve point of more than small order (RFC 8032 §5.1.3 decoding). */
function isUsableEd25519Key(a: Uint8Array): boolean {
  if (a.length !== 32) return false;
  const le = Buffer.from(a).reverse();
  const sign = (le[0]! >> 7) & 1;
  le[0] = le[0]! & 0x7f;
  const y = bigFromBytes(le);
  if (y >= ED_P) return false;
  const u = mod(y * y - 1n, ED_P);
  const v = mod(ED_D * y * y + 1n, ED_P);
  let x = mod(u * powMod(v, 3n, ED_P) * powMod(u * powMod(v, 7n, ED_P), (ED_P - 5n) / 8n, ED_P), ED_P);
  const vx2 = mod(v * x * x, ED_P);
  if (vx2 === u) {
    // x is a root
  } else if (vx2 === mod(-u, ED_P)) {
    x = mod(x * ED_SQRT_M1, ED_P);
  } else {
    return false;
  }
  if (x === 0n && sign === 1) return false;
  if (Number(x & 1n) !== sign) x = ED_P - x;
  // [8]P is the identity exactly for the 8 small-order points.
  let px = x;
  let py = y;
  for (let i = 0; i < 3; i++) {
    const xy = (px * py) % ED_P;
    const dxxyy = (ED_D * xy * xy) % ED_P;
    const nx = mod(2n * xy * powMod(1n + dxxyy, ED_P - 2n, ED_P), ED_P);
    const ny = mod((py * py + px * px) * powMod(mod(1n - dxxyy, ED_P), ED_P - 2n, ED_P), ED_P);
    px = nx;
    py = ny;
  }
  return !(px === 0n && py === 1n);
}

function rsaModulus(n: Uint8Array, e: Uint8Array): Uint8Array | undefined {
  let ei = 0;
  while (ei < e.length && e[ei] === 0) ei++;
  if (e.length - ei > 3) return undefined;
  let exponent = 0;
  for (let i = ei; i < e.length; i++) exponent = exponent * 256 + e[i]!;
  if (exponent !== 65537) return undefined;
  let start = 0;
  while (start < n.length && n[start] === 0) start++;
  const stripped = n.subarray(start);
  if (stripped.length === 0) return undefined;
  const bits = (stripped.length - 1) * 8 + (32 - Math.clz32(stripped[0]!));
  if (bits < 2048 || bits > 4096) return undefined;
  if ((stripped[stripped.length - 1]! & 1) === 0) return undefined;
  return stripped;
}

// ---- JWK parsing ------------------------------------------------------------------------------

function stringMember(jwk: JsonNode, name: string): string | undefined {
  const v = member(jwk, name);
  return v?.kind === 'string' ? v.value : undefined;
}

function decodeMember(jwk: JsonNode, name: string): Buffer | undefined {
  const s = stringMember(jwk, name);
  return s === undefined ? undefined : decodeStrictBase64url(s);
}

type Parsed = { ok: true; key: VerifyKey; warning?: string } | { ok: false; problem: string };

/** One JWK, judged as the plugin judges it; `index` only labels the messages. */
export function parseKey(jwk: JsonNode, index: number): Parsed {
  const label = `key ${index}`;
  if (jwk.kind !== 'object') return { ok: false, problem: `${label}: not an object` };
  let kid: string | undefined;
  const kidValue = member(jwk, 'kid');
  if (kidValue !== undefined) {
    if (kidValue.kind !== 'string') return { ok: false, problem: `${label}: kid is not a string` };
    kid = kidValue.value;
  }
  const named = kid ? `${label} (kid ${JSON.stringify(kid)})` : label;
  const fail = (problem: string): Parsed => ({ ok: false, problem: `${named}: ${problem}` });
  const use = member(jwk, 'use');
  if (use !== undefined && (use.kind !== 'string' || use.value !== 'sig')) return fail('use is not "sig"');
  const ops = member(jwk, 'key_ops');
  if (ops !== undefined && !(ops.kind === 'array' && ops.items.some((op) => op.kind === 'string' && op.value === 'verify'))) {
    return fail('key_ops does not include "verify"');
  }
  let jwkAlg = '';
  const algValue = member(jwk, 'alg');
  if (algValue !== undefined) {
    if (algValue.kind !== 'string') return fail('alg is not a string');
    jwkAlg = algValue.value;
  }
  const kty = stringMember(jwk, 'kty');
  if (kty === undefined) return fail('kty missing');
  let alg: SigningAlg;
  let material: Record<string, string>;
  let signatureBytes: number;
  if (kty === 'RSA') {
    const n = decodeMember(jwk, 'n');
    const e = decodeMember(jwk, 'e');
    if (!n || !e) return fail('RSA key needs base64url n and e');
    if (hasRocaFingerprint(n)) return fail('RSA key refused (ROCA-vulnerable modulus, CVE-2017-15361)');
    const modulus = rsaModulus(n, e);
    if (!modulus) return fail('RSA key refused (modulus must be 2048-4096 bits, e = 65537)');
    alg = 'RS256';
    signatureBytes = modulus.length;
    material = { kty: 'RSA', n: Buffer.from(modulus).toString('base64url'), e: 'AQAB' };
  } else if (kty === 'EC') {
    if (stringMember(jwk, 'crv') !== 'P-256') return fail('only EC curve P-256 is supported');
    const x = decodeMember(jwk, 'x');
    const y = decodeMember(jwk, 'y');
    if (!x || !y) return fail('EC key needs base64url x and y');
    if (!isP256Point(x, y)) return fail('EC key refused (not a P-256 point)');
    alg = 'ES256';
    signatureBytes = 64;
    material = { kty: 'EC', crv: 'P-256', x: x.toString('base64url'), y: y.toString('base64url') };
  } else if (kty === 'OKP') {
    if (stringMember(jwk, 'crv') !== 'Ed25519') return fail('only OKP curve Ed25519 is supported');
    const x = decodeMember(jwk, 'x');
    if (!x) return fail('OKP key needs base64url x');
    if (!isUsableEd25519Key(x)) return fail('Ed25519 key refused');
    alg = 'EdDSA';
    signatureBytes = 64;
    material = { kty: 'OKP', crv: 'Ed25519', x: x.toString('base64url') };
  } else {
    return fail(`kty ${JSON.stringify(kty)} is not supported`);
  }
  if (jwkAlg.length > 0 && algFamily(jwkAlg) !== alg) return fail(`alg ${JSON.stringify(jwkAlg)} does not fit the key type`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: material, format: 'jwk' });
  } catch (err) {
    return fail(`not a valid public key (${(err as Error).message})`);
  }
  // The plugin ignores private members and so must we (same keys, same decisions), but a key
  // file or policy that holds private key material deserves a loud note.
  const priv = PRIVATE_JWK_MEMBERS.filter((m) => member(jwk, m) !== undefined);
  const warning = priv.length > 0 ? `${named}: carries private key members (${priv.join(', ')}); only its public part is used` : undefined;
  return { ok: true, key: { kid, alg, jwkAlg, key, signatureBytes }, ...(warning ? { warning } : {}) };
}

/** A JWKS document (`{"keys": [...]}`) or a single JWK. */
export function parseKeySet(doc: JsonNode): KeySet {
  const result: KeySet = { keys: [], warnings: [], error: '', isKeySet: false };
  if (doc.kind !== 'object') return { ...result, error: 'JWKS must be a JSON object' };
  let items: JsonNode[];
  const keys = member(doc, 'keys');
  if (keys !== undefined) {
    if (keys.kind !== 'array') return { ...result, error: 'JWKS "keys" must be an array' };
    items = keys.items;
    result.isKeySet = true;
  } else if (member(doc, 'kty') !== undefined) {
    items = [doc];
    result.isKeySet = true;
  } else {
    return { ...result, error: 'JWKS has no "keys" member' };
  }
  if (items.length > MAX_KEYS_PER_SET) return { ...result, error: `JWKS has ${items.length} keys, more than ${MAX_KEYS_PER_SET}` };
  const parsed: VerifyKey[] = [];
  items.forEach((item, i) => {
    const k = parseKey(item, i);
    if (k.ok) {
      parsed.push(k.key);
      if (k.warning) result.warnings.push(k.warning);
    } else {
      result.warnings.push(k.problem);
    }
  });
  for (const k of parsed) {
    const duplicate = k.kid !== undefined && parsed.some((other) => other !== k && other.kid === k.kid);
    if (duplicate) result.warnings.push(`kid ${JSON.stringify(k.kid)} is used by more than one key: those keys are ignored`);
    else result.keys.push(k);
  }
  if (result.keys.length === 0) result.error = 'JWKS has no usable signature keys';
  return result;
}

type Imported = { ok: true; key: VerifyKey } | { ok: false; problem: string };

/** One JWK given as a JS value (e.g. `{kty, n, e, kid}`). */
export function importVerifyKey(jwk: unknown): Imported {
  const r = parseKey(fromJs(jwk), 0);
  return r.ok ? { ok: true, key: r.key } : r;
}

/** Every usable key of a JWKS given as a JS value, and why the others (or the set) were refused. */
export function importVerifyKeys(jwks: unknown): { keys: VerifyKey[]; problems: string[] } {
  const set = parseKeySet(fromJs(jwks));
  return { keys: set.keys, problems: set.error ? [...set.warnings, set.error] : set.warnings };
}
