// Loads a test harness compiled from assembly/testing/<name>.ts (see scripts/build-plugin.mjs).
// Harnesses expose guest internals (hashes, signature checks, parsers) to vitest through
// AssemblyScript's raw bindings, which lift/lower strings and typed arrays.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function loadHarness<T = any>(name: string, imports: Record<string, unknown> = {}): Promise<T> {
  const wasmPath = path.join(repoRoot, 'build/testing', `${name}.wasm`);
  const bindings = await import(pathToFileURL(path.join(repoRoot, 'build/testing', `${name}.js`)).href);
  const module = await WebAssembly.compile(await readFile(wasmPath));
  return (await bindings.instantiate(module, imports)) as T;
}
