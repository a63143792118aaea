// Builds what the local stack runs: the plugin (traefik-plugin/), the sidecar bundle and the
// demo server bundle. `npm start` calls it; tests that start a stack call it (or parts of it)
// once before.
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

async function node(script, args = [], inherit = false) {
  const file = path.join(root, script);
  if (inherit) {
    // Show the compiler's progress (npm start): stdio inherited.
    await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [file, ...args], { cwd: root, stdio: 'inherit' });
      child.once('error', reject);
      child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${script} failed (${signal ?? `exit code ${code}`})`))));
    });
    return;
  }
  try {
    await run(process.execPath, [file, ...args], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    throw new Error(`${script} failed: ${err.stderr || err.message}`);
  }
}

/**
 * @param {{ plugin?: boolean, sidecar?: boolean, demo?: boolean, verbose?: boolean }} [what]
 *   plugin: `scripts/build-plugin.mjs --plugin` (traefik-plugin/plugin.wasm + .traefik.yml);
 *   sidecar: sidecar/dist/sidecar.mjs; demo: demo-mcp-server/dist/demo-mcp-server.mjs.
 *   All three by default. The bundles are written atomically (temp file + rename).
 */
export async function buildStack(what = {}) {
  const { plugin = true, sidecar = true, demo = true, verbose = false } = what;
  // The plugin first and alone: the AssemblyScript compiler is the heavy one.
  if (plugin) await node('scripts/build-plugin.mjs', ['--plugin'], verbose);
  await Promise.all([
    sidecar ? node('sidecar/build.mjs', [], verbose) : undefined,
    demo ? node('demo-mcp-server/build.mjs', [], verbose) : undefined,
  ]);
}
