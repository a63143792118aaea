// The request flow: read the request through the ABI, decide, apply. Runs on every request, on
// whichever pooled guest instance Traefik picks; state here is per instance.
import {
  HeaderKind, LogLevel, RawList, getConfigBytes, lastValueTooLarge, getHeaderValues, getMethod, getUri,
  rawListStrings, readHeaderNames, readHeaderValues, removeHeaderBytes, setHeaderValue, setStatusCode, setUri, writeBodyString,
} from '../abi/host';
import { nowUnixSeconds } from '../abi/wasi';
import { Config, parseConfig } from '../policy/config';
import { jsonQuote } from '../encoding/json';
import {
  Decision, MAX_ACCEPT_BYTES, MAX_URI_BYTES, Outcome, RequestFacts, clockErrorAnswer, configErrorAnswer, decide,
} from '../policy/decision';
import { TokenCache } from '../jwt/cache';
import { FileKeySource } from './keys';
import { levelEnabled, logAt } from './log';

/** Per-instance state, set up on the first request (not at instantiation: Traefik's pool creates
 * instances eagerly, and a bad config must fail closed per request, not break the router). */
class PluginState {
  config: Config | null = null;
  configError: string = '';
  keys: FileKeySource | null = null;
  cache: TokenCache = new TokenCache();
  keyGeneration: i32 = 0;
  /** Lowercased identity header names (with `-`), stripped from every request. */
  identityHeaders: string[] = [];
  // Reused on every request so that a request with a cached token makes almost no allocations
  // (in Traefik's wazero, allocation and GC work were most of the plugin's cost per request).
  facts: RequestFacts = new RequestFacts();
  headerNames: RawList = new RawList();
  authorization: RawList = new RawList();
  /** Offsets into `headerNames` of the names to remove when the request continues upstream. */
  namesToStrip: i32[] = [];
  /** True when `namesToStrip` was filled for this request (the name list could be read). */
  namesScanned: bool = false;
}

let state: PluginState | null = null;

function initialize(): PluginState {
  const s = new PluginState();
  const parsed = parseConfig(getConfigBytes());
  if (parsed.config == null) {
    s.configError = parsed.error;
  } else {
    const config = parsed.config!;
    const keys = new FileKeySource(config);
    const keyError = keys.init(nowUnixSeconds());
    if (keyError.length > 0) {
      s.configError = keyError;
    } else {
      s.config = config;
      s.keys = keys;
      s.keyGeneration = keys.generation;
      s.identityHeaders = identityHeaderNames(config);
    }
  }
  if (s.configError.length > 0) {
    logAt(null, LogLevel.Error, 'mcpauth: invalid configuration, every request is refused: ' + s.configError);
  } else {
    logAt(s.config, LogLevel.Info, 'mcpauth: ready for ' + s.config!.resource);
  }
  return s;
}

function identityHeaderNames(config: Config): string[] {
  const f = config.forwardHeaders;
  const names = ['x-forwarded-user', f.user, f.email, f.subject, f.scopes, f.clientId];
  const out = new Array<string>();
  for (let i = 0; i < names.length; i++) {
    const n = normalizeHeaderName(names[i]);
    if (n.length > 0 && !out.includes(n)) out.push(n);
  }
  return out;
}

/** Lowercase with `_` read as `-`: `X_Forwarded_User` is the same header to many upstreams. */
function normalizeHeaderName(name: string): string {
  const codes = new Array<i32>(name.length);
  for (let i = 0; i < name.length; i++) {
    let c = name.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c == 95) c = 45;
    codes[i] = c;
  }
  return String.fromCharCodes(codes);
}


const EMPTY_VALUES: string[] = [];

function gatherFacts(s: PluginState, config: Config): RequestFacts {
  const facts = s.facts;
  facts.method = getMethod();
  facts.uri = getUri(MAX_URI_BYTES);
  facts.uriTooLong = lastValueTooLarge();
  facts.accept = '';
  facts.preflight = false;
  facts.crossOrigin = false;
  facts.bearerPtr = 0;
  facts.bearerLen = 0;
  facts.authorization = EMPTY_VALUES;
  readAuthorization(s, facts, config);
  s.namesScanned = scanHeaderNames(s, facts, config);
  if (!s.namesScanned) {
    // The name list could not be read (over the cap): ask for the two headers by name instead.
    const origin = getHeaderValues(HeaderKind.Request, 'origin', 4096);
    facts.crossOrigin = origin.length > 0 || lastValueTooLarge();
    const acrm = getHeaderValues(HeaderKind.Request, 'access-control-request-method', 256);
    facts.preflight = acrm.length > 0 || lastValueTooLarge();
  }
  // Accept only matters for the login redirect (a GET without a token); read it only then.
  if (config.loginRedirect.length > 0 && facts.method == 'GET') {
    facts.accept = getHeaderValues(HeaderKind.Request, 'accept', MAX_ACCEPT_BYTES).join(',');
  }
  return facts;
}

