// What the middleware does with one request: the pure decision, no I/O. The plugin glue
// (assembly/plugin/handler.ts) gathers the request facts through the ABI and applies the decision.
// The statuses, WWW-Authenticate values and bodies are the table in docs/policy-contract.md; the
// sidecar's forwardAuth endpoint produces the same for the same input (parity-tested).
import { JsonWriter } from '../encoding/json';
import { Config, WELL_KNOWN_PRM } from './config';
import { emailAllowed } from './email';
import { missingScopes } from './scopes';
import { needsTokenOnPath, pathOf, queryOf, isCleanPath } from './paths';
import { Identity, KeySource, checkTime, verifyAccessToken } from '../jwt/verifier';
import { TokenCache } from '../jwt/cache';

export const enum Outcome {
  /** Continue upstream without identity (public path, unprotected path, CORS preflight). */
  Pass = 0,
  /** Continue upstream with the verified identity. */
  Allow = 1,
  /** Answer here with status/headers/body. */
  Answer = 2,
}

/** Longest request URI the plugin reads; longer ones are refused (414) without being copied in. */
export const MAX_URI_BYTES: u32 = 64 * 1024;
/** Longest Accept list (values with their NULs) the plugin reads; a longer one is read as "". */
export const MAX_ACCEPT_BYTES: u32 = 4096;

/** The outcome's name as logs and test harnesses print it. */
export function outcomeName(outcome: Outcome): string {
  return outcome == Outcome.Pass ? 'pass' : outcome == Outcome.Allow ? 'allow' : 'answer';
}

export class RequestFacts {
  method: string = 'GET';
  uri: string = '/';
  /** Every Authorization header value, in order. */
  authorization: string[] = [];
  /**
   * The plugin's fast path instead of `authorization`: when the request has exactly one
   * Authorization value and it is `Bearer <token>` with a single space and a token of printable
   * ASCII only (what every client sends), the token's bytes are read in place from the host's
   * copy: `bearerLen` > 0 bytes at `bearerPtr`, valid while decide() runs. Such a value reads the
   * same through `authorization`, so both ways decide alike; only no string is made for it.
   */
  bearerPtr: usize = 0;
  bearerLen: i32 = 0;
  accept: string = '';
  /** True when an `Access-Control-Request-Method` header is present (CORS preflight). */
  preflight: bool = false;
  /** The Authorization values were larger than maxTokenBytes allows: not read at all. */
  authorizationTooLarge: bool = false;
  /** The request URI was too long to read. */
  uriTooLong: bool = false;
  /** True when the request carries an `Origin` header (a browser's cross-origin request). */
  crossOrigin: bool = false;
}

const NO_HEADERS: string[] = [];

export class Decision {
  outcome: Outcome = Outcome.Answer;
  status: i32 = 0;
  /**
   * Response headers as name/value pairs, in the order they are to be set. Read-only outside
   * header(): until the first header they are one shared empty array, so the decisions made on
   * every allowed request allocate no arrays.
   */
  headerNames: string[] = NO_HEADERS;
  headerValues: string[] = NO_HEADERS;
  body: string = '';
  identity: Identity | null = null;
  /** Short reason for the log ("token expired", "public path", ...). */
  reason: string = '';
  /** True when the decision came from the verified-token cache. */
  cached: bool = false;
  /** Non-empty when the upstream must receive another URI (a query token removed). */
  rewriteUri: string = '';

  header(name: string, value: string): Decision {
    if (this.headerNames == NO_HEADERS) {
      this.headerNames = new Array<string>();
      this.headerValues = new Array<string>();
    }
    this.headerNames.push(name);
    this.headerValues.push(value);
    return this;
  }
}

function pass(reason: string): Decision {
  const d = new Decision();
  d.outcome = Outcome.Pass;
  d.reason = reason;
  return d;
}

function quoted(value: string): string {
  // RFC 7235 quoted-string: escape backslash and double quote. Our values never hold CR/LF
  // (reasons are fixed phrases; scopes and URLs were validated at config time).
  return '"' + value.replaceAll('\\', '\\\\').replaceAll('"', '\\"') + '"';
}

function errorBody(error: string, description: string): string {
  const w = new JsonWriter();
  w.beginObject();
  w.key('error');
  w.string(error);
  w.key('error_description');
  w.string(description);
  w.endObject();
  return w.toString();
}

function answer(status: i32, challenge: string, error: string, description: string): Decision {
  const d = new Decision();
  d.outcome = Outcome.Answer;
  d.status = status;
  d.reason = description;
  if (challenge.length > 0) d.header('WWW-Authenticate', challenge);
  d.header('Content-Type', 'application/json');
  d.header('Cache-Control', 'no-store');
  d.body = errorBody(error, description);
  return d;
}

