// JWS compact serialization (RFC 7515 §7.1), parsed strictly and verified with a key from a
// trusted set. The algorithm always comes from the key set and the issuer's allow-list: the token
// header can only name one of them, never introduce one (`none`, HS*, ...).
import { JsonKind, JsonValue, parseJson } from '../encoding/json';
import { base64urlDecode } from '../encoding/base64url';
import { sha256 } from '../crypto/sha256';
import { rsaVerifyPkcs1Sha256 } from '../crypto/rsa';
import { p256VerifyDigest } from '../crypto/p256';
import { ed25519Verify } from '../crypto/ed25519';
import { ALG_EDDSA, ALG_ES256, ALG_RS256 } from '../policy/config';
import { VerificationKey, algFamily } from './jwk';

/** JSON limits for token parts: claims are flat in practice; deeper nesting is hostile. */
const HEADER_MAX_DEPTH: i32 = 4;
const PAYLOAD_MAX_DEPTH: i32 = 16;

export class ParsedJws {
  header: JsonValue = new JsonValue();
  payloadBytes: Uint8Array = new Uint8Array(0);
  signature: Uint8Array = new Uint8Array(0);
  /** ASCII bytes of `header.payload`, the signing input. */
  signingInput: Uint8Array = new Uint8Array(0);
  alg: string = '';
  family: i32 = 0;
  kid: string = '';
  hasKid: bool = false;
  typ: string = '';
  hasTyp: bool = false;
}

export class JwsParseResult {
  constructor(public jws: ParsedJws | null, public reason: string) {}
}

function isBase64urlChar(c: i32): bool {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 45 || c == 95;
}

function fail(reason: string): JwsParseResult {
  return new JwsParseResult(null, reason);
}

/**
 * Splits and decodes a compact JWS. `maxBytes` is checked before anything is decoded.
 * Exactly three segments; header and signature non-empty; strict base64url; header a JSON object
 * with a string `alg`; `crit` and `b64` refused (we implement no extensions, RFC 7515 §4.1.11).
 * `jku`, `x5u`, `jwk`, `x5c` are ignored: keys only ever come from configuration.
 */
export function parseCompactJws(token: string, maxBytes: i32): JwsParseResult {
  const n = token.length;
  if (n > maxBytes) return fail('token too large');
  if (n == 0) return fail('malformed token');
  let firstDot = -1;
  let secondDot = -1;
  for (let i = 0; i < n; i++) {
    const c = token.charCodeAt(i);
    if (c == 46) {
      if (firstDot < 0) firstDot = i;
      else if (secondDot < 0) secondDot = i;
      else return fail('malformed token');
    } else if (!isBase64urlChar(c)) {
      return fail('malformed token');
    }
  }
  if (firstDot <= 0 || secondDot < 0 || secondDot == n - 1) return fail('malformed token');

  const headerBytes = base64urlDecode(token.substring(0, firstDot));
  const payloadBytes = base64urlDecode(token.substring(firstDot + 1, secondDot));
  const signature = base64urlDecode(token.substring(secondDot + 1));
  if (headerBytes == null || payloadBytes == null || signature == null) return fail('malformed token');

  const headerParse = parseJson(headerBytes!, HEADER_MAX_DEPTH, maxBytes);
  if (headerParse.value == null || headerParse.value!.kind != JsonKind.Object) return fail('malformed token header');
  const header = headerParse.value!;

  const jws = new ParsedJws();
  jws.header = header;
  jws.payloadBytes = payloadBytes!;
  jws.signature = signature!;
  jws.signingInput = Uint8Array.wrap(String.UTF8.encode(token.substring(0, secondDot)));

  const alg = header.get('alg');
  if (alg == null || alg.kind != JsonKind.String) return fail('malformed token header');
  jws.alg = alg.stringValue;
  jws.family = algFamily(jws.alg);
  if (header.get('crit') != null) return fail('unsupported critical header');
  if (header.get('b64') != null) return fail('unsupported critical header');
  const kid = header.get('kid');
  if (kid != null) {
    if (kid.kind != JsonKind.String) return fail('malformed token header');
    jws.kid = kid.stringValue;
    jws.hasKid = true;
  }
  const typ = header.get('typ');
  if (typ != null) {
    if (typ.kind != JsonKind.String) return fail('malformed token header');
    jws.typ = typ.stringValue;
    jws.hasTyp = true;
  }
  return new JwsParseResult(jws, '');
}

/** Parses the payload as a JSON object (JWT claims set). */
export function parseClaims(jws: ParsedJws, maxBytes: i32): JsonValue | null {
  const r = parseJson(jws.payloadBytes, PAYLOAD_MAX_DEPTH, maxBytes);
  if (r.value == null || r.value!.kind != JsonKind.Object) return null;
  return r.value;
}

/** Checks the signature with one key. The key family must equal the header's algorithm family. */
export function verifySignature(jws: ParsedJws, key: VerificationKey): bool {
  if (jws.family == 0 || jws.family != key.family) return false;
  if (key.alg.length > 0 && key.alg != jws.alg) return false;
  if (jws.family == ALG_RS256) {
    const rsa = key.rsa;
    if (rsa == null) return false;
    return rsaVerifyPkcs1Sha256(rsa, sha256(jws.signingInput), jws.signature);
  }
  if (jws.family == ALG_ES256) {
    const p = key.p256;
    if (p == null) return false;
    return p256VerifyDigest(p, sha256(jws.signingInput), jws.signature);
  }
  if (jws.family == ALG_EDDSA) {
    const ed = key.ed25519;
    if (ed == null) return false;
    return ed25519Verify(ed, jws.signingInput, jws.signature);
  }
  return false;
}

export const KEY_FOUND: i32 = 0;
export const KEY_UNKNOWN_KID: i32 = 1;
export const KEY_NONE_FOR_ALG: i32 = 2;
export const KEY_AMBIGUOUS: i32 = 3;

export class KeyLookup {
  keys: VerificationKey[] = [];
  status: i32 = KEY_FOUND;
}

/**
 * The key that may verify this token: the one with the token's `kid` (when it has one), else the
 * only key of the algorithm's family. A `kid` never falls back to other keys, and a token without
 * `kid` facing several keys of its family is refused as ambiguous (as jose does, so the plugin and
 * the sidecar's forwardAuth decide alike).
 */
export function candidateKeys(jws: ParsedJws, keys: VerificationKey[]): KeyLookup {
  const out = new KeyLookup();
  if (jws.hasKid) {
    for (let i = 0; i < keys.length; i++) {
      if (keys[i].hasKid && keys[i].kid == jws.kid) out.keys.push(keys[i]);
    }
    if (out.keys.length == 0) out.status = KEY_UNKNOWN_KID;
    return out;
  }
  for (let i = 0; i < keys.length; i++) {
    if (keys[i].family == jws.family) out.keys.push(keys[i]);
  }
  if (out.keys.length == 0) out.status = KEY_NONE_FOR_ALG;
  else if (out.keys.length > 1) {
    out.status = KEY_AMBIGUOUS;
    out.keys = [];
  }
  return out;
}
