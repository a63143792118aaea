// Hand-run speed check for the guest RS256 verification (not a test: the machine is shared).
//
//   node scripts/build-plugin.mjs --harness crypto_rsa
//   node host-tests/bench/rsa-speed.mjs [seconds per round, default 0.5]
//
// Prints microseconds per verification for the guest (digest given, so hashing is excluded; the
// loop runs inside wasm) next to node:crypto's crypto.verify('sha256', msg, keyObject, sig) in the
// same run, and the guest's key import cost (R^2 mod n precomputation). Guest and node alternate
// over several rounds measured in CPU time (not wall time) and the best round of each is reported,
// which filters out most of the noise from other load on a shared machine.
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seconds = Number(process.argv[2] ?? 0.5);
const ROUNDS = 5;

const bindings = await import(pathToFileURL(path.join(root, 'build/testing/crypto_rsa.js')).href);
const guest = await bindings.instantiate(
  await WebAssembly.compile(await readFile(path.join(root, 'build/testing/crypto_rsa.wasm'))),
  {},
);

/** This process's CPU time in microseconds (unlike wall time, not inflated by other processes). */
function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Runs fn(batch) in growing batches for about `seconds` of CPU; returns microseconds per call. */
function measure(fn) {
  fn(8); // warm up (tier-up of the wasm and JS code)
  let batch = 8;
  let ops = 0;
  let elapsed = 0;
  while (elapsed < seconds * 1e6) {
    const start = cpuMicros();
    fn(batch);
    elapsed += cpuMicros() - start;
    ops += batch;
    if (batch < 256) batch *= 2;
  }
  return elapsed / ops;
}

const fromB64u = (text) => new Uint8Array(Buffer.from(text, 'base64url'));
const column = (value, width) => value.toFixed(value < 10 ? 2 : 1).padStart(width);

console.log('bits  guest us/verify  node us/verify  ratio  guest us/key-import');
for (const bits of [2048, 3072, 4096]) {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: bits });
  const jwk = publicKey.export({ format: 'jwk' });
  const n = fromB64u(jwk.n);
  const e = fromB64u(jwk.e);
  const msg = crypto.randomBytes(200);
  const sig = crypto.sign('sha256', msg, privateKey);
  const digest = crypto.createHash('sha256').update(msg).digest();

  if (guest.benchSetup(n, e, digest, sig) !== bits) throw new Error('guest refused the key');
  if (guest.benchVerify(1) !== 1) throw new Error('guest did not verify a valid signature');

  let guestUs = Infinity;
  let nodeUs = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    guestUs = Math.min(guestUs, measure((count) => {
      if (guest.benchVerify(count) !== count) throw new Error('guest verification failed');
    }));
    nodeUs = Math.min(nodeUs, measure((count) => {
      for (let i = 0; i < count; i++) {
        if (!crypto.verify('sha256', msg, publicKey, sig)) throw new Error('node verification failed');
      }
    }));
  }
  const importUs = measure((count) => {
    if (guest.benchKeyImport(n, e, count) !== bits) throw new Error('guest refused the key');
  });
  console.log(`${bits}  ${column(guestUs, 15)}  ${column(nodeUs, 14)}  ${column(guestUs / nodeUs, 5)}  ${column(importUs, 19)}`);
}
