// Plugin options -> a validated Config. The option names, defaults and leniency rules are the
// ones in docs/policy-contract.md; the sidecar's forwardAuth policy loader follows the same table.
//
// Leniency exists because of how Traefik hands us options: keys keep whatever casing the
// provider produced (so keys match case-insensitively), label providers turn every value into a
// string (so "true", "42" and "a,b" are accepted), and an absent config arrives as zero bytes.
// Strictness exists because a typo in an auth policy must not silently drop a requirement: an
// unknown option is an error, and any error makes the middleware fail closed.
import { JsonKind, JsonValue, parseJson } from '../encoding/json';
import { canonicalAllowEntry } from './email';
import { asciiLower } from './ascii';

export const ALG_RS256: i32 = 1;
export const ALG_ES256: i32 = 2;
export const ALG_EDDSA: i32 = 4;
export const ALG_ALL: i32 = ALG_RS256 | ALG_ES256 | ALG_EDDSA;

export class IssuerConfig {
  issuer: string = '';
  audiences: string[] = [];
  /** Bit set of ALG_* values accepted for this issuer. */
  algorithms: i32 = ALG_ALL;
  /** Required `typ` header, already normalized (lowercase, no `application/` prefix). */
  tokenType: string = 'at+jwt';
  /** Inline JWKS, parsed; null when the issuer only has a file. */
  inlineJwks: JsonValue | null = null;
  jwksFile: string = '';
  jwksRefreshSeconds: i64 = 30;
}

export class ForwardHeaders {
  user: string = 'X-Forwarded-User';
  email: string = '';
  subject: string = '';
  scopes: string = '';
  clientId: string = '';
}

export class Config {
  issuers: IssuerConfig[] = [];
  resource: string = '';
  /** Absolute URL of the Protected Resource Metadata document for `resource`. */
  resourceMetadataUrl: string = '';
  /** Path of the PRM document with the resource path appended (RFC 9728 §3.1). */
  metadataPathWithResource: string = '';
  authorizationServers: string[] = [];
  scopesSupported: string[] = [];
  resourceName: string = '';
  protectedPaths: string[] = ['/'];
  publicPaths: string[] = [];
  requiredScopes: string[] = [];
  allowedEmails: string[] = [];
  requireEmailVerified: bool = false;
  forwardHeaders: ForwardHeaders = new ForwardHeaders();
  stripAuthorization: bool = true;
  clockSkewSeconds: i64 = 60;
  maxTokenBytes: i32 = 8192;
  allowQueryToken: bool = false;
  logLevel: i32 = 1;
  loginRedirect: string = '';
}

export const WELL_KNOWN_PRM: string = '/.well-known/oauth-protected-resource';

export class ConfigResult {
  constructor(public config: Config | null, public error: string) {}
}

const TOP_LEVEL_OPTIONS: string[] = [
  'issuers', 'resource', 'authorizationservers', 'scopessupported', 'resourcename',
  'protectedpaths', 'publicpaths', 'requiredscopes', 'allowedemails', 'requireemailverified',
  'forwardheaders', 'stripauthorization', 'clockskewseconds', 'maxtokenbytes', 'allowquerytoken',
  'loglevel', 'loginredirect',
];
const ISSUER_OPTIONS: string[] = ['issuer', 'audiences', 'algorithms', 'type', 'jwks', 'jwksfile', 'jwksrefreshseconds'];
const FORWARD_HEADER_OPTIONS: string[] = ['user', 'email', 'subject', 'scopes', 'clientid'];

/** Reads options as a small cursor over one JSON object, remembering the first problem found. */
class OptionReader {
  error: string = '';

  constructor(public obj: JsonValue, public prefix: string) {}

  fail(option: string, problem: string): void {
    if (this.error.length == 0) this.error = 'option "' + this.prefix + option + '": ' + problem;
  }

  checkKnown(known: string[]): void {
    const keys = this.obj.keys;
    for (let i = 0; i < keys.length; i++) {
      // ASCII-only folding, the same rule getIgnoreCase() uses: a look-alike such as the Kelvin
      // sign must make an option unknown, not silently ignored.
      const lower = asciiLower(keys[i]);
      if (!known.includes(lower)) {
        this.fail(keys[i], 'unknown option');
        return;
      }
      for (let j = 0; j < i; j++) {
        if (asciiLower(keys[j]) == lower) {
          this.fail(keys[i], 'given twice with different casing');
          return;
        }
      }
    }
  }