/**
 * Reads the Authorization values in place. The common shape, one `Bearer <token>` value with a
 * token of printable ASCII, hands decide() the token's bytes; anything else is decoded into
 * strings for the general reader in decide() (same outcome, it only costs more).
 */
function readAuthorization(s: PluginState, facts: RequestFacts, config: Config): void {
  // Room for the scheme, spaces and a second copy's NUL: anything longer is an oversized token.
  const list = s.authorization;
  readHeaderValues(HeaderKind.Request, 'authorization', <u32>config.maxTokenBytes + 64, list);
  facts.authorizationTooLarge = lastValueTooLarge();
  if (list.count == 0) return;
  const start = list.dataStart;
  const len = <i32>list.byteLength - 1; // without the NUL
  if (list.count == 1 && len > 7 && isBearerPrefix(start) && isPrintableAscii(start + 7, len - 7)) {
    facts.bearerPtr = start + 7;
    facts.bearerLen = len - 7;
    return;
  }
  facts.authorization = rawListStrings(list);
}

/** "Bearer " in any casing of the scheme (RFC 7235 §2.1), then exactly one space. */
function isBearerPrefix(p: usize): bool {
  return asciiBytesEqual(p, 6, 'bearer', false) && load<u8>(p + 6) == 0x20;
}

/**
 * Bytes 0x21..0x7e only: no spaces, controls or non-ASCII, so the bytes are the token's text.
 * Eight bytes at a time (the "has a byte less than / more than n" word tricks, exact for n <= 127).
 */
