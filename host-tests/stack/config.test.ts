// The stack's configuration without starting anything: `npm start` settings -> startStack
// options, and the Traefik configuration the stack writes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../scripts/stack/stack.mjs';
import { DEFAULT_PORTS, StartConfigError, startOptionsFrom } from '../../scripts/stack/start-options.mjs';
import { AS_EXACT_PATHS, AS_PREFIXES, checkStepUpPaths, dynamicConfig, staticConfig } from '../../scripts/stack/traefik-config.mjs';

const options = (env: Record<string, string>, argv: string[] = []) => startOptionsFrom(env, argv, repoRoot);

function configError(fn: () => unknown): StartConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StartConfigError);
    return err as StartConfigError;
  }
  throw new Error('no error thrown');
}

describe('npm start settings', () => {
  it('defaults: fixed ports, the dev identity provider, plugin mode, data in .cache/stack, builds on', () => {
    const { build, stack } = options({});
    expect(build).toBe(true);
    expect(DEFAULT_PORTS).toEqual({ traefik: 8080, traefikAdmin: 8081, sidecar: 11000, demo: 11001, idp: 11002 });
    expect(stack.ports).toEqual(DEFAULT_PORTS);
    expect(stack).toMatchObject({ idp: 'dev', mode: 'plugin', logLevel: 1, dataDir: path.join(repoRoot, '.cache/stack') });
    expect(stack.devUser).toMatchObject({ email: 'dev@example.com', email_verified: true });
    expect(stack).toMatchObject({ requiredScopes: [], allowedScopes: [], allowedEmails: [] });
  });

  it('every port has its variable; a bad value names it', () => {
    const { stack } = options({ TRAEFIK_PORT: '1', TRAEFIK_ADMIN_PORT: '2', PORT: '3', DEMO_PORT: '4', DEV_IDP_PORT: '5' });
    expect(stack.ports).toEqual({ traefik: 1, traefikAdmin: 2, sidecar: 3, demo: 4, idp: 5 });
    for (const name of ['TRAEFIK_PORT', 'PORT', 'DEMO_PORT']) {
      expect(configError(() => options({ [name]: '70000' })).setting).toBe(name);
      expect(configError(() => options({ [name]: 'eighty' })).setting).toBe(name);
    }
  });

  it('CLIENT_ID and CLIENT_SECRET alone mean Google; OIDC_ISSUER names another provider', () => {
    expect(options({ CLIENT_ID: 'id', CLIENT_SECRET: 'secret' }).stack.idp).toEqual({ clientId: 'id', clientSecret: 'secret' });
    expect(options({ OIDC_ISSUER: 'https://login.example.com', CLIENT_ID: 'id' }).stack.idp).toEqual({ issuer: 'https://login.example.com', clientId: 'id' });
    const google = options({ CLIENT_ID: 'id', CLIENT_SECRET: 'secret' }).stack;
    expect(google.devUser).toBeUndefined();
    expect(google.ports.idp).toBeUndefined();
  });

  it('half an upstream configuration is an error naming the missing setting', () => {
    expect(configError(() => options({ CLIENT_SECRET: 'secret' })).setting).toBe('CLIENT_ID');
    expect(configError(() => options({ OIDC_ISSUER: 'https://login.example.com' })).setting).toBe('CLIENT_ID');
    expect(configError(() => options({ CLIENT_ID: 'id' })).setting).toBe('CLIENT_SECRET');
    expect(configError(() => options({ CLIENT_ID: 'id', CLIENT_SECRET: 's', DEV_USER_EMAIL: 'a@b.c' })).setting).toBe('DEV_USER_EMAIL');
  });

  it('lists, log level, mode, dev user and flags', () => {
    const { build, stack } = options(
      { REQUIRED_SCOPES: 'mcp:tools, mcp:read', ALLOWED_SCOPES: 'mcp:admin', ALLOWED_EMAILS: 'a@example.com @example.org', LOG_LEVEL: '0', DEV_USER_EMAIL: 'z@example.com', DATA_DIR: '/tmp/x' },
      ['--no-build', '--forward-auth'],
    );
    expect(build).toBe(false);
    expect(stack).toMatchObject({
      requiredScopes: ['mcp:tools', 'mcp:read'], allowedScopes: ['mcp:admin'], allowedEmails: ['a@example.com', '@example.org'], logLevel: 0, mode: 'forwardAuth', dataDir: '/tmp/x',
    });
    expect(stack.devUser?.email).toBe('z@example.com');
    expect(options({ AUTH_MODE: 'forwardAuth' }).stack.mode).toBe('forwardAuth');
    expect(configError(() => options({ AUTH_MODE: 'proxy' })).setting).toBe('AUTH_MODE');
    expect(configError(() => options({ LOG_LEVEL: '3' })).setting).toBe('LOG_LEVEL');
    expect(configError(() => options({}, ['--verbose'])).setting).toBe('--verbose');
  });
});

