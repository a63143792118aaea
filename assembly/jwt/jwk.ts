// JWK / JWKS -> verification keys. Only public signature keys of the three supported families are
// kept; everything a key set says about itself is checked here once, so the per-request path only
// compares `kid` and algorithm.
import { JsonKind, JsonValue } from '../encoding/json';
import { base64urlDecode } from '../encoding/base64url';
import { RsaPublicKey } from '../crypto/rsa';
import { hasRocaFingerprint } from '../crypto/roca';
import { P256PublicKey } from '../crypto/p256';
import { Ed25519PublicKey } from '../crypto/ed25519';
import { ALG_EDDSA, ALG_ES256, ALG_RS256 } from '../policy/config';

/** At most this many keys per set: more is a misconfiguration (and a way to slow us down). */
export const MAX_KEYS_PER_SET: i32 = 64;

export class VerificationKey {
  kid: string = '';
  /** Whether the JWK had a `kid` member at all (`"kid": ""` is a kid; a missing one is not). */
  hasKid: bool = false;
  /** Which ALG_* this key can verify (one bit). */
  family: i32 = 0;
  /** The key's own `alg` member, or "" when absent. */
  alg: string = '';
  rsa: RsaPublicKey | null = null;
  p256: P256PublicKey | null = null;
  ed25519: Ed25519PublicKey | null = null;
}

export class KeySetResult {
  keys: VerificationKey[] = [];
  /** Problems with individual keys (they were skipped), for the log. */
  warnings: string[] = [];
  /** Set when the document as a whole is unusable. */
  error: string = '';
  /** The document had the shape of a key set (an object with a `keys` array, or one JWK). */
  isKeySet: bool = false;
}

export function algFamily(alg: string): i32 {
  if (alg == 'RS256') return ALG_RS256;
  if (alg == 'ES256') return ALG_ES256;
  if (alg == 'EdDSA') return ALG_EDDSA;
  return 0;
}

function member(obj: JsonValue, name: string): string | null {
  const v = obj.get(name);
  if (v == null || v.kind != JsonKind.String) return null;
  return v.stringValue;
}

function decodeMember(obj: JsonValue, name: string): Uint8Array | null {
  const s = member(obj, name);
  if (s == null) return null;
  return base64urlDecode(s!);
}

