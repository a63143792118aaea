/**
 * JWS compact serialization (RFC 7515 §7.1), parsed strictly and verified with a key from a
 * trusted set, as the plugin does it (assembly/jwt/jws.ts). The algorithm always comes from the
 * key set and the issuer's list: the token header can only name one of them, never introduce
 * one (`none`, HS*, ...). `jku`, `x5u`, `jwk`, `x5c` are ignored: keys only come from configuration.
 */
import { verify as cryptoVerify, constants } from 'node:crypto';

import { decodeStrictBase64url } from '../policy/base64url.js';
import { member, parseJson, type JsonNode } from '../policy/json.js';
import type { SigningAlg } from '../policy/types.js';
import { algFamily, type VerifyKey } from '../policy/verify-keys.js';
import { REASON } from './reasons.js';

/** JSON limits for token parts: claims are flat in practice; deeper nesting is hostile. */
const HEADER_MAX_DEPTH = 4;
const PAYLOAD_MAX_DEPTH = 16;

export interface ParsedJws {
  header: JsonNode;
  payloadBytes: Buffer;
  signature: Buffer;
  /** ASCII `header.payload`, the signing input */
  signingInput: Buffer;
  alg: string;
  /** the supported algorithm `alg` names, if any */
  family: SigningAlg | undefined;
  kid: string | undefined;
  typ: string | undefined;
}

export type JwsParse = { ok: true; jws: ParsedJws } | { ok: false; reason: string };

const BASE64URL_OR_DOT = /^[A-Za-z0-9_\-.]*$/;

/**
 * Splits and decodes a compact JWS: exactly three segments, header and signature non-empty,
 * strict base64url, header a JSON object with a string `alg`, `crit` and `b64` refused (no
 * extension is implemented, RFC 7515 §4.1.11), `kid` and `typ` strings when present.
 */
export function parseCompactJws(token: string, maxBytes: number): JwsParse {
  const fail = (reason: string): JwsParse => ({ ok: false, reason });
  const n = token.length;
  if (n > maxBytes) return fail(REASON.tokenTooLarge);
  if (n === 0 || !BASE64URL_OR_DOT.test(token)) return fail(REASON.malformedToken);
  const firstDot = token.indexOf('.');
  const secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
  if (secondDot >= 0 && token.indexOf('.', secondDot + 1) >= 0) return fail(REASON.malformedToken);
  if (firstDot <= 0 || secondDot < 0 || secondDot === n - 1) return fail(REASON.malformedToken);

  const headerBytes = decodeStrictBase64url(token.slice(0, firstDot));
  const payloadBytes = decodeStrictBase64url(token.slice(firstDot + 1, secondDot));
  const signature = decodeStrictBase64url(token.slice(secondDot + 1));
  if (!headerBytes || !payloadBytes || !signature) return fail(REASON.malformedToken);

  const parsedHeader = parseJson(headerBytes, HEADER_MAX_DEPTH, maxBytes);
  if (!parsedHeader.ok || parsedHeader.value.kind !== 'object') return fail(REASON.malformedHeader);
  const header = parsedHeader.value;
  const alg = member(header, 'alg');
  if (alg?.kind !== 'string') return fail(REASON.malformedHeader);
  if (member(header, 'crit') !== undefined || member(header, 'b64') !== undefined) return fail(REASON.unsupportedCritical);
  const kid = member(header, 'kid');
  if (kid !== undefined && kid.kind !== 'string') return fail(REASON.malformedHeader);
  const typ = member(header, 'typ');
  if (typ !== undefined && typ.kind !== 'string') return fail(REASON.malformedHeader);
  return {
    ok: true,
    jws: {
      header,
      payloadBytes,
      signature,
      signingInput: Buffer.from(token.slice(0, secondDot), 'latin1'),
      alg: alg.value,
      family: algFamily(alg.value),
      kid: kid?.kind === 'string' ? kid.value : undefined,
      typ: typ?.kind === 'string' ? typ.value : undefined,
    },
  };
}

/** The payload as a JSON object (JWT claims set), or undefined. */
export function parseClaims(jws: ParsedJws, maxBytes: number): JsonNode | undefined {
  const r = parseJson(jws.payloadBytes, PAYLOAD_MAX_DEPTH, maxBytes);
  return r.ok && r.value.kind === 'object' ? r.value : undefined;
}

export type KeyLookup =
  | { status: 'found'; keys: VerifyKey[] }
  | { status: 'unknown-kid' | 'none-for-alg' | 'ambiguous' };

/**
 * The keys that may verify this token: those with the token's `kid` (when it has one), else the
 * only key of the algorithm's type. A `kid` never falls back to other keys, and a token without
 * `kid` facing several keys of its type is refused as ambiguous.
 */
export function candidateKeys(jws: ParsedJws, keys: readonly VerifyKey[]): KeyLookup {
  if (jws.kid !== undefined) {
    const found = keys.filter((k) => k.kid !== undefined && k.kid === jws.kid);
    return found.length === 0 ? { status: 'unknown-kid' } : { status: 'found', keys: found };
  }
  const found = keys.filter((k) => k.alg === jws.family);
  if (found.length === 0) return { status: 'none-for-alg' };
  if (found.length > 1) return { status: 'ambiguous' };
  return { status: 'found', keys: found };
}

/** Checks the signature with one key; the key's type (and own `alg`, if set) must be the header's `alg`. */
export function verifySignature(jws: ParsedJws, key: VerifyKey): boolean {
  if (jws.family === undefined || jws.family !== key.alg) return false;
  if (key.jwkAlg.length > 0 && key.jwkAlg !== jws.alg) return false;
  // RSA signatures are exactly the modulus length, ECDSA (raw r||s) and EdDSA exactly 64 bytes.
  if (jws.signature.length !== key.signatureBytes) return false;
  try {
    if (key.alg === 'RS256') {
      return cryptoVerify('sha256', jws.signingInput, { key: key.key, padding: constants.RSA_PKCS1_PADDING }, jws.signature);
    }
    if (key.alg === 'ES256') {
      return cryptoVerify('sha256', jws.signingInput, { key: key.key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    }
    return cryptoVerify(null, jws.signingInput, key.key, jws.signature);
  } catch {
    return false;
  }
}
