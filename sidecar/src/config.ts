// Sidecar configuration: read once at start-up from environment variables and `--flags`
// (flags win), validated, and frozen. A bad value throws a ConfigError naming the setting,
// so `main` can print it and exit 1 before anything listens.
//
// The old tool's names are kept (PORT, PROTECTED_PATH, OAUTH_DOMAIN, CLIENT_ID, CLIENT_SECRET,
// ALLOWED_EMAILS, LOG_LEVEL, ALLOWED_SCOPES, REQUIRED_SCOPES); each setting's flag is its name in
// kebab case (`OAUTH_DOMAIN` -> `--oauth-domain`).

import { normalizeAllowlistEntry } from './policy/email.js';

export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export type LogLevel = 0 | 1 | 2;

export interface UpstreamConfig {
  /** OpenID Connect issuer used for discovery (Google unless OIDC_ISSUER is set). */
  issuer: string;
  clientId: string;
  clientSecret?: string;
  scopes: string[];
  /** True for a plain-http issuer on a loopback host (tests and local development only). */
  allowInsecureHttp: boolean;
}

export interface RateLimit {
  count: number;
  windowSeconds: number;
}

export interface SidecarConfig {
  port: number;
  host: string;
  protectedPath: string;
  /** Issuer identifier: absolute URL without trailing slash; the AS is served under its path. */
  issuer: string;
  upstream: UpstreamConfig;
  /** Exact addresses (lower-cased) or `@domain` entries; empty = any verified email. */
  allowedEmails: string[];
  logLevel: LogLevel;
  /** Scopes clients may obtain (REQUIRED_SCOPES are always included). */
  allowedScopes: string[];
  requiredScopes: string[];
  /**
   * Canonical MCP URLs accepted as `resource`; the first is the default audience. forwardAuth holds
   * one policy per entry (each accepting only its own tokens); the first is its default policy.
   */
  resources: string[];
  dataDir: string;
  redisUrl?: string;
  jwksFile?: string;
  /** Also put the upstream IdP's keys (its discovery `jwks_uri`) into JWKS_FILE. */
  jwksIncludeUpstream: boolean;
  /** Where to write a Traefik dynamic-config snippet with the plugin middleware and inline keys. */
  traefikSnippetFile?: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  signingAlg: SigningAlg;
  /** Cookie signing keys; generated and persisted in storage when not configured. */
  cookieKeys?: string[];
  trustProxy: boolean;
  policyFile?: string;
  clientsFile?: string;
  cimdEnabled: boolean;
  /** Test-only: lets Client ID Metadata Documents be fetched from loopback/private addresses. */
  cimdAllowLoopback: boolean;
  registrationRateLimit: RateLimit;
}

export class ConfigError extends Error {
  readonly code: string;
  readonly setting: string;

  constructor(setting: string, code: string, reason: string) {
    super(`invalid configuration: ${setting}: ${reason}`);
    this.name = 'ConfigError';
    this.code = code;
    this.setting = setting;
  }
}

/** Every recognised setting; anything else given as a flag is an error (typos fail loudly). */
export const SETTINGS = [
  'PORT', 'HOST', 'PROTECTED_PATH', 'OAUTH_DOMAIN', 'ISSUER', 'CLIENT_ID', 'CLIENT_SECRET',
  'ALLOWED_EMAILS', 'LOG_LEVEL', 'ALLOWED_SCOPES', 'REQUIRED_SCOPES', 'OIDC_ISSUER', 'OIDC_SCOPES',
  'RESOURCE', 'DATA_DIR', 'REDIS_URL', 'JWKS_FILE', 'JWKS_INCLUDE_UPSTREAM', 'TRAEFIK_SNIPPET_FILE', 'ACCESS_TOKEN_TTL', 'REFRESH_TOKEN_TTL',
  'SIGNING_ALG', 'COOKIE_KEYS', 'TRUST_PROXY', 'POLICY_FILE', 'CLIENTS_FILE', 'CIMD',
  'CIMD_ALLOW_LOOPBACK', 'REGISTRATION_RATE_LIMIT',
] as const;
export type SettingName = (typeof SETTINGS)[number];

const GOOGLE_ISSUER = 'https://accounts.google.com';
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
// RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export type RawSettings = Partial<Record<SettingName, string>>;

/** `--oauth-domain x`, `--oauth-domain=x`, `--trust-proxy` (bare = "true"). */
export function parseFlags(argv: readonly string[]): RawSettings {
  const out: RawSettings = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(arg, 'ERR_CONFIG_FLAG', 'unexpected argument');
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const name = flag.toUpperCase().replace(/-/g, '_') as SettingName;
    if (!(SETTINGS as readonly string[]).includes(name)) {
      throw new ConfigError(`--${flag}`, 'ERR_CONFIG_FLAG', 'unknown flag');
    }
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      value = argv[++i]!;
    } else {
      value = 'true';
    }
    out[name] = value;
  }
  return out;
}

