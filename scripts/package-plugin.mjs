// Packages the built plugin (traefik-plugin/: .traefik.yml + plugin.wasm).
//   node scripts/package-plugin.mjs --local [workDir]   lays out <workDir>/plugins-local/src/<moduleName>/
//                                                       (default workDir: the repo) for experimental.localPlugins
//   node scripts/package-plugin.mjs [--out file.zip]    writes the catalog release asset: a flat zip with
//                                                       .traefik.yml and plugin.wasm (default build/mcpauth-plugin.zip)
// Run `npm run build` first.
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { zipSync } from 'fflate';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The Go-style module name users put in `experimental.localPlugins.<name>.moduleName`. */
export const MODULE_NAME = 'github.com/mcpauth/mcpauth';
const FILES = ['.traefik.yml', 'plugin.wasm'];

async function builtFiles() {
  const dir = path.join(root, 'traefik-plugin');
  const out = {};
  for (const f of FILES) {
    try {
      out[f] = await readFile(path.join(dir, f));
    } catch {
      throw new Error(`traefik-plugin/${f} is missing: run \`npm run build\` first`);
    }
  }
  return out;
}

export async function layOutLocalPlugin(workDir = root) {
  const files = await builtFiles();
  const target = path.join(workDir, 'plugins-local', 'src', MODULE_NAME);
  await mkdir(target, { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(path.join(target, name), data);
  return target;
}

export async function writeCatalogZip(out = path.join(root, 'build', 'mcpauth-plugin.zip')) {
  const files = await builtFiles();
  // A fixed timestamp keeps the archive byte-for-byte reproducible.
  const mtime = new Date('2026-01-01T00:00:00Z');
  const zip = zipSync(Object.fromEntries(Object.entries(files).map(([n, d]) => [n, [new Uint8Array(d), { mtime }]])), { level: 9 });
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, zip);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  if (args[0] === '--local') {
    const target = await layOutLocalPlugin(args[1] ? path.resolve(args[1]) : root);
    console.log(`local plugin laid out in ${path.relative(process.cwd(), target) || target}`);
    console.log(`static configuration: experimental.localPlugins.mcpauth.moduleName = ${MODULE_NAME}`);
  } else {
    const outIndex = args.indexOf('--out');
    const out = await writeCatalogZip(outIndex >= 0 ? path.resolve(args[outIndex + 1]) : undefined);
    console.log(`catalog package: ${path.relative(process.cwd(), out)} (.traefik.yml + plugin.wasm)`);
  }
}
