// Packaging as users install it: `npm run package` makes the catalog zip (.traefik.yml +
// plugin.wasm, flat); unpacked into a fresh plugins-local it loads in real Traefik and works.
// `npm run plugin:local` lays out the same files for experimental.localPlugins.
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from '../lib/harness.js';
import { MODULE_NAME, layOutLocalPlugin, writeCatalogZip } from '../../scripts/package-plugin.mjs';
import { startEchoServer, startTraefik, type RunningTraefik } from './lib/traefik.js';
import { traefikBinary } from './lib/mcpauth.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

test('npm run plugin:local lays out plugins-local/src/<moduleName>/ with the built files', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-local-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  const dir = await layOutLocalPlugin(work);
  expect(dir).toBe(path.join(work, 'plugins-local/src', MODULE_NAME));
  expect((await readdir(dir)).sort()).toEqual(['.traefik.yml', 'plugin.wasm']);
  expect((await readFile(path.join(dir, 'plugin.wasm'))).equals(await readFile(path.join(repoRoot, 'traefik-plugin/plugin.wasm')))).toBe(true);
});

test('the catalog zip, unpacked into a fresh plugins-local, loads in Traefik and guards the route', async () => {
  const work = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-zip-'));
  cleanup.push(() => rm(work, { recursive: true, force: true }));
  const zipPath = await writeCatalogZip(path.join(work, 'mcpauth.zip'));
  const entries = unzipSync(new Uint8Array(await readFile(zipPath)));
  expect(Object.keys(entries).sort()).toEqual(['.traefik.yml', 'plugin.wasm']);
  const unpacked = path.join(work, 'unpacked');
  await mkdir(unpacked);
  for (const [name, data] of Object.entries(entries)) await writeFile(path.join(unpacked, name), data);

  const echo = await startEchoServer();
  cleanup.push(() => echo.stop());
  const traefik: RunningTraefik = await startTraefik({
    binary: traefikBinary(),
    workDir: path.join(work, 'traefik'),
    localPlugins: [{ name: 'mcpauth', moduleName: MODULE_NAME, srcDir: unpacked }],
    dynamicConfig: {
      http: {
        routers: { mcp: { rule: 'PathPrefix(`/`)', entryPoints: ['web'], middlewares: ['auth'], service: 'echo' } },
        middlewares: {
          auth: {
            plugin: {
              mcpauth: {
                resource: 'https://mcp.example.com/mcp',
                issuers: [{ issuer: 'https://auth.example.com', jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'k1', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] } }],
              },
            },
          },
        },
        services: { echo: { loadBalancer: { servers: [{ url: echo.url }] } } },
      },
    },
  });
  cleanup.push(() => traefik.stop());
  const denied = await fetch(`${traefik.url}/mcp`);
  expect(denied.status).toBe(401);
  expect(denied.headers.get('www-authenticate')).toBe('Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"');
  const prm = await fetch(`${traefik.url}/.well-known/oauth-protected-resource/mcp`);
  expect(prm.status).toBe(200);
  expect(((await prm.json()) as { resource: string }).resource).toBe('https://mcp.example.com/mcp');
  expect(echo.requests.length).toBe(0);
  expect(traefik.logs()).toContain('Plugins loaded');
});