function pick(env: NodeJS.ProcessEnv | RawSettings, flags: RawSettings): RawSettings {
  const merged: RawSettings = {};
  for (const name of SETTINGS) {
    const value = flags[name] ?? (env as RawSettings)[name];
    if (value !== undefined && value !== '') merged[name] = value;
  }
  return merged;
}

function fail(setting: string, reason: string): never {
  throw new ConfigError(setting, 'ERR_CONFIG_INVALID', reason);
}

function integer(raw: RawSettings, name: SettingName, fallback: number, min: number, max: number): number {
  const value = raw[name];
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value.trim())) fail(name, `must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value.trim());
  if (n < min || n > max) fail(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function boolean(raw: RawSettings, name: SettingName, fallback: boolean): boolean {
  const value = raw[name]?.trim().toLowerCase();
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  return fail(name, `must be true or false, got ${JSON.stringify(raw[name])}`);
}

function list(value: string | undefined): string[] {
  if (value === undefined) return [];
  return [...new Set(value.split(/[\s,]+/).filter(Boolean))];
}

function scopes(raw: RawSettings, name: SettingName): string[] {
  const values = list(raw[name]);
  for (const scope of values) {
    if (!SCOPE_TOKEN.test(scope)) fail(name, `invalid scope ${JSON.stringify(scope)}`);
  }
  return values;
}

function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname);
}

/** https URL (http only on loopback), no userinfo/query/fragment; returned without trailing slash. */
function serviceUrl(name: SettingName, value: string, allowPath: boolean): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return fail(name, `must be an absolute URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    fail(name, 'must use https (plain http is accepted for loopback hosts only)');
  }
  if (url.username || url.password) fail(name, 'must not contain userinfo');
  if (url.search || url.hash || value.includes('#') || value.includes('?')) {
    fail(name, 'must not contain a query or fragment');
  }
  if (!allowPath && url.pathname !== '/') fail(name, 'must not contain a path');
  return url.href.replace(/\/$/, '');
}

function issuer(raw: RawSettings): string {
  if (raw.ISSUER !== undefined) {
    if (raw.ISSUER.endsWith('/')) fail('ISSUER', 'must not end with a slash');
    return serviceUrl('ISSUER', raw.ISSUER, true);
  }
  const domain = raw.OAUTH_DOMAIN?.trim();
  if (domain === undefined) return fail('ISSUER', 'set ISSUER or OAUTH_DOMAIN (public host of the authorization server)');
  if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(domain)) {
    fail('OAUTH_DOMAIN', `must be a host name (optionally :port) without scheme or path, got ${JSON.stringify(domain)}`);
  }
  return serviceUrl('OAUTH_DOMAIN', `https://${domain}`, false);
}

function resources(raw: RawSettings, issuerUrl: string, protectedPath: string): string[] {
  const values = list(raw.RESOURCE);
  if (values.length === 0) return [new URL(issuerUrl).origin + protectedPath];
  // `https://x/mcp` and `https://x/mcp/` are one resource: listed once.
  return [...new Set(values.map((value) => {
    if (value.includes('#')) fail('RESOURCE', 'must not contain a fragment');
    return serviceUrl('RESOURCE', value, true);
  }))];
}

/** ALLOWED_EMAILS entries: an exact address or `@domain`, normalised like the policy does. */
function allowedEmails(raw: RawSettings): string[] {
  return list(raw.ALLOWED_EMAILS).map((entry) => {
    const normalized = normalizeAllowlistEntry(entry);
    if (normalized === undefined) {
      fail('ALLOWED_EMAILS', `entry ${JSON.stringify(entry)} must be a plain ASCII address or @domain`);
    }
    return normalized;
  });
}

function rateLimit(raw: RawSettings): RateLimit {
  const value = raw.REGISTRATION_RATE_LIMIT ?? '30/3600';
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  if (!match) return fail('REGISTRATION_RATE_LIMIT', `must be <count>/<seconds>, got ${JSON.stringify(value)}`);
  const count = Number(match[1]);
  const windowSeconds = Number(match[2]);
  if (count < 1 || count > 100_000 || windowSeconds < 1 || windowSeconds > 86_400) {
    fail('REGISTRATION_RATE_LIMIT', 'count must be 1..100000 and seconds 1..86400');
  }
  return { count, windowSeconds };
}

