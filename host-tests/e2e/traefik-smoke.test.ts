// Smoke test: the built plugin (traefik-plugin/plugin.wasm, from `npm run build`) with the repo-root
// .traefik.yml loads as a local plugin in a real Traefik, its middleware is enabled on a router, and
// a request through it either reaches the upstream or is answered by the guest without a 5xx.
// The middleware gets the manifest's testData as its options, as the Plugin Catalog would.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/harness.js';
import {
  findLogLines,
  startEchoServer,
  startTraefik,
  testDataAsPluginOptions,
  type EchoServer,
  type RunningTraefik,
} from './lib/traefik.js';

const PLUGIN_NAME = 'mcpauth';
const MODULE_NAME = 'github.com/mcpauth/mcpauth';
const BUILD_TIMEOUT_MS = 60 * 60_000; // a cold Traefik build on 2 shared cores can take a long while

// Lines Traefik writes when a plugin (or the plugin system) fails to load or build a middleware.
const PLUGIN_ERROR = /Plugins are disabled|error.*plugin|plugin.*error|failed to (load|build|create).*(plugin|middleware)|wasm.*(error|fail)/i;

function dynamicConfig(upstreamUrl: string, manifest: string): string {
  return [
    'http:',
    '  routers:',
    '    smoke:',
    '      rule: "PathPrefix(`/`)"',
    '      entryPoints: [web]',
    '      service: echo',
    `      middlewares: [${PLUGIN_NAME}]`,
    '  middlewares:',
    `    ${PLUGIN_NAME}:`,
    '      plugin:',
    testDataAsPluginOptions(manifest, PLUGIN_NAME, 8),
    '  services:',
    '    echo:',
    '      loadBalancer:',
    '        servers:',
    `          - url: "${upstreamUrl}"`,
    '',
  ].join('\n');
}

describe('Traefik runs the plugin', () => {
  let traefik: RunningTraefik | undefined;
  let echo: EchoServer | undefined;
  let workDir: string | undefined;

  beforeAll(async () => {
    const pluginDir = path.join(repoRoot, 'traefik-plugin');
    if (!existsSync(path.join(pluginDir, 'plugin.wasm'))) {
      throw new Error('traefik-plugin/plugin.wasm is missing: run `npm run build` first');
    }
    const manifestFile = path.join(repoRoot, '.traefik.yml');
    const binary = execFileSync('node', ['scripts/traefik/get-traefik.mjs'], {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();

    echo = await startEchoServer();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-traefik-smoke-'));
    traefik = await startTraefik({
      binary,
      workDir,
      dynamicConfig: dynamicConfig(echo.url, readFileSync(manifestFile, 'utf8')),
      localPlugins: [{ name: PLUGIN_NAME, moduleName: MODULE_NAME, srcDir: pluginDir, manifestFile }],
      waitForRouters: ['smoke'],
    });
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await traefik?.stop();
    await echo?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('loads the local plugin and enables its middleware', async () => {
    const logs = traefik!.logs();
    expect(findLogLines(logs, /Loading plugins\.\.\./), logs).not.toHaveLength(0);
    expect(findLogLines(logs, /Plugins loaded\./), logs).not.toHaveLength(0);
    expect(findLogLines(logs, PLUGIN_ERROR)).toEqual([]);

    const middleware = await traefik!.api<{ status: string; type?: string; plugin?: Record<string, unknown> }>(
      `/api/http/middlewares/${PLUGIN_NAME}@file`,
    );
    expect(middleware?.status).toBe('enabled');
    expect(Object.keys(middleware?.plugin ?? {})).toEqual([PLUGIN_NAME]);
  });

  it('passes a request through the guest to the upstream, or the guest answers it without a 5xx', async () => {
    const before = echo!.requests.length;
    const response = await fetch(`${traefik!.url}/mcp/smoke?probe=1`, { headers: { 'x-smoke': 'yes' } });
    const body = await response.text();
    const reached = echo!.requests.slice(before);
    if (reached.length > 0) {
      expect(response.status).toBe(200);
      expect(JSON.parse(body)).toMatchObject({ method: 'GET', path: '/mcp/smoke?probe=1' });
      expect(reached[0].headers['x-smoke']).toBe('yes');
    } else {
      expect(response.status, body).toBeLessThan(500);
    }
    expect(findLogLines(traefik!.logs(), PLUGIN_ERROR)).toEqual([]);
  });
});
