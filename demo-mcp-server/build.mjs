// Bundles the demo MCP server into one ESM file with no runtime dependencies:
//   node demo-mcp-server/build.mjs   ->   demo-mcp-server/dist/demo-mcp-server.mjs
// Written to a temporary file and renamed into place, so a stack starting while a build runs
// reads the old bundle or the new one, never half of one.
import { build } from 'esbuild';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const bundlePath = path.join(here, 'dist/demo-mcp-server.mjs');

const result = await build({
  entryPoints: [path.join(here, 'src/main.ts')],
  outfile: bundlePath,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'linked',
  legalComments: 'linked',
  // CommonJS dependencies (express's, ajv's) call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __demoCreateRequire } from 'node:module'; const require = __demoCreateRequire(import.meta.url);",
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
console.log('built demo-mcp-server/dist/demo-mcp-server.mjs');
