// `npm start` as a user runs it: `node scripts/start.mjs` in a child process, every port moved
// to a free one through its variable, builds skipped (the bundles are built once above; the
// plugin comes from `npm run build`). It must print the URLs, serve them, and leave nothing
// running after Ctrl-C; a busy port must fail with a message naming it.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDevIdp } from '../../scripts/stack/dev-idp.mjs';
import { freePort } from '../../scripts/stack/ports.mjs';
import { repoRoot } from '../../scripts/stack/stack.mjs';
import type { DevIdp } from '../../scripts/stack/stack.d.mts';
import { buildBundles, commandLine, connect, descendants, login, processGone, removeTempDirs, structured, tempDir } from './lib.js';

const START = path.join(repoRoot, 'scripts/start.mjs');
const READY_TIMEOUT_MS = 90_000;

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: Started[] = [];

function spawnStart(env: Record<string, string>): Started {
  const child = spawn(process.execPath, [START, '--no-build'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (d) => (text += String(d)));
  child.stderr!.on('data', (d) => (text += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const started = { child, output: () => text, exited };
  running.push(started);
  return started;
}

async function waitForReady(started: Started): Promise<string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!/^Ready\. Press Ctrl-C to stop\.$/m.test(started.output())) {
    if (started.child.exitCode !== null) throw new Error(`start.mjs exited ${started.child.exitCode}:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`start.mjs not ready after ${READY_TIMEOUT_MS} ms:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return started.output();
}

function printed(output: string, label: string): string {
  const match = new RegExp(`^  ${label.replace(/[()]/g, '\\$&')}:\\s+(\\S+)`, 'm').exec(output);
  if (!match) throw new Error(`"${label}" not printed:\n${output}`);
  return match[1]!;
}

async function portEnv(): Promise<{ env: Record<string, string>; ports: Record<string, number> }> {
  const ports: Record<string, number> = {};
  for (const name of ['TRAEFIK_PORT', 'TRAEFIK_ADMIN_PORT', 'PORT', 'DEMO_PORT', 'DEV_IDP_PORT']) {
    let port = await freePort();
    while (Object.values(ports).includes(port)) port = await freePort();
    ports[name] = port;
  }
  return { ports, env: Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  await buildBundles();
});

afterAll(removeTempDirs);

afterEach(async () => {
  for (const started of running.splice(0)) {
    if (started.child.exitCode === null && started.child.signalCode === null) {
      started.child.kill('SIGINT');
      await started.exited;
    }
  }
});

describe('npm start with the development identity provider', () => {
  it('prints the URLs and a loud warning, serves them on the chosen ports, and Ctrl-C leaves nothing running', async () => {
    const { env, ports } = await portEnv();
    const started = spawnStart({ ...env, DATA_DIR: await tempDir('start'), DEV_USER_EMAIL: 'dana@example.com' });
    const output = await waitForReady(started);

    expect(output).toContain('DEVELOPMENT IDENTITY PROVIDER - FOR LOCAL DEVELOPMENT ONLY');
    expect(output).toMatch(/signs in ANYONE, with no password, as\s*#\s*#\s+dana@example\.com/);
    const origin = `http://127.0.0.1:${ports.TRAEFIK_PORT}`;
    const mcpUrl = printed(output, 'MCP server URL (Streamable HTTP)');
    expect(mcpUrl).toBe(`${origin}/mcp`);
    expect(printed(output, 'MCP server URL (legacy SSE)')).toBe(`${origin}/sse`);
    const issuer = printed(output, 'Authorization server (issuer)');
    expect(issuer).toBe(origin);
    expect(output).toContain(`DEVELOPMENT provider at http://127.0.0.1:${ports.DEV_IDP_PORT}`);
    expect(printed(output, 'Traefik dashboard')).toBe(`http://127.0.0.1:${ports.TRAEFIK_ADMIN_PORT}/dashboard/`);

    // The printed MCP URL challenges with a resource_metadata URL; the metadata and the AS metadata resolve and agree.
    const challenge = await fetch(mcpUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(challenge.status).toBe(401);
    const resourceMetadata = /resource_metadata="([^"]+)"/.exec(challenge.headers.get('www-authenticate') ?? '')?.[1];
    expect(resourceMetadata).toBe(`${origin}/.well-known/oauth-protected-resource/mcp`);
    const prm = await (await fetch(resourceMetadata!)).json();
    expect(prm.resource).toBe(mcpUrl);
    expect(prm.authorization_servers[0]).toBe(issuer);
    const asMetadata = await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json();
    expect(asMetadata.issuer).toBe(issuer);

    // Every port variable was honoured.
    expect((await fetch(`http://127.0.0.1:${ports.PORT}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.DEMO_PORT}/health`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.TRAEFIK_ADMIN_PORT}/ping`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.DEV_IDP_PORT}/.well-known/openid-configuration`)).status).toBe(200);

    const children = descendants(started.child.pid!);
    const commands = children.map(commandLine).join('\n');
    expect(commands).toContain('sidecar/dist/sidecar.mjs');
    expect(commands).toContain('demo-mcp-server/dist/demo-mcp-server.mjs');
    expect(commands).toMatch(/traefik/i);

    started.child.kill('SIGINT');
    expect(await started.exited).toEqual({ code: 0, signal: null });
    for (const pid of children) expect(processGone(pid), commandLine(pid)).toBe(true);
    for (const port of Object.values(ports)) expect(await listening(port), `port ${port}`).toBe(false);
    expect(started.output()).toMatch(/SIGINT: stopping/);
  });

  it.each([
    ['TRAEFIK_PORT', 'Traefik web entrypoint'],
    ['DEMO_PORT', 'demo MCP server'],
  ])('a busy %s fails with a message naming the port, what wanted it and the variable', async (variable, role) => {
    const { env } = await portEnv();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(Number(env[variable]), '127.0.0.1', () => resolve()));
    try {
      const started = spawnStart({ ...env, DATA_DIR: await tempDir('busy') });
      const { code } = await started.exited;
      expect(code).toBe(1);
      const output = started.output();
      expect(output).toContain(`port ${env[variable]} on 127.0.0.1 is already in use (wanted by the ${role}`);
      expect(output).toContain(`${variable}=<port>`);
      expect(output).not.toContain('Ready.');
      expect(descendants(started.child.pid!)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('npm start with a given OpenID Connect provider', () => {
  let upstream: DevIdp;

  beforeAll(async () => {
    upstream = await startDevIdp({ user: { email: 'erin@example.net' } });
  });

  afterAll(async () => {
    await upstream?.stop();
  });

  it('logs in at OIDC_ISSUER, starts no development provider and prints no warning', async () => {
    const { env, ports } = await portEnv();
    const started = spawnStart({
      ...env,
      DATA_DIR: await tempDir('start-oidc'),
      OIDC_ISSUER: upstream.issuer,
      CLIENT_ID: 'start-test-client',
      CLIENT_SECRET: 'start-test-secret',
    });
    const output = await waitForReady(started);
    expect(output).not.toContain('DEVELOPMENT');
    expect(printed(output, 'Identity provider')).toBe(upstream.issuer);
    const issuer = printed(output, 'Authorization server (issuer)');
    expect(printed(output, 'Redirect URI to register there')).toBe(`${issuer}/callback`);
    expect(await listening(ports.DEV_IDP_PORT!)).toBe(false);

    const before = upstream.logins.length;
    const mcpUrl = printed(output, 'MCP server URL (Streamable HTTP)');
    const { accessToken } = await login(issuer, mcpUrl);
    expect(upstream.logins.length).toBe(before + 1);
    const client = await connect('streamable-http', mcpUrl, { Authorization: `Bearer ${accessToken}` });
    try {
      expect(await structured(client, 'whoami')).toEqual({ user: 'erin@example.net' });
    } finally {
      await client.close();
    }
  });
});
