// Configuration: the old names and the new ones, env and --flags (flags win), defaults, and a
// ConfigError naming the setting for every invalid value.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type RawSettings } from '../src/config.js';

const MINIMAL: RawSettings = { OAUTH_DOMAIN: 'auth.example.com', CLIENT_ID: 'google-client', CLIENT_SECRET: 'google-secret' };

function configError(settings: RawSettings, argv: string[] = []): ConfigError {
  try {
    loadConfig(settings, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('keep the old tool\'s meaning', () => {
    const config = loadConfig(MINIMAL);
    expect(config).toMatchObject({
      port: 11000,
      protectedPath: '/sse',
      issuer: 'https://auth.example.com',
      logLevel: 1,
      accessTokenTtl: 600,
      signingAlg: 'RS256',
      dataDir: './data',
      trustProxy: false,
      cimdEnabled: true,
      cimdAllowLoopback: false,
      allowedEmails: [],
      resources: ['https://auth.example.com/sse'],
      registrationRateLimit: { count: 30, windowSeconds: 3600 },
    });
    expect(config.upstream).toMatchObject({ issuer: 'https://accounts.google.com', clientId: 'google-client', clientSecret: 'google-secret', scopes: ['openid', 'email', 'profile'], allowInsecureHttp: false });
  });

  it('JWKS_INCLUDE_UPSTREAM is off by default and on with JWKS_FILE', () => {
    expect(loadConfig(MINIMAL).jwksIncludeUpstream).toBe(false);
    const config = loadConfig({ ...MINIMAL, JWKS_FILE: '/var/lib/mcpauth/jwks.json' }, ['--jwks-include-upstream']);
    expect(config).toMatchObject({ jwksFile: '/var/lib/mcpauth/jwks.json', jwksIncludeUpstream: true });
  });

  it('ALLOWED_SCOPES always includes REQUIRED_SCOPES; lists take commas or spaces', () => {
    const config = loadConfig({ ...MINIMAL, ALLOWED_SCOPES: 'a, b c', REQUIRED_SCOPES: 'b,d' });
    expect(config.allowedScopes).toEqual(['a', 'b', 'c', 'd']);
    expect(config.requiredScopes).toEqual(['b', 'd']);
  });

  it('ISSUER wins over OAUTH_DOMAIN and may carry a path; RESOURCE is a list', () => {
    const config = loadConfig({ ...MINIMAL, ISSUER: 'https://login.example.com/t1', RESOURCE: 'https://mcp.example.com/mcp, https://mcp.example.com/' });
    expect(config.issuer).toBe('https://login.example.com/t1');
    expect(config.resources).toEqual(['https://mcp.example.com/mcp', 'https://mcp.example.com']);
  });

  it('ALLOWED_EMAILS entries are normalised like the policy does', () => {
    expect(loadConfig({ ...MINIMAL, ALLOWED_EMAILS: 'Alice@Example.com, @Corp.Example' }).allowedEmails).toEqual(['alice@example.com', '@corp.example']);
  });

  it('OIDC_ISSUER replaces Google; CLIENT_SECRET is then optional; loopback http only in that case', () => {
    const config = loadConfig({ ...MINIMAL, CLIENT_SECRET: undefined, OIDC_ISSUER: 'http://127.0.0.1:9000/', OIDC_SCOPES: 'openid email' });
    expect(config.upstream).toEqual({ issuer: 'http://127.0.0.1:9000', clientId: 'google-client', clientSecret: undefined, scopes: ['openid', 'email'], allowInsecureHttp: true });
  });
});

describe('flags', () => {
  it('override environment variables, in both --name value and --name=value forms', () => {
    const config = loadConfig({ ...MINIMAL, PORT: '1234', LOG_LEVEL: '0' }, ['--port', '2345', '--log-level=2', '--trust-proxy', '--oauth-domain', 'flag.example.com']);
    expect(config.port).toBe(2345);
    expect(config.logLevel).toBe(2);
    expect(config.trustProxy).toBe(true);
    expect(config.issuer).toBe('https://flag.example.com');
  });

  it('refuse unknown flags and stray arguments', () => {
    expect(configError(MINIMAL, ['--prot', '1']).setting).toBe('--prot');
    expect(configError(MINIMAL, ['serve']).code).toBe('ERR_CONFIG_FLAG');
  });
});

describe('invalid values name the setting', () => {
  const cases: Array<[string, RawSettings, string]> = [
    ['PORT not a number', { PORT: 'abc' }, 'PORT'],
    ['PORT out of range', { PORT: '70000' }, 'PORT'],
    ['LOG_LEVEL 3', { LOG_LEVEL: '3' }, 'LOG_LEVEL'],
    ['no issuer at all', { OAUTH_DOMAIN: undefined }, 'ISSUER'],
    ['OAUTH_DOMAIN with a scheme', { OAUTH_DOMAIN: 'https://auth.example.com' }, 'OAUTH_DOMAIN'],
    ['OAUTH_DOMAIN with a path', { OAUTH_DOMAIN: 'auth.example.com/x' }, 'OAUTH_DOMAIN'],
    ['ISSUER with a trailing slash', { ISSUER: 'https://auth.example.com/' }, 'ISSUER'],
    ['ISSUER over plain http', { ISSUER: 'http://auth.example.com' }, 'ISSUER'],
    ['ISSUER with a query', { ISSUER: 'https://auth.example.com/?x=1' }, 'ISSUER'],
    ['ISSUER not a URL', { ISSUER: 'auth' }, 'ISSUER'],
    ['CLIENT_ID missing', { CLIENT_ID: undefined }, 'CLIENT_ID'],
    ['CLIENT_SECRET missing for Google', { CLIENT_SECRET: undefined }, 'CLIENT_SECRET'],
    ['OIDC_ISSUER over plain http', { OIDC_ISSUER: 'http://idp.example.com' }, 'OIDC_ISSUER'],
    ['OIDC_SCOPES without email', { OIDC_SCOPES: 'openid profile' }, 'OIDC_SCOPES'],
    ['ALLOWED_EMAILS with two @', { ALLOWED_EMAILS: 'a@b.com@evil.com' }, 'ALLOWED_EMAILS'],
    ['ALLOWED_EMAILS non-ASCII', { ALLOWED_EMAILS: 'alıce@example.com' }, 'ALLOWED_EMAILS'],
    ['ALLOWED_SCOPES with a quote', { ALLOWED_SCOPES: 'a"b' }, 'ALLOWED_SCOPES'],
    ['REQUIRED_SCOPES with a backslash', { REQUIRED_SCOPES: 'a\\b' }, 'REQUIRED_SCOPES'],
    ['RESOURCE with a fragment', { RESOURCE: 'https://mcp.example.com/mcp#x' }, 'RESOURCE'],
    ['RESOURCE over plain http', { RESOURCE: 'http://mcp.example.com/mcp' }, 'RESOURCE'],
    ['ACCESS_TOKEN_TTL too short', { ACCESS_TOKEN_TTL: '10' }, 'ACCESS_TOKEN_TTL'],
    ['REFRESH_TOKEN_TTL not above ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '3600', REFRESH_TOKEN_TTL: '3600' }, 'REFRESH_TOKEN_TTL'],
    ['SIGNING_ALG HS256', { SIGNING_ALG: 'HS256' }, 'SIGNING_ALG'],
    ['SIGNING_ALG none', { SIGNING_ALG: 'none' }, 'SIGNING_ALG'],
    ['COOKIE_KEYS too short', { COOKIE_KEYS: 'short' }, 'COOKIE_KEYS'],
    ['TRUST_PROXY not a boolean', { TRUST_PROXY: 'maybe' }, 'TRUST_PROXY'],
    ['PROTECTED_PATH relative', { PROTECTED_PATH: 'sse' }, 'PROTECTED_PATH'],
    ['PROTECTED_PATH with ..', { PROTECTED_PATH: '/a/../sse' }, 'PROTECTED_PATH'],
    ['REDIS_URL not redis', { REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    ['REGISTRATION_RATE_LIMIT malformed', { REGISTRATION_RATE_LIMIT: 'lots' }, 'REGISTRATION_RATE_LIMIT'],
    ['CIMD not a boolean', { CIMD: 'sometimes' }, 'CIMD'],
    ['JWKS_INCLUDE_UPSTREAM without JWKS_FILE', { JWKS_INCLUDE_UPSTREAM: 'true' }, 'JWKS_INCLUDE_UPSTREAM'],
    ['JWKS_INCLUDE_UPSTREAM not a boolean', { JWKS_FILE: '/tmp/jwks.json', JWKS_INCLUDE_UPSTREAM: 'google' }, 'JWKS_INCLUDE_UPSTREAM'],
  ];
  for (const [label, override, setting] of cases) {
    it(label, () => {
      const err = configError({ ...MINIMAL, ...override });
      expect(err.setting).toBe(setting);
      expect(err.code).toBe('ERR_CONFIG_INVALID');
      expect(err.message).toContain(setting);
    });
  }
});
