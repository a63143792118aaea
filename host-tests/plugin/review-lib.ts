// Helpers for the security-review regression suites: the built plugin and the `jwt` harness, from
// build/ by default; REVIEW_BUILD_DIR points them at another build to compare two builds.
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { HttpWasmHost, type HttpWasmHostOptions } from '../host/index.js';
import { repoRoot } from '../lib/harness.js';
import { NOW } from '../lib/tokens.js';

const buildDir = process.env.REVIEW_BUILD_DIR ?? path.join(repoRoot, 'build');

export async function startReviewPlugin(config: Record<string, unknown> | undefined, options: HttpWasmHostOptions = {}): Promise<HttpWasmHost> {
  return HttpWasmHost.create(path.join(buildDir, 'plugin.wasm'), { config, now: () => NOW * 1000, ...options });
}

export interface JwtHarness {
  configure(options: string): string;
  verify(token: string, now: number): string;
}

export async function loadJwtHarness(): Promise<JwtHarness> {
  const bindings = await import(pathToFileURL(path.join(buildDir, 'testing/jwt.js')).href);
  const module = await WebAssembly.compile(await readFile(path.join(buildDir, 'testing/jwt.wasm')));
  return (await bindings.instantiate(module, {})) as JwtHarness;
}