/** Parses one JWK; returns null and a reason when the key is not a usable public signature key. */
function parseKey(jwk: JsonValue, index: i32, warnings: string[]): VerificationKey | null {
  const label = 'key ' + index.toString();
  if (jwk.kind != JsonKind.Object) {
    warnings.push(label + ': not an object');
    return null;
  }
  const key = new VerificationKey();
  const kidValue = jwk.get('kid');
  if (kidValue != null) {
    if (kidValue.kind != JsonKind.String) {
      warnings.push(label + ': kid is not a string');
      return null;
    }
    key.kid = kidValue.stringValue;
    key.hasKid = true;
  }
  const named = key.kid.length > 0 ? label + ' (kid "' + key.kid + '")' : label;
  const use = jwk.get('use');
  if (use != null && (use.kind != JsonKind.String || use.stringValue != 'sig')) {
    warnings.push(named + ': use is not "sig"');
    return null;
  }
  const ops = jwk.get('key_ops');
  if (ops != null) {
    let verify = false;
    if (ops.kind == JsonKind.Array) {
      for (let i = 0; i < ops.items.length; i++) {
        const op = ops.items[i];
        if (op.kind == JsonKind.String && op.stringValue == 'verify') verify = true;
      }
    }
    if (!verify) {
      warnings.push(named + ': key_ops does not include "verify"');
      return null;
    }
  }
  const algValue = jwk.get('alg');
  if (algValue != null) {
    if (algValue.kind != JsonKind.String) {
      warnings.push(named + ': alg is not a string');
      return null;
    }
    key.alg = algValue.stringValue;
  }
  const kty = member(jwk, 'kty');
  if (kty == null) {
    warnings.push(named + ': kty missing');
    return null;
  }
  if (kty == 'RSA') {
    const n = decodeMember(jwk, 'n');
    const e = decodeMember(jwk, 'e');
    if (n == null || e == null) {
      warnings.push(named + ': RSA key needs base64url n and e');
      return null;
    }
    if (hasRocaFingerprint(n!)) {
      warnings.push(named + ': RSA key refused (ROCA-vulnerable modulus, CVE-2017-15361)');
      return null;
    }
    key.rsa = RsaPublicKey.fromJwk(n!, e!);
    if (key.rsa == null) {
      warnings.push(named + ': RSA key refused (modulus must be 2048-4096 bits, e = 65537)');
      return null;
    }
    key.family = ALG_RS256;
  } else if (kty == 'EC') {
    const crv = member(jwk, 'crv');
    if (crv == null || crv! != 'P-256') {
      warnings.push(named + ': only EC curve P-256 is supported');
      return null;
    }
    const x = decodeMember(jwk, 'x');
    const y = decodeMember(jwk, 'y');
    if (x == null || y == null) {
      warnings.push(named + ': EC key needs base64url x and y');
      return null;
    }
    key.p256 = P256PublicKey.fromJwk(x!, y!);
    if (key.p256 == null) {
      warnings.push(named + ': EC key refused (not a P-256 point)');
      return null;
    }
    key.family = ALG_ES256;
  } else if (kty == 'OKP') {
    const crv = member(jwk, 'crv');
    if (crv == null || crv! != 'Ed25519') {
      warnings.push(named + ': only OKP curve Ed25519 is supported');
      return null;
    }
    const x = decodeMember(jwk, 'x');
    if (x == null) {
      warnings.push(named + ': OKP key needs base64url x');
      return null;
    }
    key.ed25519 = Ed25519PublicKey.fromBytes(x!);
    if (key.ed25519 == null) {
      warnings.push(named + ': Ed25519 key refused');
      return null;
    }
    key.family = ALG_EDDSA;
  } else {
    warnings.push(named + ': kty "' + kty! + '" is not supported');
    return null;
  }
  if (key.alg.length > 0 && algFamily(key.alg) != key.family) {
    warnings.push(named + ': alg "' + key.alg + '" does not fit the key type');
    return null;
  }
  return key;
}

/**
 * Parses a JWKS document (`{"keys": [...]}`) or a single JWK. Keys that share a `kid` with
 * another key of the same family are dropped: a lookup by `kid` must never be ambiguous.
 */
export function parseKeySet(doc: JsonValue): KeySetResult {
  const result = new KeySetResult();
  if (doc.kind != JsonKind.Object) {
    result.error = 'JWKS must be a JSON object';
    return result;
  }
  let items: JsonValue[];
  const keys = doc.get('keys');
  if (keys != null) {
    if (keys.kind != JsonKind.Array) {
      result.error = 'JWKS "keys" must be an array';
      return result;
    }
    items = keys.items;
    result.isKeySet = true;
  } else if (doc.get('kty') != null) {
    items = [doc];
    result.isKeySet = true;
  } else {
    result.error = 'JWKS has no "keys" member';
    return result;
  }
  if (items.length > MAX_KEYS_PER_SET) {
    result.error = 'JWKS has ' + items.length.toString() + ' keys, more than ' + MAX_KEYS_PER_SET.toString();
    return result;
  }
  const parsed = new Array<VerificationKey>();
  for (let i = 0; i < items.length; i++) {
    const k = parseKey(items[i], i, result.warnings);
    if (k != null) parsed.push(k);
  }
  for (let i = 0; i < parsed.length; i++) {
    const k = parsed[i];
    let duplicate = false;
    for (let j = 0; j < parsed.length; j++) {
      if (i != j && k.hasKid && parsed[j].hasKid && parsed[j].kid == k.kid) duplicate = true;
    }
    if (duplicate) result.warnings.push('kid "' + k.kid + '" is used by more than one key: those keys are ignored');
    else result.keys.push(k);
  }
  if (result.keys.length == 0) result.error = 'JWKS has no usable signature keys';
  return result;
}
