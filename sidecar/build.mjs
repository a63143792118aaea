// Bundles the sidecar into one ESM file for the container image: sidecar/dist/sidecar.mjs.
// better-sqlite3 stays external (a native addon: the image installs it with its prebuilt
// binary); everything else, ioredis included, is inlined.
//   node sidecar/build.mjs
// Each output is written to a temporary file and renamed into place, so a sidecar being started
// while a build runs (tests, the benchmark) reads either the old bundle or the new one, never
// half of one.
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

const result = await build({
  entryPoints: [path.join(here, 'src/main.ts')],
  outfile: path.join(here, 'dist/sidecar.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'linked',
  external: ['better-sqlite3'],
  // CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
  banner: {
    js: "import { createRequire as __mcpauthCreateRequire } from 'node:module'; const require = __mcpauthCreateRequire(import.meta.url);",
  },
  logLevel: 'warning',
  write: false,
});
for (const output of result.outputFiles) {
  await mkdir(path.dirname(output.path), { recursive: true });
  const tmp = `${output.path}.${process.pid}.tmp`;
  await writeFile(tmp, output.contents);
  await rename(tmp, output.path);
}
console.log('built sidecar/dist/sidecar.mjs');
