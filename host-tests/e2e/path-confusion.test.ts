// End to end: path confusion never skips auth (security checklist, "Request handling"). Each
// request target is sent raw over a socket, exactly as written, through Traefik to the plugin.
// Traefik may answer some itself (400 for a raw `#`, 404 for an absolute-form target naming another
// host) and cleans the path before routing (sanitizePath: `..`, `.`, `//`, `%2e`, unreserved
// escapes), so the plugin sees what the upstream will see. The rule checked here: without a token,
// the upstream never receives a path the configuration protects, under any reading of that path
// (decoded, dot segments resolved, slashes merged, any case); and the same targets with a valid
// token do reach the upstream, so each refusal was the plugin's auth decision, not a routing
// accident. What the upstream saw for each target is printed at the end.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeKey, sign, type TestKey } from '../lib/tokens.js';
import { sendRaw, type RawResponse } from './lib/client.js';
import { fileKeyOptions, guestFailures, hostRouter, liveClaims, pluginMiddleware, PRM, service, startE2e, type E2eEnvironment } from './lib/mcpauth.js';

interface Setup {
  host: string;
  options: Record<string, unknown>;
  /** Does the configuration protect this (normalized) path? */
  protects(normalizedPath: string): boolean;
}

// Conservative readings of the options: protectedPaths match as plain prefixes (like Traefik's
// PathPrefix: /ssex is under /sse), publicPaths only on a segment boundary.
const underPrefix = (path: string, prefix: string) => path.startsWith(prefix);
const underSegment = (path: string, prefix: string) => path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`);

const SETUPS: Setup[] = [
  {
    host: 'sse.test',
    options: fileKeyOptions({ protectedPaths: ['/sse', '/mcp'] }),
    protects: (p) => underPrefix(p, '/sse') || underPrefix(p, '/mcp'),
  },
  {
    host: 'default.test',
    options: fileKeyOptions(),
    // The plugin serves the metadata document itself; everything else is protected.
    protects: () => true,
  },
  {
    host: 'public.test',
    options: fileKeyOptions({ publicPaths: ['/health', '/.well-known/'] }),
    protects: (p) => !(underSegment(p, '/health') || underSegment(p, '/.well-known/')),
  },
];

// The checklist's list and the JS-host tests' lists (host-tests/plugin/paths.test.ts), plus
// Traefik-specific shapes (absolute-form target, `*`, a raw `#`).
const TARGETS = [
  '/sse', '/SSE', '/Sse', '//sse', '///sse', '/sse/', '/sse/x', '/x/../sse', '/x/%2e%2e/sse', '/x/%2E%2E/sse', '/%2fsse', '/%2Fsse',
  '/sse%2f', '/sse%00', '/sse%00.json', '/sse;jsessionid=1', '/sse;', '/;/sse', '/%73se', '/%2573se', '/./sse', '/x/./../sse',
  '/x\\..\\sse', '/sse#frag', '/sse%23frag', '/sse/..', '/sse/../sse', '/..%2fsse', '/x/..%2fsse', '/%2e/sse', '/%2e%2e/sse',
  '/mcp', '/MCP/', '/mcp?x=1', '/mcp#', '/mcp%23frag', '/%2e/mcp', '/mcp%09', '/mcp%20', '/mcp.', '/mcp..',
  '/.well-known/oauth-protected-resource/../mcp', '/.well-known/oauth-protected-resource/%2e%2e/mcp',
  '/.well-known/oauth-protected-resource/mcp/../../mcp', '/.well-known/oauth-protected-resource//mcp',
  '/.well-known/oauth-protected-resource/mcp/..', '/.well-known/oauth-protected-resource%2f..%2fmcp',
  '/health/../mcp', '/health/..%2fmcp', '/health/%2e%2e/mcp', '/health%2f..%2fmcp', '/health;/../mcp', '//health/../mcp',
  '/health\\..\\mcp', '/health#/../mcp', '/health%00', '/healthz', '/HEALTH', '/.well-known/../mcp', '/.well-known/%2e%2e/mcp',
  '/.well-known/./../mcp', 'http://evil.example/sse', '*',
];

/** Every reading a server might give a path: decoded (repeatedly), `\` as `/`, dots resolved, slashes merged, lowercased. */
function readingsOf(target: string): string[] {
  const path = target.split('?')[0];
  const readings = new Set<string>();
  let current = path;
  for (let i = 0; i < 4; i++) {
    for (const variant of [current, current.replace(/\\/g, '/')]) {
      for (const cut of [variant, variant.split(';')[0], variant.replace(/;[^/]*/g, '')]) readings.add(normalize(cut));
    }
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    }
    if (next === current) break;
    current = next;
  }
  return [...readings];
}

function normalize(path: string): string {
  const out: string[] = [];
  for (const segment of path.toLowerCase().split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') out.pop();
    else out.push(segment);
  }
  return `/${out.join('/')}`;
}

