// Bundles the sidecar into one ESM file for the container image: sidecar/dist/sidecar.mjs.
// better-sqlite3 stays external (a native addon: the image installs it with its prebuilt
// binary); everything else, ioredis included, is inlined.
//   node sidecar/build.mjs
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

await build({
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
});
console.log('built sidecar/dist/sidecar.mjs');