function upstream(raw: RawSettings): UpstreamConfig {
  const clientId = raw.CLIENT_ID?.trim();
  if (!clientId) fail('CLIENT_ID', 'required: the upstream (Google or OIDC_ISSUER) client id');
  const custom = raw.OIDC_ISSUER !== undefined;
  const issuerValue = custom ? raw.OIDC_ISSUER!.trim().replace(/\/$/, '') : GOOGLE_ISSUER;
  let url: URL;
  try {
    url = new URL(issuerValue);
  } catch {
    return fail('OIDC_ISSUER', `must be an absolute URL, got ${JSON.stringify(raw.OIDC_ISSUER)}`);
  }
  const allowInsecureHttp = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !allowInsecureHttp) {
    fail('OIDC_ISSUER', 'must use https (plain http is accepted for loopback hosts only)');
  }
  const clientSecret = raw.CLIENT_SECRET;
  if (!custom && !clientSecret) fail('CLIENT_SECRET', 'required for Google sign-in');
  const upstreamScopes = raw.OIDC_SCOPES ? list(raw.OIDC_SCOPES) : ['openid', 'email', 'profile'];
  if (!upstreamScopes.includes('openid')) fail('OIDC_SCOPES', 'must include openid');
  if (!upstreamScopes.includes('email')) fail('OIDC_SCOPES', 'must include email (the allowlist and token claims need it)');
  return { issuer: issuerValue, clientId, clientSecret, scopes: upstreamScopes, allowInsecureHttp };
}

function signingAlg(raw: RawSettings): SigningAlg {
  const value = raw.SIGNING_ALG ?? 'RS256';
  if (value === 'RS256' || value === 'ES256' || value === 'EdDSA') return value;
  return fail('SIGNING_ALG', `must be RS256, ES256 or EdDSA, got ${JSON.stringify(value)}`);
}

function cookieKeys(raw: RawSettings): string[] | undefined {
  if (raw.COOKIE_KEYS === undefined) return undefined;
  const keys = raw.COOKIE_KEYS.split(',').map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) fail('COOKIE_KEYS', 'must list at least one key');
  for (const key of keys) {
    if (key.length < 32) fail('COOKIE_KEYS', 'each key must be at least 32 characters');
  }
  return keys;
}

function path(raw: RawSettings): string {
  const value = raw.PROTECTED_PATH ?? '/sse';
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(value) || value.includes('//') || /(^|\/)\.\.?(\/|$)/.test(value)) {
    fail('PROTECTED_PATH', `must be an absolute path like /sse, got ${JSON.stringify(value)}`);
  }
  return value.length > 1 ? value.replace(/\/$/, '') : value;
}

/**
 * Builds the configuration from `env` (usually process.env) and command-line `argv`
 * (without node and script); flags override environment variables.
 */
export function loadConfig(env: NodeJS.ProcessEnv | RawSettings, argv: readonly string[] = []): SidecarConfig {
  const raw = pick(env, parseFlags(argv));
  const logLevel = integer(raw, 'LOG_LEVEL', 1, 0, 2) as LogLevel;
  const protectedPath = path(raw);
  const issuerUrl = issuer(raw);
  const requiredScopes = scopes(raw, 'REQUIRED_SCOPES');
  const allowed = raw.ALLOWED_SCOPES !== undefined ? scopes(raw, 'ALLOWED_SCOPES') : [];
  const accessTokenTtl = integer(raw, 'ACCESS_TOKEN_TTL', 600, 60, 86_400);
  const refreshTokenTtl = integer(raw, 'REFRESH_TOKEN_TTL', 30 * 86_400, 300, 365 * 86_400);
  if (refreshTokenTtl <= accessTokenTtl) fail('REFRESH_TOKEN_TTL', 'must be longer than ACCESS_TOKEN_TTL');
  const config: SidecarConfig = {
    port: integer(raw, 'PORT', 11000, 0, 65535),
    host: raw.HOST ?? '0.0.0.0',
    protectedPath,
    issuer: issuerUrl,
    upstream: upstream(raw),
    allowedEmails: allowedEmails(raw),
    logLevel,
    allowedScopes: [...new Set([...allowed, ...requiredScopes])],
    requiredScopes,
    resources: resources(raw, issuerUrl, protectedPath),
    dataDir: raw.DATA_DIR ?? './data',
    redisUrl: raw.REDIS_URL,
    jwksFile: raw.JWKS_FILE,
    jwksIncludeUpstream: boolean(raw, 'JWKS_INCLUDE_UPSTREAM', false),
    traefikSnippetFile: raw.TRAEFIK_SNIPPET_FILE,
    accessTokenTtl,
    refreshTokenTtl,
    signingAlg: signingAlg(raw),
    cookieKeys: cookieKeys(raw),
    trustProxy: boolean(raw, 'TRUST_PROXY', false),
    policyFile: raw.POLICY_FILE,
    clientsFile: raw.CLIENTS_FILE,
    cimdEnabled: boolean(raw, 'CIMD', true),
    cimdAllowLoopback: boolean(raw, 'CIMD_ALLOW_LOOPBACK', false),
    registrationRateLimit: rateLimit(raw),
  };
  if (config.jwksIncludeUpstream && config.jwksFile === undefined) {
    fail('JWKS_INCLUDE_UPSTREAM', 'needs JWKS_FILE (the upstream keys go into that file)');
  }
  if (config.redisUrl !== undefined && !/^rediss?:\/\//.test(config.redisUrl)) {
    fail('REDIS_URL', 'must start with redis:// or rediss://');
  }
  return Object.freeze(config);
}