describe('Traefik configuration', () => {
  const base = {
    origin: 'http://127.0.0.1:8080', demoUrl: 'http://127.0.0.1:11001', sidecarUrl: 'http://127.0.0.1:11000',
    requiredScopes: [] as string[], allowedEmails: [] as string[], stepUpPaths: [] as { path: string; scopes: string[] }[], pluginOptions: {}, logLevel: 1 as const,
  };

  it('routes every endpoint the sidecar configures in oidc-provider (except the disabled userinfo)', () => {
    const source = readFileSync(path.join(repoRoot, 'sidecar/src/provider/create-provider.ts'), 'utf8');
    const routesBlock = /routes: \{([^}]*)\}/.exec(source)?.[1] ?? '';
    const routes = [...routesBlock.matchAll(/(\w+): '([^']+)'/g)].map((m) => [m[1], m[2]] as const);
    expect(routes.length).toBeGreaterThan(4);
    for (const [name, route] of routes) {
      if (name === 'userinfo') continue;
      expect(AS_EXACT_PATHS, name).toContain(route);
    }
    expect(AS_PREFIXES).toEqual(['/authorize/', '/interaction/']);
  });

  it('plugin mode: one middleware per resource, no empty lists, options merged, step-up routes first', () => {
    const config = dynamicConfig({ ...base, mode: 'plugin', stepUpPaths: [{ path: '/mcp/admin', scopes: ['mcp:admin'] }], requiredScopes: ['mcp:tools'], pluginOptions: { clockSkewSeconds: 0 } });
    const { routers, middlewares } = config.http;
    const mcp = middlewares['mcp-auth'].plugin.mcpauth;
    expect(mcp).toEqual({
      resource: 'http://127.0.0.1:8080/mcp',
      issuers: [{ issuer: 'http://127.0.0.1:8080', jwksFile: '/jwks/jwks.json' }],
      requiredScopes: ['mcp:tools'],
      logLevel: 1,
      clockSkewSeconds: 0,
    });
    expect(middlewares['sse-auth'].plugin.mcpauth.resource).toBe('http://127.0.0.1:8080/sse');
    expect(middlewares['step-up-0-auth'].plugin.mcpauth).toMatchObject({ resource: 'http://127.0.0.1:8080/mcp', requiredScopes: ['mcp:tools', 'mcp:admin'] });
    expect(routers['step-up-0'].priority).toBeGreaterThan(routers.mcp.priority);
    expect(routers.mcp.middlewares).toEqual(['cors', 'mcp-auth']);
    expect(routers['auth-server'].middlewares).toBeUndefined();
    const plain = dynamicConfig({ ...base, mode: 'plugin' }).http.middlewares['mcp-auth'].plugin.mcpauth;
    expect('requiredScopes' in plain || 'allowedEmails' in plain).toBe(false);
  });

  it('forwardAuth mode: one address per resource (/messages rides with /sse); the sidecar sets X-Forwarded-User and drops Authorization', () => {
    const { middlewares, routers } = dynamicConfig({ ...base, mode: 'forwardAuth' }).http;
    expect(middlewares['mcp-auth'].forwardAuth).toEqual({ address: 'http://127.0.0.1:11000/auth?resource=http://127.0.0.1:8080/mcp', authResponseHeaders: ['X-Forwarded-User', 'Authorization'] });
    expect(middlewares['sse-auth'].forwardAuth).toEqual({ address: 'http://127.0.0.1:11000/auth?resource=http://127.0.0.1:8080/sse', authResponseHeaders: ['X-Forwarded-User', 'Authorization'] });
    expect(routers.mcp.middlewares).toEqual(['cors', 'mcp-auth']);
    expect(routers.sse.middlewares).toEqual(['cors', 'sse-auth']);
    expect(routers.sse.rule).toBe('Path(`/sse`) || Path(`/messages`)');
    // The sidecar answers the metadata documents itself: no auth in front of them.
    expect(routers.prm).toMatchObject({ service: 'sidecar', middlewares: ['cors'] });
    expect(routers.prm.rule).toBe('Path(`/.well-known/oauth-protected-resource`) || Path(`/.well-known/oauth-protected-resource/mcp`) || Path(`/.well-known/oauth-protected-resource/sse`)');
    expect(() => dynamicConfig({ ...base, mode: 'forwardAuth', stepUpPaths: [{ path: '/mcp/a', scopes: ['x'] }] })).toThrow(/need mode "plugin"/);
  });

  it('static configuration: loopback entrypoints, the local plugin with the JWKS mount', () => {
    const config = staticConfig({ webPort: 8080, adminPort: 8081, dynamicConfigFile: '/d/dynamic.yml', jwksDir: '/data/jwks', logLevel: 2 });
    expect(config.entryPoints.web.address).toBe('127.0.0.1:8080');
    expect(config.entryPoints.traefik.address).toBe('127.0.0.1:8081');
    expect(config.experimental.localPlugins.mcpauth).toEqual({ moduleName: 'github.com/mcpauth/mcpauth', settings: { mounts: ['/data/jwks:/jwks:ro'] } });
    expect(config.log.level).toBe('WARN');
  });

  it('step-up paths must sit under /mcp/ and name scopes', () => {
    expect(() => checkStepUpPaths([{ path: '/mcp/admin', scopes: ['mcp:admin'] }])).not.toThrow();
    for (const bad of ['/admin', '/mcp/', '/mcp/../sse', '/mcp/a b', '/mcpx/a']) {
      expect(() => checkStepUpPaths([{ path: bad, scopes: ['x'] }]), bad).toThrow(/must look like/);
    }
    expect(() => checkStepUpPaths([{ path: '/mcp/a', scopes: [] }])).toThrow(/scopes/);
  });
});
