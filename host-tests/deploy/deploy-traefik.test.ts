// The routers and middlewares of deploy/traefik/dynamic.yml and dynamic-forwardauth.yml in a real
// Traefik (v3.6, the line docker-compose.yml runs), with the plugin declared as static.yml declares
// it, the sidecar started from the compose environment and the demo MCP server behind them.
// What differs from the containers: Traefik listens on one plain-http loopback entry point (the
// routers' entryPoints and tls are replaced), the service URLs point at the local sidecar and demo
// server, and the volume directories are temporary ones. Everything else is the files as written.
// The entry point trusts every client's X-Forwarded-* headers (forwardedHeaders.insecure): the
// worst case of a Traefik behind a proxy that passes them on, in which the files must stay safe.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startDemoServer, type RunningDemoServer } from '../../demo-mcp-server/src/server.js';
import { guestFailureLines, traefikBinary } from '../e2e/lib/mcpauth.js';
import { startTraefik, type RunningTraefik } from '../e2e/lib/traefik.js';
import { repoRoot } from '../lib/harness.js';
import { startComposeSidecar, type ComposeSidecar } from './lib/compose-sidecar.js';
import { loadDeployFiles, PLUGIN_KEY, SERVICES, type DeployFiles, type Tree } from './lib/deploy-files.js';
import { callTool, requestVia, type HostRequest } from './lib/http.js';
import { ruleArguments } from './lib/traefik-config.js';

let files: DeployFiles;
let stack: ComposeSidecar;
let demo: RunningDemoServer;
let traefik: RunningTraefik;

const mcpHost = (): string => new URL(stack.config.resources[0]!).host;
const authHost = (): string => new URL(stack.config.issuer).host;
const send = (request: Omit<HostRequest, 'host'> & { host?: string }) => requestVia(traefik.port, { host: mcpHost(), ...request });
const listed = (value: string | string[] | undefined): string[] => String(value ?? '').split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);

/** The dynamic configuration as written, on the test's entry point and with local URLs for the compose services. */
function runnable(dynamic: Tree): Tree {
  const copy = structuredClone(dynamic) as Tree;
  for (const router of Object.values(copy.http.routers) as Tree[]) {
    router.entryPoints = ['web'];
    delete router.tls;
  }
  const local: Record<string, string> = { [SERVICES.demo]: demo.url, [SERVICES.sidecar]: stack.sidecar.url };
  for (const [name, service] of Object.entries(copy.http.services) as Array<[string, Tree]>) {
    expect(new URL(service.loadBalancer.servers[0].url).hostname).toBe(name);
    service.loadBalancer.servers = [{ url: local[name] }];
  }
  for (const middleware of Object.values(copy.http.middlewares) as Tree[]) {
    if (!middleware.forwardAuth) continue;
    const address = new URL(middleware.forwardAuth.address);
    expect(Object.keys(local)).toContain(address.hostname);
    middleware.forwardAuth.address = `${local[address.hostname]}${address.pathname}`;
  }
  return copy;
}

async function useDynamic(dynamic: Tree): Promise<void> {
  await traefik.writeDynamicConfig(runnable(dynamic));
  await traefik.waitForRouters(Object.keys(dynamic.http.routers));
}

beforeAll(async () => {
  files = loadDeployFiles();
  stack = await startComposeSidecar(files, 'traefik');
  demo = await startDemoServer({ port: 0, host: '127.0.0.1' });
  const declared = files.staticConfig.experimental.localPlugins[PLUGIN_KEY];
  traefik = await startTraefik({
    binary: traefikBinary(),
    workDir: path.join(stack.workDir, 'traefik'),
    dynamicConfig: runnable(files.dynamicPlugin),
    staticConfig: { entryPoints: { web: { forwardedHeaders: { insecure: true } } } },
    localPlugins: [{ name: PLUGIN_KEY, moduleName: declared.moduleName, srcDir: path.join(repoRoot, 'traefik-plugin'), mounts: stack.pluginMounts(files.staticConfig) }],
  });
});

afterAll(async () => {
  await traefik?.stop();
  await demo?.close();
  await stack?.stop();
});

