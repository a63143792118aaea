// Hand-run speed check for the guest's Ed25519 verification against node:crypto, side by side in
// one process. Build the harness first:
//   node scripts/build-plugin.mjs --harness crypto_ed25519 && node host-tests/bench/ed25519-speed.mjs
// Optional arguments: message length in bytes (default 400) and iterations (default 2000).
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const build = path.join(root, 'build/testing');
const bindings = await import(pathToFileURL(path.join(build, 'crypto_ed25519.js')).href);
const guest = await bindings.instantiate(
  await WebAssembly.compile(await readFile(path.join(build, 'crypto_ed25519.wasm'))),
  {},
);

const messageBytes = Number(process.argv[2] ?? 400);
const iterations = Number(process.argv[3] ?? 2000);

const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
const rawKey = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(12));
const message = new Uint8Array(crypto.randomBytes(messageBytes));
const signature = new Uint8Array(crypto.sign(null, message, privateKey));

function time(label, fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

// First use builds the base-point table: report it separately.
const firstStart = process.hrtime.bigint();
const firstResult = guest.ed25519Verify(rawKey, message, signature);
const firstUs = Number(process.hrtime.bigint() - firstStart) / 1000;
if (firstResult !== 1 || !crypto.verify(null, message, publicKey, signature)) throw new Error('signature does not verify');
if (guest.ed25519LoadKey(rawKey) !== 1) throw new Error('key refused');

// Warm up both sides, then measure: guest with a cached key (one binding call per verify),
// guest key parse + verify, and node with a KeyObject.
const warm = Math.max(50, iterations / 10);
time('warm', () => guest.ed25519VerifyLoaded(message, signature, 1), warm);
time('warm', () => crypto.verify(null, message, publicKey, signature), warm);

const guestCached = time('guest', () => guest.ed25519VerifyLoaded(message, signature, 1), iterations);
const guestLoop = time('guest loop', () => guest.ed25519VerifyLoaded(message, signature, 100), iterations / 100) / 100;
const guestParse = time('guest parse+verify', () => guest.ed25519Verify(rawKey, message, signature), iterations / 4);
const nodeUs = time('node', () => crypto.verify(null, message, publicKey, signature), iterations);

const f = (x) => x.toFixed(1).padStart(8);
console.log(`Ed25519 verify, ${messageBytes}-byte message, ${iterations} iterations`);
console.log(`  guest first call (builds base table) ${f(firstUs)} us`);
console.log(`  guest, cached key                    ${f(guestCached)} us/verify`);
console.log(`  guest, cached key, in-guest loop     ${f(guestLoop)} us/verify`);
console.log(`  guest, key parse + verify            ${f(guestParse)} us/verify`);
console.log(`  node:crypto verify (KeyObject)       ${f(nodeUs)} us/verify`);
console.log(`  ratio guest/node (cached key)        ${(guestCached / nodeUs).toFixed(2)}x`);
