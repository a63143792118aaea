// startStack end to end: real Traefik with the built plugin (and once with forwardAuth), the
// bundled sidecar, the bundled demo MCP server and the dev identity provider, on free ports.
// Logins go through Traefik with the sidecar's headless client driver; MCP calls use the SDK.
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortInUseError } from '../../scripts/stack/ports.mjs';
import { startStack } from '../../scripts/stack/stack.mjs';
import type { RunningStack } from '../../scripts/stack/stack.d.mts';
import { buildBundles, connect, login, printStackLogsOnFailure, processGone, removeTempDirs, structured, tempDir } from './lib.js';

afterAll(removeTempDirs);

const TRAEFIK_404 = '404 page not found\n';

function challengeOf(res: Response): Record<string, string> {
  const header = res.headers.get('www-authenticate') ?? '';
  expect(header.startsWith('Bearer ')).toBe(true);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

async function unauthenticated(url: string): Promise<Response> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
  await res.arrayBuffer();
  return res;
}

/** The raw text of a JSON member, to compare strings byte for byte rather than after URL parsing. */
async function jsonText(url: string): Promise<{ text: string; json: Record<string, unknown> }> {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  const text = await res.text();
  return { text, json: JSON.parse(text) };
}

describe('plugin mode', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    await buildBundles();
    stack = await startStack({
      dataDir: await tempDir('plugin'),
      requiredScopes: ['mcp:tools'],
      stepUpPaths: [{ path: '/mcp/admin', scopes: ['mcp:admin'] }],
      devUser: { email: 'alice@example.com' },
    });
  });
  printStackLogsOnFailure(() => stack);

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 401 with a challenge whose metadata names the issuer exactly as the AS metadata does', async () => {
    const asMetadata = await jsonText(stack.urls.asMetadata);
    expect(asMetadata.json.issuer).toBe(stack.urls.authServer);
    expect(stack.urls.authServer).toBe(stack.urls.traefik);
    for (const kind of ['mcp', 'sse'] as const) {
      const res = await unauthenticated(stack.urls[kind]);
      expect(res.status).toBe(401);
      const challenge = challengeOf(res);
      expect(challenge.resource_metadata).toBe(stack.urls.prm[kind]);
      expect(challenge.scope).toBe('mcp:tools');
      const prm = await jsonText(challenge.resource_metadata!);
      expect(prm.json.resource).toBe(stack.urls[kind]);
      expect(prm.json.resource).toBe(stack.resources[kind]);
      const [first] = prm.json.authorization_servers as string[];
      // Byte for byte: the raw JSON string of authorization_servers[0] equals the raw issuer string.
      expect(JSON.stringify(first)).toBe(JSON.stringify(asMetadata.json.issuer));
      expect(prm.text).toContain(`"authorization_servers":[${JSON.stringify(asMetadata.json.issuer)}`);
    }
    // The metadata document at the root names the /mcp resource.
    expect((await jsonText(`${stack.urls.traefik}/.well-known/oauth-protected-resource`)).json.resource).toBe(stack.urls.mcp);
    // Every endpoint the AS metadata advertises is on the public origin.
    for (const key of ['authorization_endpoint', 'token_endpoint', 'registration_endpoint', 'revocation_endpoint', 'jwks_uri']) {
      expect(String(asMetadata.json[key]).startsWith(`${stack.urls.traefik}/`), key).toBe(true);
    }
  });

  it('routes every authorization server path to the sidecar without auth', async () => {
    const origin = stack.urls.traefik;
    const answers = await Promise.all([
      fetch(`${origin}/.well-known/openid-configuration`),
      fetch(`${origin}/jwks`),
      fetch(`${origin}/authorize`),
      fetch(`${origin}/authorize/unknown-uid`),
      fetch(`${origin}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=authorization_code' }),
      fetch(`${origin}/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }),
      fetch(`${origin}/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=x' }),
      fetch(`${origin}/callback?state=unknown&code=x`),
      fetch(`${origin}/interaction/unknown-uid`),
    ]);
    for (const res of answers) {
      const body = await res.text();
      expect(body, res.url).not.toBe(TRAEFIK_404);
      expect(res.headers.get('www-authenticate') ?? '', res.url).not.toMatch(/resource_metadata/);
      // The sidecar's security headers show the answer came from it.
      expect(res.headers.get('x-frame-options'), res.url).toBe('DENY');
    }
    expect(answers[1]!.status).toBe(200);
    // Nothing else of the sidecar is public: its metrics and the forwardAuth endpoint stay internal.
    for (const p of ['/metrics', '/auth', '/health']) {
      const res = await fetch(`${origin}${p}`);
      expect(await res.text(), p).toBe(TRAEFIK_404);
    }
  });

  it.each(['streamable-http', 'sse'] as const)('a logged-in client calls the tools over %s; identity comes from the token, not the client', async (kind) => {
    const url = kind === 'sse' ? stack.urls.sse : stack.urls.mcp;
    const { accessToken, scope } = await login(stack.urls.authServer, url, 'mcp:tools');
    expect(scope.split(' ')).toContain('mcp:tools');
    const client = await connect(kind, url, { Authorization: `Bearer ${accessToken}`, 'X-Forwarded-User': 'mallory@evil.example', 'X-Demo-Probe': 'kept' });
    try {
      expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['random_number', 'request_headers', 'whoami']);
      expect(await structured(client, 'whoami')).toEqual({ user: 'alice@example.com' });
      const { headers } = await structured<{ headers: Record<string, string> }>(client, 'request_headers');
      expect(headers['x-forwarded-user']).toBe('alice@example.com');
      expect(headers.authorization).toBeUndefined(); // the plugin removed the client's token
      expect(headers['x-demo-probe']).toBe('kept');
      expect(JSON.stringify(headers)).not.toContain('mallory');
      const { value } = await structured<{ value: number }>(client, 'random_number', { min: 3, max: 4 });
      expect([3, 4]).toContain(value);
    } finally {
      await client.close();
    }
    // The token is bound to its resource: the other transport's URL refuses it.
    const other = kind === 'sse' ? stack.urls.mcp : stack.urls.sse;
    const res = await fetch(other, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(challengeOf(res).error).toBe('invalid_token');
  });

  it('the dev user can be changed between logins', async () => {
    stack.idp!.setUser({ email: 'bob@example.org' });
    try {
      const { accessToken } = await login(stack.urls.authServer, stack.urls.mcp, 'mcp:tools');
      const client = await connect('streamable-http', stack.urls.mcp, { Authorization: `Bearer ${accessToken}` });
      try {
        expect(await structured(client, 'whoami')).toEqual({ user: 'bob@example.org' });
      } finally {
        await client.close();
      }
      expect(stack.idp!.logins.at(-1)?.email).toBe('bob@example.org');
    } finally {
      stack.idp!.setUser({ email: 'alice@example.com' });
    }
  });

  it('a step-up path needs its extra scope: 403 insufficient_scope, then allowed with the scope', async () => {
    const stepUp = `${stack.urls.traefik}/mcp/admin`;
    const base = await login(stack.urls.authServer, stack.urls.mcp, 'mcp:tools');
    const refused = await fetch(stepUp, { method: 'POST', headers: { authorization: `Bearer ${base.accessToken}`, 'content-type': 'application/json' }, body: '{}' });
    expect(refused.status).toBe(403);
    const challenge = challengeOf(refused);
    expect(challenge.error).toBe('insufficient_scope');
    expect(challenge.scope!.split(' ').sort()).toEqual(['mcp:admin', 'mcp:tools']);
    expect(challenge.resource_metadata).toBe(stack.urls.prm.mcp);

    const upscoped = await login(stack.urls.authServer, stack.urls.mcp, 'mcp:tools mcp:admin');
    expect(upscoped.scope.split(' ')).toContain('mcp:admin');
    const client = await connect('streamable-http', stepUp, { Authorization: `Bearer ${upscoped.accessToken}` });
    try {
      expect(await structured(client, 'whoami')).toEqual({ user: 'alice@example.com' });
    } finally {
      await client.close();
    }
  });

  it('the plugin reads the JWKS file the sidecar wrote into the mounted directory', () => {
    expect(existsSync(stack.jwksFile)).toBe(true);
    expect(path.dirname(stack.jwksFile).startsWith(stack.dataDir)).toBe(true);
  });

  it('stop() ends every child process and the dev identity provider', async () => {
    const { pids, urls } = stack;
    expect(Object.values(pids).every((pid) => typeof pid === 'number' && !processGone(pid))).toBe(true);
    await stack.stop();
    for (const [name, pid] of Object.entries(pids)) expect(processGone(pid), name).toBe(true);
    await expect(fetch(`${urls.idp}/.well-known/openid-configuration`)).rejects.toThrow();
    await expect(fetch(urls.mcp)).rejects.toThrow();
  });
});

describe('forwardAuth mode', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    await buildBundles();
    stack = await startStack({ dataDir: await tempDir('forward-auth'), mode: 'forwardAuth', requiredScopes: ['mcp:tools'], devUser: { email: 'carol@example.com' } });
  });
  printStackLogsOnFailure(() => stack);

  afterAll(async () => {
    await stack?.stop();
  });

  it('challenges through the sidecar and serves a metadata document per resource (/mcp and /sse)', async () => {
    const asMetadata = await jsonText(stack.urls.asMetadata);
    expect(asMetadata.json.issuer).toBe(stack.urls.traefik);
    for (const kind of ['mcp', 'sse', 'messages'] as const) {
      const res = await unauthenticated(stack.urls[kind]);
      expect(res.status, kind).toBe(401);
      const challenge = challengeOf(res);
      // /messages belongs to the /sse resource: its router's forwardAuth address names it
      const resource = kind === 'mcp' ? 'mcp' : 'sse';
      expect(challenge.resource_metadata, kind).toBe(stack.urls.prm[resource]);
      const prm = await jsonText(challenge.resource_metadata!);
      expect(prm.json.resource).toBe(stack.urls[resource]);
      expect((prm.json.authorization_servers as string[])[0]).toBe(asMetadata.json.issuer);
    }
    expect((await jsonText(`${stack.urls.traefik}/.well-known/oauth-protected-resource`)).json.resource).toBe(stack.urls.mcp);
  });

  it.each(['streamable-http', 'sse'] as const)('a logged-in client calls whoami over %s with the identity the sidecar set; the token opens its own resource only', async (kind) => {
    const url = kind === 'sse' ? stack.urls.sse : stack.urls.mcp;
    const { accessToken } = await login(stack.urls.authServer, url, 'mcp:tools');
    const client = await connect(kind, url, { Authorization: `Bearer ${accessToken}`, 'X-Forwarded-User': 'mallory@evil.example' });
    try {
      expect(await structured(client, 'whoami')).toEqual({ user: 'carol@example.com' });
      const { headers } = await structured<{ headers: Record<string, string> }>(client, 'request_headers');
      expect(headers.authorization).toBeUndefined();
      expect(JSON.stringify(headers)).not.toContain('mallory');
    } finally {
      await client.close();
    }
    // The token is bound to its resource (RFC 8707): the other transport's URL refuses it.
    const others = kind === 'sse' ? [stack.urls.mcp] : [stack.urls.sse, stack.urls.messages];
    for (const other of others) {
      const res = await fetch(other, { method: 'POST', headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }, body: '{}' });
      await res.arrayBuffer();
      expect(res.status, other).toBe(401);
      expect(challengeOf(res)).toMatchObject({ error: 'invalid_token', error_description: 'audience not accepted' });
    }
  });
});

describe('startup errors', () => {
  it('a busy fixed port fails before anything starts, naming the port and what wanted it', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const { port } = blocker.address() as net.AddressInfo;
    const dataDir = await tempDir('busy');
    try {
      const error = await startStack({ dataDir, ports: { sidecar: port } }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as PortInUseError).port).toBe(port);
      expect((error as Error).message).toBe(`port ${port} on 127.0.0.1 is already in use (wanted by the mcpauth sidecar (authorization server))`);
      expect(existsSync(path.join(dataDir, 'logs'))).toBe(false); // nothing was started
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('refuses step-up paths in forwardAuth mode and step-up paths outside /mcp/', async () => {
    const dataDir = await tempDir('options');
    await expect(startStack({ dataDir, mode: 'forwardAuth', stepUpPaths: [{ path: '/mcp/admin', scopes: ['x'] }] })).rejects.toThrow(/stepUpPaths need mode "plugin"/);
    await expect(startStack({ dataDir, stepUpPaths: [{ path: '/admin', scopes: ['x'] }] })).rejects.toThrow(/must look like \/mcp\/<name>/);
  });
});