describe('plugin mode (dynamic.yml)', () => {
  test('Traefik enables the routers with the whole chain', async () => {
    const router = await traefik.api<{ status: string; middlewares: string[] }>('/api/http/routers/mcp@file');
    expect(router?.status).toBe('enabled');
    expect(router?.middlewares).toEqual(['mcp-cors@file', 'mcp-well-known@file', 'mcp-auth@file']);
    for (const name of Object.keys(files.dynamicPlugin.http.middlewares)) {
      expect((await traefik.api<{ status: string }>(`/api/http/middlewares/${name}@file`))?.status, name).toBe('enabled');
    }
  });

  test('without a token: 401 with the challenge, readable by a browser', async () => {
    const res = await send({ method: 'POST', path: '/mcp', headers: { origin: 'http://localhost:6274', 'content-type': 'application/json' }, body: '{}' });
    expect(res.status, res.body).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer resource_metadata="https://${mcpHost()}/.well-known/oauth-protected-resource", scope="mcp:tools"`);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(listed(res.headers['access-control-expose-headers'])).toContain('www-authenticate');
  });

  test('a browser preflight is answered with the MCP headers allowed', async () => {
    const res = await send({
      method: 'OPTIONS',
      path: '/mcp',
      headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,mcp-session-id,mcp-protocol-version' },
    });
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(listed(res.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['authorization', 'content-type', 'mcp-session-id', 'mcp-protocol-version']));
    expect(listed(res.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining(['get', 'post', 'delete']));
  });

  test('the Protected Resource Metadata names the sidecar as authorization server', async () => {
    const res = await send({ path: '/.well-known/oauth-protected-resource' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ resource: stack.config.resources[0], authorization_servers: [stack.config.issuer] });
  });

  test('authorization server metadata asked of the MCP host redirects to the sidecar, whose router serves it', async () => {
    for (const doc of ['oauth-authorization-server', 'openid-configuration']) {
      const res = await send({ path: `/.well-known/${doc}` });
      expect([301, 302, 307, 308], doc).toContain(res.status);
      const location = new URL(String(res.headers.location));
      expect(location.href).toBe(`${stack.config.issuer}/.well-known/${doc}`);
      const followed = await send({ host: location.host, path: location.pathname });
      expect(followed.status, doc).toBe(200);
      expect(JSON.parse(followed.body).issuer).toBe(stack.config.issuer);
    }
  });

  test('the sidecar\'s router serves /health but not /metrics', async () => {
    expect((await send({ host: authHost(), path: '/health' })).status).toBe(200);
    expect((await send({ host: authHost(), path: '/metrics' })).status).toBe(404);
    expect(ruleArguments(files.dynamicPlugin.http.routers.mcpauth.rule, 'PathPrefix')).toEqual(['!/metrics']);
  });

  test('a token signed with the sidecar\'s key (from the JWKS file on the shared volume) reaches the MCP server: whoami is the user', async () => {
    const { token, email } = await stack.allowedUserToken();
    const result = await callTool(traefik.port, mcpHost(), '/mcp', { authorization: `Bearer ${token}`, 'x-forwarded-user': 'mallory@example.com' }, 'whoami');
    expect(result.status, result.raw.body).toBe(200);
    expect(result.response?.result?.structuredContent).toEqual({ user: email });
    const headers = await callTool(traefik.port, mcpHost(), '/mcp', { authorization: `Bearer ${token}` }, 'request_headers');
    expect(Object.keys((headers.response?.result?.structuredContent as { headers: Record<string, string> }).headers)).not.toContain('authorization');
  });

  test('Traefik logged no guest trap or panic', () => {
    expect(guestFailureLines(traefik.logs())).toEqual([]);
  });
});

describe('forwardAuth mode (dynamic-forwardauth.yml)', () => {
  beforeAll(async () => {
    await useDynamic(files.dynamicForwardAuth);
  });

  test('Traefik enables the routers; the MCP router asks the sidecar', async () => {
    const router = await traefik.api<{ status: string; middlewares: string[] }>('/api/http/routers/mcp@file');
    expect(router?.middlewares).toEqual(['mcp-cors@file', 'mcp-well-known@file', 'mcp-auth@file']);
    const auth = await traefik.api<{ status: string; type: string }>('/api/http/middlewares/mcp-auth@file');
    expect(auth?.type).toBe('forwardauth');
    expect(auth?.status).toBe('enabled');
  });

  test('without a token: the sidecar\'s 401 with the plugin\'s challenge', async () => {
    const res = await send({ method: 'POST', path: '/mcp', body: '{}' });
    expect(res.status, res.body).toBe(401);
    expect(res.headers['www-authenticate']).toBe(`Bearer resource_metadata="https://${mcpHost()}/.well-known/oauth-protected-resource", scope="mcp:tools"`);
  });

  test('a client cannot choose the URI the sidecar judges, even when Traefik trusts its X-Forwarded-* headers', async () => {
    const res = await send({ method: 'POST', path: '/mcp', headers: { 'x-forwarded-uri': '/.well-known/oauth-protected-resource', 'x-forwarded-method': 'GET' }, body: '{}' });
    expect(res.status).toBe(401);
  });

  test('the Protected Resource Metadata is served through the metadata router', async () => {
    const res = await send({ path: '/.well-known/oauth-protected-resource' });
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ resource: stack.config.resources[0], authorization_servers: [stack.config.issuer] });
  });

  test('a token signed with the sidecar\'s key reaches the MCP server; a spoofed X-Forwarded-User and the token do not', async () => {
    const { token, email } = await stack.allowedUserToken();
    const result = await callTool(traefik.port, mcpHost(), '/mcp', { authorization: `Bearer ${token}`, 'x-forwarded-user': 'mallory@example.com' }, 'whoami');
    expect(result.status, result.raw.body).toBe(200);
    expect(result.response?.result?.structuredContent).toEqual({ user: email });
    const headers = await callTool(traefik.port, mcpHost(), '/mcp', { authorization: `Bearer ${token}` }, 'request_headers');
    expect(Object.keys((headers.response?.result?.structuredContent as { headers: Record<string, string> }).headers)).not.toContain('authorization');
  });

  test('a user outside ALLOWED_EMAILS is refused by the sidecar', async () => {
    const { token } = await stack.allowedUserToken({ email: 'mallory@elsewhere.example' });
    const res = await send({ method: 'POST', path: '/mcp', headers: { authorization: `Bearer ${token}` }, body: '{}' });
    expect(res.status).toBe(403);
  });
});
