// Hand-run speed check for the guest's ECDSA P-256 verification (ES256) against node:crypto.
// Not a test (timings never go in tests): run it after building the harness and read the
// figures.
//
//   node scripts/build-plugin.mjs --harness crypto_p256
//   node host-tests/bench/p256-speed.mjs [iterations]
//
// Guest time is p256VerifyDigest with the digest given (the key imported once, as the plugin
// does); node time is crypto.verify of the same signature, which also hashes the message.
// Both sides run synchronously on this thread, so besides wall-clock time the script reports
// this process's CPU time per verify, which a busy shared machine inflates much less.
// Also reported: the guest's one-time costs, the first key import (which also builds the
// tables for G) and later imports (the tables for Q only).
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const iterations = Number(process.argv[2] ?? 2000);

async function loadGuest() {
  const dir = path.join(root, 'build/testing');
  const bindings = await import(pathToFileURL(path.join(dir, 'crypto_p256.js')).href);
  const module = await WebAssembly.compile(await readFile(path.join(dir, 'crypto_p256.wasm')));
  return bindings.instantiate(module, {});
}

function usPer(start, count) {
  return Number(process.hrtime.bigint() - start) / 1000 / count;
}

/** Runs fn and returns { wall, cpu } in microseconds per iteration (cpu includes V8's
 *  background threads, e.g. optimizing compilation right after start-up). */
function timed(fn, count) {
  const cpuStart = process.cpuUsage();
  const start = process.hrtime.bigint();
  fn();
  const wall = usPer(start, count);
  const cpu = process.cpuUsage(cpuStart);
  return { wall, cpu: (cpu.user + cpu.system) / count };
}

const guest = await loadGuest();
const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = publicKey.export({ format: 'jwk' });
const x = Buffer.from(jwk.x, 'base64url');
const y = Buffer.from(jwk.y, 'base64url');
const message = Buffer.from('eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJiZW5jaCIsImF1ZCI6Im1jcCJ9');
const digest = crypto.createHash('sha256').update(message).digest();
const signature = crypto.sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });

const firstImport = timed(() => {
  if (guest.p256LoadKey(x, y) !== 1) throw new Error('guest refused the key');
}, 1);
const firstVerify = timed(() => {
  if (guest.p256VerifyLoaded(digest, signature) !== 1) throw new Error('guest rejected a valid signature');
}, 1);
const warmImport = timed(() => {
  for (let i = 0; i < 20; i++) guest.p256LoadKey(x, y);
}, 20);

// Warm both sides up, then time them alternately in a few rounds and keep each side's best.
guest.p256VerifyLoadedRepeat(digest, signature, 200);
for (let i = 0; i < 200; i++) crypto.verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature);

const guestBest = { wall: Infinity, cpu: Infinity };
const nodeBest = { wall: Infinity, cpu: Infinity };
const keep = (best, t) => {
  best.wall = Math.min(best.wall, t.wall);
  best.cpu = Math.min(best.cpu, t.cpu);
};
for (let round = 0; round < 5; round++) {
  keep(guestBest, timed(() => {
    const ok = guest.p256VerifyLoadedRepeat(digest, signature, iterations);
    if (ok !== iterations) throw new Error(`guest verified ${ok} of ${iterations}`);
  }, iterations));
  keep(nodeBest, timed(() => {
    for (let i = 0; i < iterations; i++) {
      if (!crypto.verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)) {
        throw new Error('node rejected its own signature');
      }
    }
  }, iterations));
}

// One call per verify through the JS bindings (what a test harness pays per call).
const perCall = timed(() => {
  for (let i = 0; i < iterations; i++) guest.p256VerifyLoaded(digest, signature);
}, iterations);

const f = (v) => v.toFixed(1).padStart(8);
console.log(`ES256 verify, ${iterations} iterations x 5 rounds (best round), node ${process.version}`);
console.log(`                                            wall us    CPU us  (per verify)`);
console.log(`  guest p256VerifyDigest (digest given)  ${f(guestBest.wall)}  ${f(guestBest.cpu)}`);
console.log(`  guest, one JS->wasm call per verify    ${f(perCall.wall)}  ${f(perCall.cpu)}`);
console.log(`  node crypto.verify (incl. SHA-256)     ${f(nodeBest.wall)}  ${f(nodeBest.cpu)}`);
console.log(`  ratio guest / node                     ${f(guestBest.wall / nodeBest.wall)}  ${f(guestBest.cpu / nodeBest.cpu)}`);
console.log(`  guest first key import (+ G tables)    ${f(firstImport.wall)}  ${f(firstImport.cpu)}`);
console.log(`  guest key import, warm                 ${f(warmImport.wall)}  ${f(warmImport.cpu)}`);
console.log(`  guest first verify (cold code)         ${f(firstVerify.wall)}  ${f(firstVerify.cpu)}`);