  find(name: string): JsonValue | null {
    return this.obj.getIgnoreCase(name);
  }

  string(name: string, fallback: string): string {
    const v = this.find(name);
    if (v == null || v.kind == JsonKind.Null) return fallback;
    if (v.kind != JsonKind.String) {
      this.fail(name, 'must be a string');
      return fallback;
    }
    return v.stringValue;
  }

  bool(name: string, fallback: bool): bool {
    const v = this.find(name);
    if (v == null || v.kind == JsonKind.Null) return fallback;
    if (v.kind == JsonKind.Bool) return v.boolValue;
    if (v.kind == JsonKind.String) {
      const s = v.stringValue.trim().toLowerCase();
      if (s == 'true') return true;
      if (s == 'false') return false;
    }
    this.fail(name, 'must be true or false');
    return fallback;
  }

  integer(name: string, fallback: i64, min: i64, max: i64): i64 {
    const v = this.find(name);
    if (v == null || v.kind == JsonKind.Null) return fallback;
    let n: i64 = 0;
    if (v.kind == JsonKind.Number && v.isInteger) {
      n = <i64>v.numberValue;
    } else if (v.kind == JsonKind.String && isDecimalInteger(v.stringValue.trim())) {
      const s = v.stringValue.trim();
      if (s.length > 12) {
        this.fail(name, 'must be a whole number from ' + min.toString() + ' to ' + max.toString());
        return fallback;
      }
      n = I64.parseInt(s, 10);
    } else {
      this.fail(name, 'must be a whole number from ' + min.toString() + ' to ' + max.toString());
      return fallback;
    }
    if (n < min || n > max) {
      this.fail(name, 'must be a whole number from ' + min.toString() + ' to ' + max.toString());
      return fallback;
    }
    return n;
  }

  /**
   * Like list(), but an option that is present must name at least one entry: an empty value
   * (for example a Traefik label left empty) would otherwise silently switch a check off.
   */
  nonEmptyList(name: string, fallback: string[], meaning: string): string[] {
    const v = this.find(name);
    const out = this.list(name, fallback);
    if (v != null && v.kind != JsonKind.Null && out.length == 0 && this.error.length == 0) {
      this.fail(name, 'is empty; ' + meaning);
    }
    return out;
  }

  /** A list of strings: a JSON array of strings, or one comma-separated string. Empty entries are dropped. */
  list(name: string, fallback: string[]): string[] {
    const v = this.find(name);
    if (v == null || v.kind == JsonKind.Null) return fallback;
    const out = new Array<string>();
    if (v.kind == JsonKind.String) {
      const parts = v.stringValue.split(',');
      for (let i = 0; i < parts.length; i++) {
        const p = parts[i].trim();
        if (p.length > 0) out.push(p);
      }
      return out;
    }
    if (v.kind == JsonKind.Array) {
      for (let i = 0; i < v.items.length; i++) {
        const item = v.items[i];
        if (item.kind != JsonKind.String) {
          this.fail(name, 'must be a list of strings');
          return fallback;
        }
        const p = item.stringValue.trim();
        if (p.length > 0) out.push(p);
      }
      return out;
    }
    // Label providers may turn a list into an object keyed "0", "1", ...
    if (v.kind == JsonKind.Object && isIndexObject(v)) {
      const ordered = indexOrder(v);
      for (let i = 0; i < ordered.length; i++) {
        const item = ordered[i];
        if (item.kind != JsonKind.String) {
          this.fail(name, 'must be a list of strings');
          return fallback;
        }
        const p = item.stringValue.trim();
        if (p.length > 0) out.push(p);
      }
      return out;
    }
    this.fail(name, 'must be a list of strings or a comma-separated string');
    return fallback;
  }
}