function scopeParam(config: Config): string {
  return config.requiredScopes.length > 0 ? ', scope=' + quoted(config.requiredScopes.join(' ')) : '';
}

/** 401 without a token: no error code (RFC 6750 §3.1), just where to find the metadata. */
export function missingTokenAnswer(config: Config): Decision {
  const challenge = 'Bearer resource_metadata=' + quoted(config.resourceMetadataUrl) + scopeParam(config);
  return answer(401, challenge, 'invalid_token', 'bearer token required');
}

export function invalidTokenAnswer(config: Config, reason: string): Decision {
  const challenge = 'Bearer error="invalid_token", error_description=' + quoted(reason) +
    ', resource_metadata=' + quoted(config.resourceMetadataUrl) + scopeParam(config);
  return answer(401, challenge, 'invalid_token', reason);
}

export function invalidRequestAnswer(config: Config, reason: string): Decision {
  const challenge = 'Bearer error="invalid_request", error_description=' + quoted(reason) +
    ', resource_metadata=' + quoted(config.resourceMetadataUrl);
  return answer(400, challenge, 'invalid_request', reason);
}

export function insufficientScopeAnswer(config: Config, reason: string): Decision {
  const challenge = 'Bearer error="insufficient_scope", scope=' + quoted(config.requiredScopes.join(' ')) +
    ', resource_metadata=' + quoted(config.resourceMetadataUrl) + ', error_description=' + quoted(reason);
  return answer(403, challenge, 'insufficient_scope', reason);
}

export function accessDeniedAnswer(config: Config, reason: string): Decision {
  const challenge = 'Bearer error="insufficient_scope", error_description=' + quoted(reason) +
    ', resource_metadata=' + quoted(config.resourceMetadataUrl);
  return answer(403, challenge, 'access_denied', reason);
}

export function clockErrorAnswer(): Decision {
  return answer(500, '', 'server_error', 'the real-time clock is unavailable');
}

export function configErrorAnswer(): Decision {
  return answer(500, '', 'server_error', 'authentication middleware is misconfigured; see the Traefik log');
}

/** RFC 9728 Protected Resource Metadata for `config.resource`. */
export function metadataDocument(config: Config): string {
  const w = new JsonWriter();
  w.beginObject();
  w.key('resource');
  w.string(config.resource);
  w.key('authorization_servers');
  w.beginArray();
  for (let i = 0; i < config.authorizationServers.length; i++) w.string(config.authorizationServers[i]);
  w.endArray();
  w.key('bearer_methods_supported');
  w.beginArray();
  w.string('header');
  w.endArray();
  if (config.scopesSupported.length > 0) {
    w.key('scopes_supported');
    w.beginArray();
    for (let i = 0; i < config.scopesSupported.length; i++) w.string(config.scopesSupported[i]);
    w.endArray();
  }
  if (config.resourceName.length > 0) {
    w.key('resource_name');
    w.string(config.resourceName);
  }
  w.endObject();
  return w.toString();
}

function metadataAnswer(config: Config, method: string): Decision {
  const d = new Decision();
  d.outcome = Outcome.Answer;
  d.reason = 'protected resource metadata';
  if (method == 'OPTIONS') {
    // The preflight for the metadata document is answered here: it needs no upstream.
    d.status = 204;
    d.header('Access-Control-Allow-Origin', '*');
    d.header('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS');
    d.header('Access-Control-Allow-Headers', '*');
    d.header('Access-Control-Max-Age', '86400');
    return d;
  }
  if (method != 'GET' && method != 'HEAD') {
    d.status = 405;
    d.header('Allow', 'GET, HEAD, OPTIONS');
    d.header('Content-Type', 'application/json');
    d.body = errorBody('invalid_request', 'method not allowed');
    return d;
  }
  d.status = 200;
  d.header('Content-Type', 'application/json');
  // Browser clients (MCP Inspector) read this document cross-origin.
  d.header('Access-Control-Allow-Origin', '*');
  d.header('Cache-Control', 'public, max-age=300');
  if (method == 'GET') d.body = metadataDocument(config);
  return d;
}

function isBearerScheme(value: string, schemeEnd: i32): bool {
  if (schemeEnd != 6) return false;
  // "Bearer", any casing (RFC 7235 §2.1: auth-scheme is case-insensitive).
  const expected = 'bearer';
  for (let i = 0; i < 6; i++) {
    let c = value.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c != expected.charCodeAt(i)) return false;
  }
  return true;
}

/** Every `access_token` parameter value in a query string, in order. */
function queryTokens(query: string): string[] {
  const found = new Array<string>();
  if (query.length == 0) return found;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const eq = p.indexOf('=');
    const name = eq < 0 ? p : p.substring(0, eq);
    if (name == 'access_token') found.push(eq < 0 ? '' : p.substring(eq + 1));
  }
  return found;
}

