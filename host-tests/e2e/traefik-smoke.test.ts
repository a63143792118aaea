// Smoke test: the built plugin (traefik-plugin/plugin.wasm, from `npm run build`) with the repo-root
// .traefik.yml loads as a local plugin in a real Traefik, its middleware is enabled on a router, and
// a request through it either reaches the upstream or is answered by the guest without a 5xx.
// The middleware gets the manifest's testData as its options, as the Plugin Catalog would.
// Control cases show the checks can fail: guests Traefik cannot load are reported, not ignored.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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
const PLUGIN_DIR = path.join(repoRoot, 'traefik-plugin');
const MANIFEST_FILE = path.join(repoRoot, '.traefik.yml');
const BUILD_TIMEOUT_MS = 90 * 60_000; // a cold Traefik build on 2 shared cores took ~50 minutes

// Traefik's own words when plugins fail to load or a wasm middleware cannot be built, and any
// error-level line about plugins or wasm (the guest's own error-level log lines included).
const PLUGIN_ERROR = /Plugins are disabled|building Wasm middleware|\s(ERR|FTL|PNC)\s.*([Pp]lugin|[Ww]asm)/;

let traefikBinary: string | undefined;
function getTraefikBinary(): string {
  traefikBinary ??= execFileSync('node', ['scripts/traefik/get-traefik.mjs'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return traefikBinary;
}

// With `tagged`, a headers middleware after the plugin marks requests, so a test can tell when a
// rewritten configuration is live.
function dynamicConfig(upstreamUrl: string, pluginOptionsYaml: string, tagged = false): string {
  return [
    'http:',
    '  routers:',
    '    smoke:',
    '      rule: "PathPrefix(`/`)"',
    '      entryPoints: [web]',
    '      service: echo',
    `      middlewares: [${PLUGIN_NAME}${tagged ? ', tag' : ''}]`,
    '  middlewares:',
    ...(tagged ? ['    tag:', '      headers:', '        customRequestHeaders:', '          X-Reloaded: "yes"'] : []),
    `    ${PLUGIN_NAME}:`,
    '      plugin:',
    pluginOptionsYaml,
    '  services:',
    '    echo:',
    '      loadBalancer:',
    '        servers:',
    `          - url: "${upstreamUrl}"`,
    '',
  ].join('\n');
}

// The smallest guest Traefik accepts: memory, handle_request returning 1 (continue), an empty
// handle_response. With withEnvAbort it also imports env.abort, as AssemblyScript does by default.
function minimalGuest(withEnvAbort: boolean): Uint8Array<ArrayBuffer> {
  const name = (text: string) => [text.length, ...Buffer.from(text)];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const I32 = 0x7f;
  const I64 = 0x7e;
  const types = [3, 0x60, 0, 1, I64, 0x60, 2, I32, I32, 0, 0x60, 4, I32, I32, I32, I32, 0];
  const imports = withEnvAbort ? [section(2, [1, ...name('env'), ...name('abort'), 0x00, 2])].flat() : [];
  const first = withEnvAbort ? 1 : 0; // imported functions come first in the function index space
  const exports = [3, ...name('memory'), 0x02, 0, ...name('handle_request'), 0x00, first, ...name('handle_response'), 0x00, first + 1];
  const requestBody = [4, 0, 0x42, 1, 0x0b]; // no locals; i64.const 1; end
  const responseBody = [2, 0, 0x0b]; // no locals; end
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, types),
    ...imports,
    ...section(3, [2, 0, 1]),
    ...section(5, [1, 0x00, 1]),
    ...section(7, exports),
    ...section(10, [2, ...requestBody, ...responseBody]),
  ]);
}

describe('testDataAsPluginOptions', () => {
  it('re-keys an inline testData value', () => {
    const manifest = 'displayName: x\ntestData: {}\nsummary: y\n';
    expect(testDataAsPluginOptions(manifest, 'p', 4)).toBe('    p: {}');
  });

  it('re-keys a block testData value, keeping nesting, lists and blank lines, up to the next top-level key', () => {
    const manifest = [
      'type: middleware',
      'testData:',
      '  issuer: https://as.example',
      '',
      '  audiences:',
      '    - a',
      '  nested:',
      '    key: |',
      '      multi',
      'iconPath: icon.png',
    ].join('\n');
    expect(testDataAsPluginOptions(manifest, 'p', 2)).toBe(
      ['  p:', '    issuer: https://as.example', '', '    audiences:', '      - a', '    nested:', '      key: |', '        multi'].join('\n'),
    );
  });

  it('rejects a manifest without testData', () => {
    expect(() => testDataAsPluginOptions('type: middleware\n', 'p', 2)).toThrow(/testData/);
  });
});

