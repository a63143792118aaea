// The built plugin as Traefik and the plugin catalog see it: imports, exports, size, the
// .traefik.yml manifest (at the repo root and in traefik-plugin/), and a testData config that starts.
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { expect, test } from 'vitest';
import { readModuleInfo } from '../host/index.js';
import { repoRoot } from '../lib/harness.js';
import { PLUGIN_WASM, noTrap, startPlugin } from './lib.js';

const manifest = parse(readFileSync(path.join(repoRoot, '.traefik.yml'), 'utf8'));

test('plugin.wasm imports only http_handler and wasi_snapshot_preview1', () => {
  const info = readModuleInfo(readFileSync(PLUGIN_WASM));
  const modules = new Set(info.imports.map((i: { module: string }) => i.module));
  expect([...modules].sort()).toEqual(['http_handler', 'wasi_snapshot_preview1']);
});

test('plugin.wasm exports handle_request, handle_response and memory', () => {
  const info = readModuleInfo(readFileSync(PLUGIN_WASM));
  const names = info.exports.map((e: { name: string }) => e.name).sort();
  expect(names).toEqual(['handle_request', 'handle_response', 'memory']);
});

test('plugin.wasm is at most 256 KiB', () => {
  expect(statSync(PLUGIN_WASM).size).toBeLessThanOrEqual(256 * 1024);
});

test('traefik-plugin/ holds the same plugin.wasm and .traefik.yml', () => {
  expect(readFileSync(path.join(repoRoot, 'traefik-plugin/plugin.wasm')).equals(readFileSync(PLUGIN_WASM))).toBe(true);
  expect(readFileSync(path.join(repoRoot, 'traefik-plugin/.traefik.yml'), 'utf8')).toBe(readFileSync(path.join(repoRoot, '.traefik.yml'), 'utf8'));
});

test('.traefik.yml has the fields Traefik reads', () => {
  expect(manifest).toMatchObject({ type: 'middleware', runtime: 'wasm', wasmPath: 'plugin.wasm' });
  expect(typeof manifest.displayName).toBe('string');
  expect(typeof manifest.summary).toBe('string');
  expect(Object.keys(manifest.testData).length).toBeGreaterThan(0);
});

test('testData is a configuration that starts: metadata served, 401 without a token, no config error', async () => {
  const p = await startPlugin(manifest.testData);
  const meta = noTrap(await p.handle({ uri: '/.well-known/oauth-protected-resource/mcp' }));
  expect(meta.status).toBe(200);
  expect(meta.json().resource).toBe(manifest.testData.resource);
  const denied = noTrap(await p.handle({ uri: '/mcp' }));
  expect(denied.status).toBe(401);
  expect(p.logs.map((l) => l.message).join('\n')).not.toContain('invalid configuration');
});
