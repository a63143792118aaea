/**
 * Child processes in tests run our TypeScript modules for real: esbuild bundles an entry into
 * `<repo>/.cache/` (git-ignored), where bare imports still resolve to the repo's node_modules.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'esbuild';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ChildBundle {
  file: string;
  cleanup(): Promise<void>;
}

/** Bundles `source` (TypeScript; may import repo modules by absolute path) into an .mjs file. */
export async function bundleChild(name: string, source: string): Promise<ChildBundle> {
  // A fresh clone has no .cache/ yet.
  await mkdir(path.join(repoRoot, '.cache'), { recursive: true });
  const dir = await mkdtemp(path.join(repoRoot, '.cache', `${name}-`));
  const entry = path.join(dir, 'entry.ts');
  await writeFile(entry, source);
  const file = path.join(dir, `${name}.mjs`);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  return { file, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
