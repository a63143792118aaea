/**
 * Structural checks on a compact JWS before anything is trusted: exactly three segments, strict
 * base64url in each, header and payload strict UTF-8 JSON objects (no duplicate members, bounded
 * depth). The size cap is applied by the caller before this runs.
 */
import { decodeStrictBase64url } from '../policy/base64url.js';
import { parseStrictJson } from './strict-json.js';

export interface CompactJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: Buffer;
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a BOM stays and fails JSON parsing.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeJsonObject(segment: string): Record<string, unknown> | undefined {
  const bytes = decodeStrictBase64url(segment);
  if (!bytes || bytes.length === 0) return undefined;
  try {
    const value = parseStrictJson(utf8.decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The decoded parts, or undefined when the token is not a well-formed compact JWS. */
export function parseCompactJwt(token: string): CompactJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const header = decodeJsonObject(parts[0]);
  const payload = decodeJsonObject(parts[1]);
  const signature = decodeStrictBase64url(parts[2]);
  if (!header || !payload || !signature) return undefined;
  return { header, payload, signature };
}