/** The request URI without its `access_token` parameters: a query token must not travel upstream. */
export function uriWithoutAccessToken(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return uri;
  const parts = uri.substring(q + 1).split('&');
  const kept = new Array<string>();
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const eq = p.indexOf('=');
    if ((eq < 0 ? p : p.substring(0, eq)) != 'access_token') kept.push(p);
  }
  return kept.length == 0 ? uri.substring(0, q) : uri.substring(0, q + 1) + kept.join('&');
}

// Holds a string token's UTF-8 while the cache looks it up (the general reader's path).
let tokenKeyBuffer = new ArrayBuffer(1024);

/**
 * The request's bearer token, as text for the verifier and as bytes for the cache. It comes
 * either as bytes in the host's copy of the header (RequestFacts.bearerPtr, printable ASCII, so
 * characters and bytes agree) or as a string from the general reader, whose UTF-8 the cache keys on.
 */
class TokenPick {
  present: bool = false;
  error: string = '';
  /** The token's length as the size limit counts it (characters). */
  length: i32 = 0;
  /** The cache key, valid after key(): `keyLen` bytes at `keyPtr`. */
  keyPtr: usize = 0;
  keyLen: usize = 0;
  private token: string = '';
  private keyed: bool = false;

  reset(): void {
    this.present = false;
    this.error = '';
    this.length = 0;
    this.keyPtr = 0;
    this.keyLen = 0;
    this.token = '';
    this.keyed = false;
  }

  fromBytes(ptr: usize, len: i32): void {
    this.present = true;
    this.length = len;
    this.keyPtr = ptr;
    this.keyLen = <usize>len;
    this.keyed = true;
  }

  fromText(token: string): void {
    this.present = true;
    this.length = token.length;
    this.token = token;
  }

  /** Makes keyPtr/keyLen valid (encodes a string token, once). */
  key(): void {
    if (this.keyed) return;
    const n = String.UTF8.byteLength(this.token);
    if (n > tokenKeyBuffer.byteLength) tokenKeyBuffer = new ArrayBuffer(n);
    this.keyPtr = changetype<usize>(tokenKeyBuffer);
    this.keyLen = String.UTF8.encodeUnsafe(changetype<usize>(this.token), this.token.length, this.keyPtr);
    this.keyed = true;
  }

  /** The token as a string (made from the bytes when it came that way). */
  text(): string {
    if (this.token.length == 0 && this.keyLen > 0) this.token = String.UTF8.decodeUnsafe(this.keyPtr, this.keyLen);
    return this.token;
  }
}

// One pick serves every request (decide() never runs re-entrantly and nothing keeps the pick).
const reusablePick = new TokenPick();

/** Reads the bearer token from the request: one Authorization header, or (only when enabled) the query. */
function pickToken(facts: RequestFacts, config: Config): TokenPick {
  const pick = reusablePick;
  pick.reset();
  const fromQuery = facts.uri.includes('?') ? queryTokens(queryOf(facts.uri)) : new Array<string>();
  const q: string | null = fromQuery.length > 0 ? fromQuery[0] : null;
  if (facts.bearerLen > 0) {
    if (q != null) {
      pick.error = 'token given in both the header and the query';
      return pick;
    }
    pick.fromBytes(facts.bearerPtr, facts.bearerLen);
    return pick;
  }
  if (facts.authorization.length > 1) {
    pick.error = 'more than one Authorization header';
    return pick;
  }
  if (facts.authorization.length == 1) {
    if (q != null) {
      pick.error = 'token given in both the header and the query';
      return pick;
    }
    const value = facts.authorization[0].trim();
    const space = value.indexOf(' ');
    const schemeEnd = space < 0 ? value.length : space;
    if (!isBearerScheme(value, schemeEnd)) {
      // Another scheme (Basic, ...) carries no bearer token: answered like a missing token, so the
      // client learns where to get one (RFC 6750 §3.1: no error code without bearer credentials).
      return pick;
    }
    const token = space < 0 ? '' : value.substring(space + 1).trim();
    if (token.length == 0) {
      pick.error = 'empty bearer token';
      return pick;
    }
    pick.fromText(token);
    return pick;
  }
  if (q != null) {
    if (!config.allowQueryToken) {
      pick.error = 'tokens in the query string are not accepted';
      return pick;
    }
    if (fromQuery.length > 1) {
      pick.error = 'more than one access_token parameter';
      return pick;
    }
    if (q!.length == 0) {
      pick.error = 'empty access_token parameter';
      return pick;
    }
    pick.fromText(q!);
  }
  return pick;
}

function wantsHtml(facts: RequestFacts): bool {
  return facts.method == 'GET' && facts.accept.toLowerCase().includes('text/html');
}

