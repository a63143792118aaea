// Path of a guest compiled by scripts/build-plugin.mjs, with a clear message when it is missing.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** build/testing/<name>.wasm; throws with the build command when it has not been built. */
export function builtTestGuest(name: string): string {
  const file = path.join(repoRoot, 'build/testing', `${name}.wasm`);
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`node scripts/build-plugin.mjs --harness ${name}\` (or npm run build)`);
  }
  return file;
}