function isDecimalInteger(s: string): bool {
  if (s.length == 0) return false;
  let i = 0;
  if (s.charCodeAt(0) == 45) i = 1; // '-'
  if (i >= s.length) return false;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The values of an index-keyed object in numeric key order. Go's json.Marshal sorts map keys as
 * text ("10" before "2"), so document order is not list order.
 */
function indexOrder(v: JsonValue): JsonValue[] {
  const n = v.keys.length;
  const idx = new Array<i32>(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  // Insertion sort by numeric key (lists from labels are short); keys are digit strings of
  // at most 12 characters here or they would not be index objects, so F64 parsing is exact.
  for (let i = 1; i < n; i++) {
    const cur = idx[i];
    const curKey = F64.parseFloat(v.keys[cur]);
    let j = i - 1;
    while (j >= 0 && F64.parseFloat(v.keys[idx[j]]) > curKey) {
      idx[j + 1] = idx[j];
      j--;
    }
    idx[j + 1] = cur;
  }
  const out = new Array<JsonValue>(n);
  for (let i = 0; i < n; i++) out[i] = v.values[idx[i]];
  return out;
}

function isIndexObject(v: JsonValue): bool {
  for (let i = 0; i < v.keys.length; i++) {
    if (v.keys[i].length > 12 || !isDecimalInteger(v.keys[i]) || v.keys[i].charCodeAt(0) == 45) return false;
  }
  return true;
}

/** An http(s) URL with a host and no fragment, userinfo or whitespace. */
export function isAbsoluteHttpUrl(s: string): bool {
  let rest: string;
  if (s.startsWith('https://')) rest = s.substring(8);
  else if (s.startsWith('http://')) rest = s.substring(7);
  else return false;
  if (rest.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127 || c == 35 /* # */ || c == 92 /* \ */) return false;
  }
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.substring(0, slash);
  if (authority.length == 0 || authority.includes('@')) return false;
  return true;
}

/** `https://a.example/mcp` -> origin `https://a.example`, path `/mcp` (trailing slash kept off). */
function splitUrl(url: string): string[] {
  const schemeEnd = url.indexOf('://') + 3;
  const slash = url.indexOf('/', schemeEnd);
  let origin = slash < 0 ? url : url.substring(0, slash);
  let path = slash < 0 ? '' : url.substring(slash);
  const q = path.indexOf('?');
  if (q >= 0) path = path.substring(0, q);
  while (path.length > 0 && path.endsWith('/')) path = path.substring(0, path.length - 1);
  return [origin, path];
}

/** Normalizes a `typ` value per RFC 8725 §3.11 / RFC 7515 §4.1.9: case-insensitive, `application/` optional. */
export function normalizeTokenType(t: string): string {
  let s = t.toLowerCase();
  if (s.startsWith('application/')) s = s.substring(12);
  return s;
}

function isValidHeaderName(name: string): bool {
  if (name.length == 0 || name.length > 128) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45;
    if (!ok) return false;
  }
  return true;
}

function isValidPathPrefix(p: string): bool {
  if (!p.startsWith('/')) return false;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c <= 32 || c >= 127 || c == 63 /* ? */ || c == 35 /* # */ || c == 37 /* % */ || c == 59 /* ; */ || c == 92) return false;
  }
  if (p.includes('//') || p.includes('/./') || p.includes('/../') || p.endsWith('/..') || p.endsWith('/.')) return false;
  return true;
}

function parseAlgorithms(reader: OptionReader, names: string[]): i32 {
  let bits = 0;
  for (let i = 0; i < names.length; i++) {
    const n = names[i];
    if (n == 'RS256') bits |= ALG_RS256;
    else if (n == 'ES256') bits |= ALG_ES256;
    else if (n == 'EdDSA') bits |= ALG_EDDSA;
    else {
      reader.fail('algorithms', 'unsupported algorithm "' + n + '" (supported: RS256, ES256, EdDSA)');
      return 0;
    }
  }
  if (bits == 0) reader.fail('algorithms', 'must name at least one algorithm');
  return bits;
}