function isPrintableAscii(p: usize, len: i32): bool {
  const ones: u64 = 0x0101010101010101;
  const highs: u64 = 0x8080808080808080;
  let i = 0;
  for (; i + 8 <= len; i += 8) {
    const w = load<u64>(p + <usize>i);
    const below = (w - ones * 0x21) & ~w & highs;
    const above = ((w + ones * (127 - 0x7e)) | w) & highs;
    if ((below | above) != 0) return false;
  }
  for (; i < len; i++) {
    const c = load<u8>(p + <usize>i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

const ORIGIN = 'origin';
const ACCESS_CONTROL_REQUEST_METHOD = 'access-control-request-method';
const AUTHORIZATION = 'authorization';

/**
 * The `len` bytes at `p` equal `expected` (lowercase ASCII) ignoring ASCII case, and with `_` read
 * as `-` when `underscoreAsDash` (how many upstreams read header names).
 */
function asciiBytesEqual(p: usize, len: i32, expected: string, underscoreAsDash: bool): bool {
  if (len != expected.length) return false;
  for (let i = 0; i < len; i++) {
    let c = <i32>load<u8>(p + <usize>i);
    if (c >= 65 && c <= 90) c += 32;
    if (underscoreAsDash && c == 95) c = 45;
    if (c != expected.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * One pass over the request's header names, in place: notes Origin and
 * Access-Control-Request-Method (CORS), and which names stripIncoming must remove (every spelling
 * of the identity headers, and the token). False when the list could not be read.
 */
function scanHeaderNames(s: PluginState, facts: RequestFacts, config: Config): bool {
  const strip = s.namesToStrip;
  strip.length = 0;
  const list = s.headerNames;
  if (!readHeaderNames(HeaderKind.Request, list)) return false;
  const stripAuth = config.stripAuthorization;
  const identity = s.identityHeaders;
  const start = list.dataStart;
  const end = start + <usize>list.byteLength;
  let from = start;
  for (let p = start; p < end; p++) {
    if (load<u8>(p) != 0) continue;
    const len = <i32>(p - from);
    if (asciiBytesEqual(from, len, ORIGIN, false)) {
      facts.crossOrigin = true;
    } else if (asciiBytesEqual(from, len, ACCESS_CONTROL_REQUEST_METHOD, false)) {
      facts.preflight = true;
    } else if (asciiBytesEqual(from, len, AUTHORIZATION, true)) {
      if (stripAuth) strip.push(<i32>(from - start));
    } else {
      for (let i = 0; i < identity.length; i++) {
        if (asciiBytesEqual(from, len, identity[i], true)) {
          strip.push(<i32>(from - start));
          break;
        }
      }
    }
    from = p + 1;
  }
  return true;
}

/** Removes every spelling and copy of the identity headers (and the token, when configured). */
function stripIncoming(s: PluginState): void {
  if (!s.namesScanned) return;
  const list = s.headerNames;
  const start = list.dataStart;
  const end = start + <usize>list.byteLength;
  for (let i = 0; i < s.namesToStrip.length; i++) {
    const name = start + <usize>s.namesToStrip[i];
    let p = name;
    while (p < end && load<u8>(p) != 0) p++;
    removeHeaderBytes(HeaderKind.Request, name, <u32>(p - name));
  }
}

function setIdentity(s: PluginState, d: Decision): void {
  const id = d.identity;
  const config = s.config;
  if (id == null || config == null) return;
  const f = config.forwardHeaders;
  if (f.user.length > 0) setHeaderValue(HeaderKind.Request, f.user, id.user());
  if (f.email.length > 0 && id.email.length > 0) setHeaderValue(HeaderKind.Request, f.email, id.email);
  if (f.subject.length > 0) setHeaderValue(HeaderKind.Request, f.subject, id.subject);
  if (f.scopes.length > 0) setHeaderValue(HeaderKind.Request, f.scopes, id.scopes.join(' '));
  if (f.clientId.length > 0 && id.clientId.length > 0) setHeaderValue(HeaderKind.Request, f.clientId, id.clientId);
}

function respond(d: Decision): void {
  // Headers first: without response buffering the status line is written at set_status_code.
  for (let i = 0; i < d.headerNames.length; i++) setHeaderValue(HeaderKind.Response, d.headerNames[i], d.headerValues[i]);
  setStatusCode(d.status);
  if (d.body.length > 0) writeBodyString(1, d.body);
}

function logDecision(s: PluginState, facts: RequestFacts, d: Decision): void {
  const allowed = d.outcome != Outcome.Answer;
  // Answers below 400 (the metadata document, its preflight, the login redirect) are not denials.
  const verb = allowed ? 'allow' : d.status < 400 ? 'answer' : 'deny';
  const level = d.status >= 400 ? LogLevel.Info : LogLevel.Debug;
  if (!levelEnabled(s.config, level)) return;
  // Every field that can come from the client or the token is JSON-quoted, so a value holding a
  // quote cannot forge another field in the log line.
  let line = 'mcpauth: ' + verb + ' ' + jsonQuote(facts.method) + ' ' + jsonQuote(pathForLog(facts.uri)) +
    ' status=' + (allowed ? '-' : d.status.toString()) + ' reason=' + jsonQuote(d.reason);
  const id = d.identity;
  if (id != null) {
    line += ' sub=' + jsonQuote(id.subject);
    if (id.clientId.length > 0) line += ' client_id=' + jsonQuote(id.clientId);
  }
  if (d.cached) line += ' cached=true';
  logAt(s.config, level, line);
}

/** The path only: a query string may carry a token (`access_token=`), so it never reaches the log. */
function pathForLog(uri: string): string {
  const q = uri.indexOf('?');
  const p = q < 0 ? uri : uri.substring(0, q);
  return p.length > 200 ? p.substring(0, 200) + '...' : p;
}

/** Nothing verified under an older key set may be served from the cache. */
function syncCache(s: PluginState, keys: FileKeySource): void {
  if (keys.generation != s.keyGeneration) {
    s.keyGeneration = keys.generation;
    s.cache.clear();
  }
}

/** Handles one request; returns 1 to continue to the upstream, 0 when answered here. */
export function handleRequest(): i32 {
  if (state == null) state = initialize();
  const s = state!;
  const config = s.config;
  const keys = s.keys;
  if (config == null || keys == null) {
    respond(configErrorAnswer());
    return 0;
  }
  const now = nowUnixSeconds();
  if (now < 0) {
    // Without a wall clock no expiry can be checked: fail closed.
    logAt(config, LogLevel.Error, 'mcpauth: the real-time clock is unavailable; refusing the request');
    respond(clockErrorAnswer());
    return 0;
  }
  keys.refreshDue(now);
  syncCache(s, keys);
  const facts = gatherFacts(s, config);
  const d = decide(facts, config, keys, s.cache, now);
  // An unknown-kid reload inside decide() may have changed the keys too.
  syncCache(s, keys);
  logDecision(s, facts, d);
  if (d.outcome == Outcome.Answer) {
    respond(d);
    return 0;
  }
  stripIncoming(s);
  if (d.outcome == Outcome.Allow) setIdentity(s, d);
  if (d.rewriteUri.length > 0) setUri(d.rewriteUri);
  return 1;
}