describe('Traefik runs the plugin', () => {
  let traefik: RunningTraefik | undefined;
  let echo: EchoServer | undefined;
  let workDir: string | undefined;
  let pluginOptions = '';

  beforeAll(async () => {
    if (!existsSync(path.join(PLUGIN_DIR, 'plugin.wasm'))) {
      throw new Error('traefik-plugin/plugin.wasm is missing: run `npm run build` first');
    }
    const binary = getTraefikBinary();
    echo = await startEchoServer();
    workDir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-traefik-smoke-'));
    pluginOptions = testDataAsPluginOptions(readFileSync(MANIFEST_FILE, 'utf8'), PLUGIN_NAME, 8);
    traefik = await startTraefik({
      binary,
      workDir,
      dynamicConfig: dynamicConfig(echo.url, pluginOptions),
      localPlugins: [{ name: PLUGIN_NAME, moduleName: MODULE_NAME, srcDir: PLUGIN_DIR, manifestFile: MANIFEST_FILE }],
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
    // e.g. `INF .../cmd/traefik/traefik.go:254 > Plugins loaded. plugins=["mcpauth"]`
    expect(findLogLines(logs, /Plugins loaded\. plugins=\["mcpauth"\]/), logs).toHaveLength(1);
    expect(findLogLines(logs, PLUGIN_ERROR)).toEqual([]);

    const middleware = await traefik!.api<{ status: string; plugin?: Record<string, unknown> }>(
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

  it('keeps the middleware enabled after the dynamic configuration is rewritten', async () => {
    await traefik!.writeDynamicConfig(dynamicConfig(echo!.url, pluginOptions, true));
    await traefik!.waitForRouters(['smoke']);
    // The tag middleware only exists in the new configuration: once it shows, the reload is live.
    let tagged = false;
    for (let attempt = 0; attempt < 100 && !tagged; attempt++) {
      const before = echo!.requests.length;
      const response = await fetch(`${traefik!.url}/mcp/reloaded`);
      await response.arrayBuffer();
      expect(response.status).toBeLessThan(500);
      tagged = echo!.requests.slice(before).some((request) => request.headers['x-reloaded'] === 'yes');
      // A guest that answers by itself never lets the request reach the tag: the API tells instead.
      if (echo!.requests.length === before) {
        const router = await traefik!.api<{ middlewares?: string[] }>('/api/http/routers/smoke@file');
        tagged = router?.middlewares?.includes('tag@file') ?? false;
      }
      if (!tagged) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(tagged).toBe(true);
    expect((await traefik!.api<{ status: string }>(`/api/http/middlewares/${PLUGIN_NAME}@file`))?.status).toBe('enabled');
    expect(findLogLines(traefik!.logs(), PLUGIN_ERROR)).toEqual([]);
  });
});

describe('a guest Traefik cannot load is reported', () => {
  let echo: EchoServer | undefined;
  const workDirs: string[] = [];

  beforeAll(async () => {
    getTraefikBinary();
    echo = await startEchoServer();
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await echo?.stop();
    for (const dir of workDirs) await rm(dir, { recursive: true, force: true });
  });

  async function runGuest(wasm: Uint8Array<ArrayBuffer>): Promise<RunningTraefik> {
    const workDir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-traefik-guest-'));
    workDirs.push(workDir);
    const srcDir = path.join(workDir, 'guest-src');
    await mkdir(srcDir);
    await writeFile(path.join(srcDir, 'plugin.wasm'), wasm);
    await copyFile(MANIFEST_FILE, path.join(srcDir, '.traefik.yml'));
    return startTraefik({
      binary: getTraefikBinary(),
      workDir,
      dynamicConfig: dynamicConfig(echo!.url, `        ${PLUGIN_NAME}: {}`),
      localPlugins: [{ name: PLUGIN_NAME, moduleName: MODULE_NAME, srcDir }],
      waitForRouters: ['smoke'],
    });
  }

  it('accepts the minimal guest (control for the cases below)', async () => {
    const guest = minimalGuest(false);
    expect(WebAssembly.validate(guest)).toBe(true);
    const traefik = await runGuest(guest);
    try {
      const response = await fetch(`${traefik.url}/control`);
      expect(response.status).toBe(200);
      expect(findLogLines(traefik.logs(), PLUGIN_ERROR)).toEqual([]);
    } finally {
      await traefik.stop();
    }
  });

  it('reports a guest that imports env.abort: its router is disabled', async () => {
    const guest = minimalGuest(true);
    expect(WebAssembly.validate(guest)).toBe(true);
    const error = await runGuest(guest).then(() => null, (caught: Error) => caught);
    expect(error?.message).toMatch(/smoke: disabled .*error instantiating guest: module\[env\] not instantiated/);
    // The same pattern that must find nothing in the runs above finds Traefik's report here.
    expect(findLogLines(error?.message ?? '', PLUGIN_ERROR)).not.toEqual([]);
  });

  it('reports a file that is not wasm: plugins are disabled', async () => {
    const error = await runGuest(Buffer.from('not a wasm module')).then(() => null, (caught: Error) => caught);
    expect(error?.message).toMatch(/Plugins are disabled because an error has occurred\. error="compiling guest module: /);
    expect(findLogLines(error?.message ?? '', PLUGIN_ERROR)).not.toEqual([]);
  });
});