function parseIssuer(value: JsonValue, index: i32, resource: string): ConfigResultIssuer {
  const prefix = 'issuers[' + index.toString() + '].';
  if (value.kind != JsonKind.Object) {
    return new ConfigResultIssuer(null, 'option "issuers[' + index.toString() + ']": must be an object');
  }
  const r = new OptionReader(value, prefix);
  r.checkKnown(ISSUER_OPTIONS);
  const iss = new IssuerConfig();
  iss.issuer = r.string('issuer', '');
  if (r.error.length == 0 && iss.issuer.length == 0) r.fail('issuer', 'is required');
  iss.audiences = r.list('audiences', [resource]);
  if (r.error.length == 0 && iss.audiences.length == 0) r.fail('audiences', 'must name at least one audience');
  const algs = r.list('algorithms', ['RS256', 'ES256', 'EdDSA']);
  if (r.error.length == 0) iss.algorithms = parseAlgorithms(r, algs);
  iss.tokenType = normalizeTokenType(r.string('type', 'at+jwt').trim());
  iss.jwksFile = r.string('jwksFile', '');
  if (r.error.length == 0 && iss.jwksFile.length > 0 && !iss.jwksFile.startsWith('/')) {
    r.fail('jwksFile', 'must be an absolute path inside a Traefik plugin mount');
  }
  iss.jwksRefreshSeconds = r.integer('jwksRefreshSeconds', 30, 1, 86400);
  const jwks = r.find('jwks');
  if (jwks != null && jwks.kind != JsonKind.Null) {
    if (jwks.kind == JsonKind.Object) {
      iss.inlineJwks = jwks;
    } else if (jwks.kind == JsonKind.String) {
      const parsed = parseJson(Uint8Array.wrap(String.UTF8.encode(jwks.stringValue)), 8, 1 << 20);
      if (parsed.value == null) r.fail('jwks', 'is not valid JSON: ' + parsed.error);
      else if (parsed.value!.kind != JsonKind.Object) r.fail('jwks', 'must be a JWKS object');
      else iss.inlineJwks = parsed.value;
    } else {
      r.fail('jwks', 'must be a JWKS object or its JSON text');
    }
  }
  if (r.error.length == 0 && iss.inlineJwks == null && iss.jwksFile.length == 0) {
    r.fail('jwks', 'each issuer needs "jwks" or "jwksFile"');
  }
  if (r.error.length > 0) return new ConfigResultIssuer(null, r.error);
  return new ConfigResultIssuer(iss, '');
}

class ConfigResultIssuer {
  constructor(public issuer: IssuerConfig | null, public error: string) {}
}

function parseForwardHeaders(r: OptionReader, out: ForwardHeaders): void {
  const v = r.find('forwardHeaders');
  if (v == null || v.kind == JsonKind.Null) return;
  if (v.kind != JsonKind.Object) {
    r.fail('forwardHeaders', 'must be an object with user, email, subject, scopes, clientId');
    return;
  }
  const fr = new OptionReader(v, 'forwardHeaders.');
  fr.checkKnown(FORWARD_HEADER_OPTIONS);
  out.user = fr.string('user', out.user).trim();
  out.email = fr.string('email', '').trim();
  out.subject = fr.string('subject', '').trim();
  out.scopes = fr.string('scopes', '').trim();
  out.clientId = fr.string('clientId', '').trim();
  const names = [out.user, out.email, out.subject, out.scopes, out.clientId];
  const labels = ['user', 'email', 'subject', 'scopes', 'clientId'];
  for (let i = 0; i < names.length; i++) {
    if (names[i].length > 0 && !isValidHeaderName(names[i])) fr.fail(labels[i], 'is not a valid header name');
    const lower = names[i].toLowerCase();
    if (lower == 'authorization' || lower == 'host' || lower == 'cookie') fr.fail(labels[i], 'may not replace the ' + names[i] + ' header');
  }
  if (fr.error.length > 0 && r.error.length == 0) r.error = fr.error;
}