/** The decision for one request. */
/**
 * Browser clients (MCP Inspector) must be able to read a refusal's WWW-Authenticate header to
 * find the metadata: cross-origin refusals carry CORS headers. Tokens travel in a header, never
 * in cookies, so `*` is safe. A CORS middleware in front of the plugin may overwrite these.
 */
function withCors(d: Decision, facts: RequestFacts): Decision {
  if (facts.crossOrigin && d.outcome == Outcome.Answer && d.status >= 400) {
    d.header('Access-Control-Allow-Origin', '*');
    d.header('Access-Control-Expose-Headers', 'WWW-Authenticate');
  }
  return d;
}

// Identity.policyVerdict values: what the configured scope and email rules say about a verified caller.
const VERDICT_UNKNOWN = 0;
const VERDICT_ALLOWED = 1;
const VERDICT_SCOPE_MISSING = 2;
const VERDICT_EMAIL_UNVERIFIED = 3;
const VERDICT_EMAIL_NOT_ALLOWED = 4;

/** Scopes first, then the verified flag, then the allowlist (docs/policy-contract.md). */
function policyVerdict(config: Config, id: Identity): i32 {
  if (missingScopes(config.requiredScopes, id.scopes).length > 0) return VERDICT_SCOPE_MISSING;
  if (config.requireEmailVerified && !id.emailVerified) return VERDICT_EMAIL_UNVERIFIED;
  if (config.allowedEmails.length > 0 && !emailAllowed(config.allowedEmails, id.email)) return VERDICT_EMAIL_NOT_ALLOWED;
  return VERDICT_ALLOWED;
}

export function decide(facts: RequestFacts, config: Config, keys: KeySource, cache: TokenCache, now: i64): Decision {
  const d = decideInner(facts, config, keys, cache, now);
  if (d.outcome != Outcome.Answer && config.allowQueryToken && config.stripAuthorization && facts.uri.includes('access_token')) {
    const rewritten = uriWithoutAccessToken(facts.uri);
    if (rewritten != facts.uri) d.rewriteUri = rewritten.length > 0 ? rewritten : '/';
  }
  return withCors(d, facts);
}

function decideInner(facts: RequestFacts, config: Config, keys: KeySource, cache: TokenCache, now: i64): Decision {
  if (facts.uriTooLong) {
    const d = answer(414, '', 'invalid_request', 'request URI too long');
    return d;
  }
  const path = pathOf(facts.uri);
  const clean = isCleanPath(path);
  const isMetadataPath = clean && (path == WELL_KNOWN_PRM || path == config.metadataPathWithResource);
  if (isMetadataPath) return metadataAnswer(config, facts.method);
  if (facts.method == 'OPTIONS' && facts.preflight) return pass('cors preflight');
  if (!needsTokenOnPath(path, clean, config.protectedPaths, config.publicPaths)) return pass('public path');

  if (facts.authorizationTooLarge) return invalidTokenAnswer(config, 'token too large');
  const pick = pickToken(facts, config);
  if (pick.error.length > 0) return invalidRequestAnswer(config, pick.error);
  if (!pick.present) {
    if (config.loginRedirect.length > 0 && wantsHtml(facts)) {
      const d = new Decision();
      d.outcome = Outcome.Answer;
      d.status = 302;
      d.reason = 'login redirect';
      d.header('Location', config.loginRedirect);
      d.header('Cache-Control', 'no-store');
      return d;
    }
    return missingTokenAnswer(config);
  }
  if (pick.length > config.maxTokenBytes) return invalidTokenAnswer(config, 'token too large');

  pick.key();
  let identity = cache.lookup(pick.keyPtr, pick.keyLen);
  let cached = identity != null;
  if (identity != null) {
    const timeReason = checkTime(identity!, <f64>now, <f64>config.clockSkewSeconds);
    if (timeReason.length > 0) {
      cache.remove(pick.keyPtr, pick.keyLen);
      return invalidTokenAnswer(config, timeReason);
    }
  } else {
    const result = verifyAccessToken(pick.text(), config, keys, now);
    if (result.identity == null) return invalidTokenAnswer(config, result.reason);
    identity = result.identity;
    cache.store(pick.keyPtr, pick.keyLen, identity!);
  }
  const id = identity!;

  if (id.policyVerdict == VERDICT_UNKNOWN) id.policyVerdict = policyVerdict(config, id);
  if (id.policyVerdict != VERDICT_ALLOWED) {
    const d = id.policyVerdict == VERDICT_SCOPE_MISSING
      ? insufficientScopeAnswer(config, 'missing required scope')
      : accessDeniedAnswer(config, id.policyVerdict == VERDICT_EMAIL_UNVERIFIED ? 'email not verified' : 'email not allowed');
    d.identity = id;
    return d;
  }
  const d = new Decision();
  d.outcome = Outcome.Allow;
  d.identity = id;
  d.reason = 'token valid';
  d.cached = cached;
  return d;
}
