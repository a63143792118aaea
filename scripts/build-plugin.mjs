// Builds the guest: assembly/index.ts -> build/plugin.wasm (the Traefik plugin), copies it into
// traefik-plugin/ next to .traefik.yml, and compiles every assembly/testing/*.ts entry into
// build/testing/<name>.wasm (+ raw JS bindings) so tests can call guest internals directly.
import asc from 'assemblyscript/asc';
import { copyFile, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MAX_PLUGIN_BYTES = 256 * 1024;

async function compile(args) {
  const { error, stderr } = await asc.main(args, { stdout: process.stdout, stderr: process.stderr });
  if (error) {
    throw new Error(`asc ${args.join(' ')} failed: ${error.message}`);
  }
}

async function buildPlugin() {
  await compile(['assembly/index.ts', '--config', 'asconfig.json', '--target', 'plugin']);
  const wasm = path.join(root, 'build/plugin.wasm');
  const { size } = await stat(wasm);
  if (size > MAX_PLUGIN_BYTES) throw new Error(`plugin.wasm is ${size} bytes, over the ${MAX_PLUGIN_BYTES} byte budget`);
  await mkdir(path.join(root, 'traefik-plugin'), { recursive: true });
  await copyFile(wasm, path.join(root, 'traefik-plugin/plugin.wasm'));
  await copyFile(path.join(root, '.traefik.yml'), path.join(root, 'traefik-plugin/.traefik.yml'));
  console.log(`plugin.wasm: ${size} bytes -> traefik-plugin/`);
}

// A harness whose first line is `// asc-target: <name>` is built with that asconfig target
// (e.g. `guest` for a real http-wasm guest run by host-tests/host); the default is `harness`.
async function harnessTarget(file) {
  const firstLine = (await readFile(file, 'utf8')).split('\n', 1)[0];
  return /^\/\/\s*asc-target:\s*([\w-]+)/.exec(firstLine)?.[1] ?? 'harness';
}

async function buildHarnesses(only) {
  const dir = path.join(root, 'assembly/testing');
  const entries = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
  for (const file of entries) {
    const name = file.slice(0, -3);
    if (only.length && !only.includes(name)) continue;
    await compile([
      `assembly/testing/${file}`, '--config', 'asconfig.json',
      '--target', await harnessTarget(path.join(dir, file)),
      '--outFile', `build/testing/${name}.wasm`,
    ]);
  }
}

process.chdir(root);
const args = process.argv.slice(2);
// `node scripts/build-plugin.mjs` builds everything; `--plugin` only the plugin; `--harness name...`
// only those harnesses.
if (args[0] === '--harness') {
  await buildHarnesses(args.slice(1));
} else if (args[0] === '--plugin') {
  await buildPlugin();
} else {
  await buildPlugin();
  await buildHarnesses([]);
}
