// Test harness: token verification and the request decision without the ABI, with inline keys
// only, so vitest can drive thousands of tokens through the same code the plugin runs.
import { JsonWriter, parseJson } from '../encoding/json';
import { Config, parseConfig, ALG_ALL } from '../policy/config';
import { VerificationKey, parseKeySet } from '../jwt/jwk';
import { KeySource, verifyAccessToken } from '../jwt/verifier';
import { TokenCache } from '../jwt/cache';
import { candidateKeys, parseCompactJws, verifySignature, KEY_FOUND } from '../jwt/jws';
import { MAX_ACCEPT_BYTES, MAX_URI_BYTES, Outcome, RequestFacts, decide, outcomeName } from '../policy/decision';
import { emailAllowed, canonicalAllowEntry } from '../policy/email';
import { needsToken, loosePath, isCleanPath } from '../policy/paths';

class InlineKeys extends KeySource {
  sets: VerificationKey[][] = [];
  unknownKidReloads: i32 = 0;
  keysFor(issuerIndex: i32): VerificationKey[] {
    return issuerIndex >= 0 && issuerIndex < this.sets.length ? this.sets[issuerIndex] : [];
  }
  reloadForUnknownKid(issuerIndex: i32, now: i64): bool {
    this.unknownKidReloads++;
    return false;
  }
}

let config: Config | null = null;
let keys = new InlineKeys();
let cache = new TokenCache();

/** Loads plugin options (JSON text); returns "" or the configuration error. */
export function configure(options: string): string {
  config = null;
  keys = new InlineKeys();
  cache = new TokenCache();
  const r = parseConfig(Uint8Array.wrap(String.UTF8.encode(options)));
  if (r.config == null) return r.error;
  const c = r.config!;
  for (let i = 0; i < c.issuers.length; i++) {
    const inline = c.issuers[i].inlineJwks;
    if (inline == null) {
      keys.sets.push([]);
      continue;
    }
    const set = parseKeySet(inline);
    if (set.error.length > 0) return set.error;
    keys.sets.push(set.keys);
  }
  config = c;
  return '';
}