/** Parses the raw bytes `get_config` returned. Zero bytes (no options) is an error: issuers are required. */
export function parseConfig(raw: Uint8Array): ConfigResult {
  if (raw.length == 0) return new ConfigResult(null, 'no options given: "issuers" and "resource" are required');
  const parsed = parseJson(raw, 16, 1 << 20);
  if (parsed.value == null) return new ConfigResult(null, 'options are not valid JSON: ' + parsed.error);
  const root = parsed.value!;
  // Traefik marshals a middleware without options as `null`.
  if (root.kind == JsonKind.Null) return new ConfigResult(null, 'no options given: "issuers" and "resource" are required');
  if (root.kind != JsonKind.Object) return new ConfigResult(null, 'options must be an object');

  const r = new OptionReader(root, '');
  r.checkKnown(TOP_LEVEL_OPTIONS);
  const c = new Config();

  c.resource = r.string('resource', '').trim();
  if (r.error.length == 0) {
    if (c.resource.length == 0) r.fail('resource', 'is required (the canonical URL of the MCP server)');
    else if (!isAbsoluteHttpUrl(c.resource) || c.resource.includes('?')) r.fail('resource', 'must be an absolute http(s) URL without query, fragment or userinfo');
  }
  if (r.error.length == 0) {
    const parts = splitUrl(c.resource);
    c.metadataPathWithResource = WELL_KNOWN_PRM + parts[1];
    c.resourceMetadataUrl = parts[0] + c.metadataPathWithResource;
  }

  const issuersValue = r.find('issuers');
  if (r.error.length == 0) {
    if (issuersValue == null || issuersValue.kind == JsonKind.Null) {
      r.fail('issuers', 'is required: list the trusted token issuers');
    } else {
      let items: JsonValue[] = [];
      if (issuersValue.kind == JsonKind.Array) items = issuersValue.items;
      else if (issuersValue.kind == JsonKind.Object && isIndexObject(issuersValue)) items = indexOrder(issuersValue);
      else r.fail('issuers', 'must be a list of issuer objects');
      if (r.error.length == 0 && items.length == 0) r.fail('issuers', 'must name at least one issuer');
      for (let i = 0; i < items.length && r.error.length == 0; i++) {
        const res = parseIssuer(items[i], i, c.resource);
        if (res.issuer == null) r.error = res.error;
        else c.issuers.push(res.issuer!);
      }
      for (let i = 0; i < c.issuers.length && r.error.length == 0; i++) {
        for (let j = 0; j < i; j++) {
          if (c.issuers[i].issuer == c.issuers[j].issuer) r.fail('issuers', 'issuer "' + c.issuers[i].issuer + '" is listed twice');
        }
      }
    }
  }

  const defaultAs = new Array<string>();
  for (let i = 0; i < c.issuers.length; i++) defaultAs.push(c.issuers[i].issuer);
  c.authorizationServers = r.list('authorizationServers', defaultAs);
  c.requiredScopes = r.nonEmptyList('requiredScopes', [], 'remove the option to require no scope');
  for (let i = 0; i < c.requiredScopes.length && r.error.length == 0; i++) {
    if (!isScopeToken(c.requiredScopes[i])) r.fail('requiredScopes', 'scope "' + c.requiredScopes[i] + '" has characters RFC 6749 does not allow');
  }
  c.scopesSupported = r.list('scopesSupported', c.requiredScopes);
  c.resourceName = r.string('resourceName', '');
  c.protectedPaths = r.nonEmptyList('protectedPaths', ['/'], 'remove the option to protect every path');
  c.publicPaths = r.list('publicPaths', []);
  for (let i = 0; i < c.protectedPaths.length && r.error.length == 0; i++) {
    if (!isValidPathPrefix(c.protectedPaths[i])) r.fail('protectedPaths', '"' + c.protectedPaths[i] + '" must be a clean path starting with /');
  }
  for (let i = 0; i < c.publicPaths.length && r.error.length == 0; i++) {
    if (!isValidPathPrefix(c.publicPaths[i])) r.fail('publicPaths', '"' + c.publicPaths[i] + '" must be a clean path starting with /');
  }
  c.allowedEmails = r.nonEmptyList('allowedEmails', [], 'remove the option to allow every verified token');
  for (let i = 0; i < c.allowedEmails.length && r.error.length == 0; i++) {
    const entry = canonicalAllowEntry(c.allowedEmails[i]);
    if (entry.length == 0) r.fail('allowedEmails', '"' + c.allowedEmails[i] + '" is not an email address or @domain entry (ASCII only)');
    else c.allowedEmails[i] = entry;
  }
  c.requireEmailVerified = r.bool('requireEmailVerified', c.allowedEmails.length > 0);
  parseForwardHeaders(r, c.forwardHeaders);
  c.stripAuthorization = r.bool('stripAuthorization', true);
  c.clockSkewSeconds = r.integer('clockSkewSeconds', 60, 0, 600);
  c.maxTokenBytes = <i32>r.integer('maxTokenBytes', 8192, 256, 65536);
  c.allowQueryToken = r.bool('allowQueryToken', false);
  c.logLevel = <i32>r.integer('logLevel', 1, 0, 2);
  c.loginRedirect = r.string('loginRedirect', '').trim();
  if (r.error.length == 0 && c.loginRedirect.length > 0 && !isAbsoluteHttpUrl(c.loginRedirect)) {
    r.fail('loginRedirect', 'must be an absolute http(s) URL');
  }
  for (let i = 0; i < c.authorizationServers.length && r.error.length == 0; i++) {
    if (!isAbsoluteHttpUrl(c.authorizationServers[i])) r.fail('authorizationServers', '"' + c.authorizationServers[i] + '" must be an absolute http(s) URL');
  }

  if (r.error.length > 0) return new ConfigResult(null, r.error);
  return new ConfigResult(c, '');
}

/** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
export function isScopeToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!(c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e))) return false;
  }
  return true;
}