let env: E2eEnvironment;
let key: TestKey;
let token: string;

interface Observation {
  host: string;
  target: string;
  status: number | string;
  upstream: string[];
  withToken?: number | string;
}
const observations: Observation[] = [];

beforeAll(async () => {
  key = await makeKey('ES256');
  env = await startE2e({
    name: 'paths',
    keys: [key],
    dynamicConfig: (echoUrl) => ({
      http: {
        routers: Object.fromEntries(SETUPS.map((s) => [s.host.split('.')[0], hostRouter(s.host, [s.host.split('.')[0]])])),
        middlewares: Object.fromEntries(SETUPS.map((s) => [s.host.split('.')[0], pluginMiddleware(s.options)])),
        services: { echo: service(echoUrl) },
      },
    }),
  });
  token = await sign(key, liveClaims({ exp: Math.floor(Date.now() / 1000) + 3600 }));
});

afterAll(async () => {
  // Only what is not a plain "401 from the plugin, 200 with a token" is worth reading.
  const notable = observations.filter((o) => o.status !== 401 || o.upstream.length > 0 || o.withToken !== 200);
  if (notable.length) {
    const lines = notable.map((o) => `${o.host.padEnd(13)} ${JSON.stringify(o.target).padEnd(55)} -> ${String(o.status).padEnd(4)} upstream saw ${JSON.stringify(o.upstream)}${o.withToken !== undefined ? `; with a token ${o.withToken}` : ''}`);
    console.log(`path confusion through Traefik, without a token (every other target: 401 from the plugin, 200 with a token):\n${lines.join('\n')}`);
  }
  await env?.stop();
});

async function send(host: string, target: string, headers: Array<[string, string]> = []): Promise<{ res: RawResponse | null; error?: string; upstream: string[] }> {
  const before = env.echo.requests.length;
  try {
    const res = await sendRaw(env.traefik.port, { path: target, host, headers });
    return { res, upstream: env.echo.requests.slice(before).map((r) => r.path) };
  } catch (error) {
    return { res: null, error: (error as Error).message, upstream: env.echo.requests.slice(before).map((r) => r.path) };
  }
}

describe.each(SETUPS)('$host', (setup) => {
  test.each(TARGETS)('%s: no protected path reaches the upstream without a token', async (target) => {
    const { res, error, upstream } = await send(setup.host, target);
    const observation: Observation = { host: setup.host, target, status: res?.status ?? `error: ${error}`, upstream };
    observations.push(observation);
    for (const seen of upstream) {
      const protectedReadings = readingsOf(seen).filter((reading) => setup.protects(reading));
      expect(protectedReadings, `upstream received ${JSON.stringify(seen)} for ${JSON.stringify(target)} without a token`).toEqual([]);
    }
    if (upstream.length > 0) {
      expect(res?.status).toBe(200);
      return;
    }
    // Refused: by the plugin (401 with its challenge) or by Traefik before any middleware.
    expect(res, error).not.toBeNull();
    if (res!.status === 401) {
      expect(res!.headers['www-authenticate']).toBe(`Bearer resource_metadata="${PRM}"`);
      expect(res!.json()).toEqual({ error: 'invalid_token', error_description: 'bearer token required' });
    } else if (res!.status === 200) {
      // The plugin's own metadata document (Traefik cleaned the path into the metadata path).
      expect(res!.json()).toMatchObject({ resource: 'https://mcp.example.com/mcp' });
    } else {
      expect([400, 404], `${target}: ${res!.status} ${res!.body}`).toContain(res!.status);
      expect(res!.headers['www-authenticate']).toBeUndefined();
    }

    // Refused by the plugin: with a valid token the same target reaches the upstream.
    if (res!.status === 401) {
      const authorized = await send(setup.host, target, [['Authorization', `Bearer ${token}`]]);
      observation.withToken = authorized.res?.status ?? authorized.error;
      expect(authorized.res?.status, `${target} with a token: ${authorized.res?.body}`).toBe(200);
      expect(authorized.upstream).toHaveLength(1);
    }
  });
});

describe('the readings used above', () => {
  test('cover decoding, dot segments, backslashes, slashes, case and parameters', () => {
    expect(readingsOf('/x/%2e%2e/SSE')).toContain('/sse');
    expect(readingsOf('/%2573se')).toContain('/sse');
    expect(readingsOf('/x%5C..%5Csse')).toContain('/sse');
    expect(readingsOf('//sse;x=1')).toContain('/sse');
    expect(readingsOf('/health;/../mcp')).toContain('/mcp');
    expect(readingsOf('/.well-known/mcp')).toEqual(['/.well-known/mcp']);
  });
});

describe('Traefik itself', () => {
  test('the guest never trapped and Traefik logged no wasm error, stack trace or panic', () => {
    const logs = env.traefik.logs();
    expect(guestFailures(logs)).toEqual({ logLines: [], answers: [] });
    expect(logs).toContain('reason="bearer token required"');
  });
});