/** A summary of the parsed configuration, for option-parsing tests. */
export function configSummary(): string {
  const c = config;
  if (c == null) return '';
  const w = new JsonWriter();
  w.beginObject();
  w.key('resource'); w.string(c.resource);
  w.key('resourceMetadataUrl'); w.string(c.resourceMetadataUrl);
  w.key('metadataPath'); w.string(c.metadataPathWithResource);
  w.key('requiredScopes'); stringArray(w, c.requiredScopes);
  w.key('allowedEmails'); stringArray(w, c.allowedEmails);
  w.key('requireEmailVerified'); w.bool(c.requireEmailVerified);
  w.key('protectedPaths'); stringArray(w, c.protectedPaths);
  w.key('publicPaths'); stringArray(w, c.publicPaths);
  w.key('stripAuthorization'); w.bool(c.stripAuthorization);
  w.key('clockSkewSeconds'); w.integer(c.clockSkewSeconds);
  w.key('maxTokenBytes'); w.integer(c.maxTokenBytes);
  w.key('allowQueryToken'); w.bool(c.allowQueryToken);
  w.key('logLevel'); w.integer(c.logLevel);
  w.key('loginRedirect'); w.string(c.loginRedirect);
  w.key('forwardUser'); w.string(c.forwardHeaders.user);
  w.key('forwardEmail'); w.string(c.forwardHeaders.email);
  w.key('issuers');
  w.beginArray();
  for (let i = 0; i < c.issuers.length; i++) {
    const iss = c.issuers[i];
    w.beginObject();
    w.key('issuer'); w.string(iss.issuer);
    w.key('audiences'); stringArray(w, iss.audiences);
    w.key('algorithms'); w.integer(iss.algorithms);
    w.key('type'); w.string(iss.tokenType);
    w.key('jwksFile'); w.string(iss.jwksFile);
    w.key('jwksRefreshSeconds'); w.integer(iss.jwksRefreshSeconds);
    w.key('inlineKeys'); w.integer(keys.sets.length > i ? keys.sets[i].length : 0);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.toString();
}

function stringArray(w: JsonWriter, items: string[]): void {
  w.beginArray();
  for (let i = 0; i < items.length; i++) w.string(items[i]);
  w.endArray();
}

/** "OK <sub> <email> <verified> <scope> <client_id>" joined by \n, or "ERR <reason>". */
export function verify(token: string, now: f64): string {
  const c = config;
  if (c == null) return 'ERR not configured';
  const r = verifyAccessToken(token, c, keys, <i64>now);
  const id = r.identity;
  if (id == null) return 'ERR ' + r.reason;
  return 'OK\n' + id.subject + '\n' + id.email + '\n' + (id.emailVerified ? 'true' : 'false') + '\n' + id.scope + '\n' + id.clientId;
}

/** Runs decide() and returns the decision as JSON. `authorization` holds header values joined by "\n". */
export function decideRequest(method: string, uri: string, authorization: string, accept: string, preflight: bool, now: f64): string {
  const c = config;
  if (c == null) return '{"error":"not configured"}';
  const facts = new RequestFacts();
  facts.method = method;
  facts.uri = uri;
  facts.authorization = authorization.length > 0 ? authorization.split('\n') : [];
  facts.accept = accept;
  facts.preflight = preflight;
  const d = decide(facts, c, keys, cache, <i64>now);
  const w = new JsonWriter();
  w.beginObject();
  w.key('outcome'); w.string(outcomeName(d.outcome));
  w.key('status'); w.integer(d.status);
  w.key('reason'); w.string(d.reason);
  w.key('cached'); w.bool(d.cached);
  w.key('headers');
  w.beginObject();
  for (let i = 0; i < d.headerNames.length; i++) {
    w.key(d.headerNames[i]);
    w.string(d.headerValues[i]);
  }
  w.endObject();
  w.key('body'); w.string(d.body);
  const id = d.identity;
  if (id != null) {
    w.key('user'); w.string(id.user());
    w.key('sub'); w.string(id.subject);
  }
  w.endObject();
  return w.toString();
}


/**
 * decideRequest with the size facts the plugin glue derives from the raw request
 * (assembly/plugin/handler.ts gatherFacts): `uriTooLong` when the URI is over 64 KiB of UTF-8,
 * `authorizationTooLarge` when the NUL-terminated Authorization values together are over
 * maxTokenBytes + 64 bytes (the values are then not read at all); `accept` is one header value,
 * read as "" when over 4096 bytes with its NUL. Besides the decision it returns
 * the identity headers the glue would set upstream on an Allow (setIdentity), keyed by the
 * configured header names, and the URI the upstream would get instead (`rewriteUri`, "" for
 * unchanged), so the sidecar's forwardAuth can be compared header for header. `crossOrigin`: the
 * request has an Origin header.
 */
export function decideRequestFull(method: string, uri: string, authorization: string, accept: string, preflight: bool, now: f64, crossOrigin: bool = false): string {
  const c = config;
  if (c == null) return '{"error":"not configured"}';
  const facts = new RequestFacts();
  facts.method = method;
  facts.uriTooLong = String.UTF8.byteLength(uri) > <i32>MAX_URI_BYTES;
  facts.uri = facts.uriTooLong ? '' : uri;
  const values = authorization.length > 0 ? authorization.split('\n') : new Array<string>(0);
  let listBytes = 0;
  for (let i = 0; i < values.length; i++) listBytes += String.UTF8.byteLength(values[i]) + 1;
  facts.authorizationTooLarge = listBytes > c.maxTokenBytes + 64;
  facts.authorization = facts.authorizationTooLarge ? new Array<string>(0) : values;
  facts.accept = String.UTF8.byteLength(accept) + 1 > <i32>MAX_ACCEPT_BYTES ? '' : accept;
  facts.preflight = preflight;
  facts.crossOrigin = crossOrigin;
  const d = decide(facts, c, keys, cache, <i64>now);
  const w = new JsonWriter();
  w.beginObject();
  w.key('outcome'); w.string(outcomeName(d.outcome));
  w.key('status'); w.integer(d.status);
  w.key('reason'); w.string(d.reason);
  w.key('rewriteUri'); w.string(d.rewriteUri);
  w.key('headers');
  w.beginArray();
  for (let i = 0; i < d.headerNames.length; i++) {
    w.beginArray();
    w.string(d.headerNames[i]);
    w.string(d.headerValues[i]);
    w.endArray();
  }
  w.endArray();
  w.key('body'); w.string(d.body);
  const id = d.identity;
  if (id != null) {
    w.key('user'); w.string(id.user());
    w.key('sub'); w.string(id.subject);
  }
  // What setIdentity (assembly/plugin/handler.ts) puts on the upstream request, in its order.
  w.key('identityHeaders');
  w.beginArray();
  if (id != null && d.outcome == Outcome.Allow) {
    const f = c.forwardHeaders;
    if (f.user.length > 0) identityPair(w, f.user, id.user());
    if (f.email.length > 0 && id.email.length > 0) identityPair(w, f.email, id.email);
    if (f.subject.length > 0) identityPair(w, f.subject, id.subject);
    if (f.scopes.length > 0) identityPair(w, f.scopes, id.scopes.join(' '));
    if (f.clientId.length > 0 && id.clientId.length > 0) identityPair(w, f.clientId, id.clientId);
  }
  w.endArray();
  w.endObject();
  return w.toString();
}

function identityPair(w: JsonWriter, name: string, value: string): void {
  w.beginArray();
  w.string(name);
  w.string(value);
  w.endArray();
}

export function cacheSize(): i32 {
  return cache.size;
}

export function cacheBytes(): i32 {
  return cache.byteSize;
}

export function unknownKidReloads(): i32 {
  return keys.unknownKidReloads;
}

/**
 * JWS-level verification for Wycheproof's JWS/JWK vectors: 1 valid, 0 invalid, -1 key set refused.
 * Any supported algorithm; the key set is a JWK or a JWKS.
 */
export function verifyJws(jws: string, jwks: string): i32 {
  const doc = parseJson(Uint8Array.wrap(String.UTF8.encode(jwks)), 8, 1 << 20);
  if (doc.value == null) return -1;
  const set = parseKeySet(doc.value!);
  if (set.error.length > 0) return -1;
  const parsed = parseCompactJws(jws, 1 << 20);
  if (parsed.jws == null) return 0;
  const t = parsed.jws!;
  if ((t.family & ALG_ALL) == 0) return 0;
  const lookup = candidateKeys(t, set.keys);
  if (lookup.status != KEY_FOUND) return 0;
  for (let i = 0; i < lookup.keys.length; i++) if (verifySignature(t, lookup.keys[i])) return 1;
  return 0;
}

export function emailCheck(allowList: string, address: string): i32 {
  const entries = allowList.split(',');
  const canon = new Array<string>();
  for (let i = 0; i < entries.length; i++) {
    const e = canonicalAllowEntry(entries[i]);
    if (e.length == 0) return -1;
    canon.push(e);
  }
  return emailAllowed(canon, address) ? 1 : 0;
}

export function pathNeedsToken(path: string, protectedPaths: string, publicPaths: string): bool {
  return needsToken(path, protectedPaths.length > 0 ? protectedPaths.split(',') : [], publicPaths.length > 0 ? publicPaths.split(',') : []);
}

export function pathLoose(path: string): string {
  return loosePath(path);
}

export function pathClean(path: string): bool {
  return isCleanPath(path);
}

/** Benchmark helper: runs the full token verification n times inside the guest; returns successes. */
export function verifyRepeat(token: string, now: f64, n: i32): i32 {
  const c = config;
  if (c == null) return -1;
  let okCount = 0;
  for (let i = 0; i < n; i++) {
    if (verifyAccessToken(token, c, keys, <i64>now).identity != null) okCount++;
  }
  return okCount;
}

/** Benchmark helper: runs decide() n times for one Authorization value (cache hits after the first). */
export function decideRepeat(authorization: string, now: f64, n: i32): i32 {
  const c = config;
  if (c == null) return -1;
  const facts = new RequestFacts();
  facts.method = 'POST';
  facts.uri = '/mcp';
  facts.authorization = [authorization];
  let allowed = 0;
  for (let i = 0; i < n; i++) {
    if (decide(facts, c, keys, cache, <i64>now).outcome == Outcome.Allow) allowed++;
  }
  return allowed;
}

/**
 * Benchmark helper: the signature check alone (SHA-256 of the signing input where the algorithm
 * needs it, then RSA / ECDSA / Ed25519 verification) n times, the same work node:crypto's
 * crypto.verify does. Returns successes, -1 when the token or its key cannot be used.
 */
export function verifySignatureRepeat(token: string, n: i32): i32 {
  const c = config;
  if (c == null || c.issuers.length == 0) return -1;
  const parsed = parseCompactJws(token, 1 << 16);
  if (parsed.jws == null) return -1;
  const jws = parsed.jws!;
  const lookup = candidateKeys(jws, keys.keysFor(0));
  if (lookup.status != KEY_FOUND || lookup.keys.length != 1) return -1;
  const key = lookup.keys[0];
  let okCount = 0;
  for (let i = 0; i < n; i++) if (verifySignature(jws, key)) okCount++;
  return okCount;
}
