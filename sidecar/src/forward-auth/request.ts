/**
 * What forwardAuth knows about the original request, in the form the plugin's decision takes
 * (assembly/policy/decision.ts RequestFacts). Traefik sends the client's headers plus
 * X-Forwarded-Method/-Proto/-Host/-Uri; the URI to judge is X-Forwarded-Uri.
 *
 * Header values reach Node as latin1 text; the plugin reads the same bytes as UTF-8 (invalid
 * sequences becoming U+FFFD). Values are re-read here the plugin's way, so a token with
 * non-ASCII bytes has the same length and the same characters on both sides.
 */
import type { IncomingMessage } from 'node:http';

/** Longest request URI judged; longer ones are refused with 414 (the plugin's read limit). */
export const MAX_URI_BYTES = 64 * 1024;
/** Authorization values past maxTokenBytes + this many bytes are not read at all (plugin: scheme, spaces, NULs). */
export const AUTHORIZATION_SLACK_BYTES = 64;
/** Accept values (with a NUL each) past this many bytes are not read: no login redirect. */
export const MAX_ACCEPT_BYTES = 4096;

export interface ForwardAuthRequest {
  /** original method (X-Forwarded-Method), compared case-sensitively like the plugin does */
  method: string;
  /** original request-target, path plus query; undefined when X-Forwarded-Uri is not there exactly once */
  uri: string | undefined;
  /** every Authorization header value, in order */
  authorization: string[];
  /** the Accept values joined by "," ("" when they are over MAX_ACCEPT_BYTES) */
  accept: string;
  /** an Access-Control-Request-Method header is present (CORS preflight) */
  preflight: boolean;
  /** an Origin header is present (a browser's cross-origin request) */
  crossOrigin: boolean;
  /** the URI is over MAX_URI_BYTES */
  uriTooLong: boolean;
  /** the Authorization values together are over maxTokenBytes + AUTHORIZATION_SLACK_BYTES */
  authorizationTooLarge: boolean;
}

export interface RawRequest {
  method: string;
  uri: string | undefined;
  authorization: readonly string[];
  accept?: string;
  preflight?: boolean;
  crossOrigin?: boolean;
}

/**
 * The request facts from already decoded values (UTF-8 text), with the size limits applied as the
 * plugin applies them to the raw bytes: the URI, and the NUL-terminated list of Authorization values.
 */
export function requestFacts(raw: RawRequest, maxTokenBytes: number): ForwardAuthRequest {
  const uriBytes = raw.uri === undefined ? 0 : Buffer.byteLength(raw.uri, 'utf8');
  const authBytes = raw.authorization.reduce((n, v) => n + Buffer.byteLength(v, 'utf8') + 1, 0);
  const acceptBytes = raw.accept === undefined ? 0 : Buffer.byteLength(raw.accept, 'utf8') + 1;
  return sized(raw, uriBytes, authBytes, acceptBytes, maxTokenBytes);
}

function sized(raw: RawRequest, uriBytes: number, authBytes: number, acceptBytes: number, maxTokenBytes: number): ForwardAuthRequest {
  const uriTooLong = uriBytes > MAX_URI_BYTES;
  const authorizationTooLarge = authBytes > maxTokenBytes + AUTHORIZATION_SLACK_BYTES;
  return {
    method: raw.method,
    uri: uriTooLong ? '' : raw.uri,
    authorization: authorizationTooLarge ? [] : [...raw.authorization],
    accept: acceptBytes > MAX_ACCEPT_BYTES ? '' : (raw.accept ?? ''),
    preflight: raw.preflight ?? false,
    crossOrigin: raw.crossOrigin ?? false,
    uriTooLong,
    authorizationTooLarge,
  };
}

// Lossy like the plugin's reader: invalid bytes become U+FFFD (WHATWG replacement), a BOM stays.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const asUtf8 = (latin1: string): string => utf8.decode(Buffer.from(latin1, 'latin1'));

/** Every raw value of header `name` (lower-case), in order, as latin1 text. */
function headerValues(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) out.push(req.rawHeaders[i + 1]!);
  }
  return out;
}

/** The value of a header given exactly once, read as UTF-8; undefined when missing or repeated. */
export function singleHeader(req: IncomingMessage, name: string): string | undefined {
  const values = headerValues(req, name);
  return values.length === 1 ? asUtf8(values[0]!) : undefined;
}

/**
 * What picks the policy among several resources (resource-policies.ts): X-Forwarded-Uri and
 * X-Forwarded-Host, each only when sent exactly once; a URI over MAX_URI_BYTES counts as missing
 * (the decision answers 414 for it anyway).
 */
export function forwardedTarget(req: IncomingMessage): { uri: string | undefined; host: string | undefined } {
  const uris = headerValues(req, 'x-forwarded-uri');
  const uri = uris.length === 1 && uris[0]!.length <= MAX_URI_BYTES ? asUtf8(uris[0]!) : undefined;
  return { uri, host: singleHeader(req, 'x-forwarded-host') };
}

/** The facts of a forwardAuth request as Traefik sends it. */
export function forwardAuthRequestFrom(req: IncomingMessage, maxTokenBytes: number): ForwardAuthRequest {
  const methods = headerValues(req, 'x-forwarded-method');
  const uris = headerValues(req, 'x-forwarded-uri');
  const authorization = headerValues(req, 'authorization');
  const rawUri = uris.length === 1 ? uris[0]! : undefined;
  // Header text is latin1 here: its length is the byte count.
  const uriBytes = rawUri?.length ?? 0;
  const authBytes = authorization.reduce((n, v) => n + v.length + 1, 0);
  const accept = headerValues(req, 'accept');
  const acceptBytes = accept.reduce((n, v) => n + v.length + 1, 0);
  return sized(
    {
      method: methods.length === 1 ? asUtf8(methods[0]!) : (req.method ?? 'GET'),
      uri: rawUri === undefined || uriBytes > MAX_URI_BYTES ? rawUri : asUtf8(rawUri),
      authorization: authBytes > maxTokenBytes + AUTHORIZATION_SLACK_BYTES ? [] : authorization.map(asUtf8),
      accept: accept.map(asUtf8).join(','),
      preflight: headerValues(req, 'access-control-request-method').length > 0,
      crossOrigin: headerValues(req, 'origin').length > 0,
    },
    uriBytes,
    authBytes,
    acceptBytes,
    maxTokenBytes,
  );
}
