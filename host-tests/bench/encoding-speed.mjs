// Hand-run speed check for the encoding decoders (not part of the test suite: no timing in tests).
//   node scripts/build-plugin.mjs --harness encoding && node host-tests/bench/encoding-speed.mjs
// Loops run inside wasm (benchJson / benchB64 in assembly/testing/encoding.ts), so the figures
// exclude the JS<->wasm argument copying.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bindings = await import(pathToFileURL(path.join(root, 'build/testing/encoding.js')).href);
const h = await bindings.instantiate(await WebAssembly.compile(await readFile(path.join(root, 'build/testing/encoding.wasm'))), {});
const enc = new TextEncoder();

const payload = JSON.stringify({
  iss: 'https://auth.example.com', sub: 'user-1234567890', aud: ['https://mcp.example.com/mcp'],
  exp: 1767225600, iat: 1767222000, nbf: 1767222000, jti: '8f14e45fceea167a5a36dedd4bea2543',
  scope: 'mcp:tools mcp:resources offline_access', client_id: 'c-4f1e2a', email: 'alice@example.com',
  email_verified: true, typ: 'at+jwt',
});
const header = JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'key-2025-01' });

function hostile(kind) {
  const cap = 8192;
  let s;
  switch (kind) {
    case 'numbers17': s = '[' + Array.from({ length: 400 }, (_, i) => `0.${String(12345678901234567n + BigInt(i) * 7919n)}`).join(',') + ']'; break;
    case 'numbersHuge': s = '[' + Array.from({ length: 20 }, () => '4.' + '9'.repeat(380) + 'e-320').join(',') + ']'; break;
    case 'keys': s = '{' + Array.from({ length: 900 }, (_, i) => `"k${i}":0`).join(',') + '}'; break;
    case 'deep': s = '['.repeat(16) + ']'.repeat(16); break;
    case 'escapes': s = '"' + '\\u00e9\\ud83d\\ude00'.repeat(8000 / 18) + '"'; break;
    case 'tinyValues': s = '[' + Array(4000).fill('0').join(',') + ']'; break;
    default: throw new Error(kind);
  }
  if (s.length > cap) s = s.slice(0, cap);
  return s;
}

// CPU time (user + system) of this process, best of 3: the machine is shared, wall time is noisy.
function time(label, bytes, run, iterations) {
  run(Math.max(1, iterations / 10)); // warm-up (tier-up)
  let ns = Infinity;
  let ok = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = process.cpuUsage();
    ok = run(iterations);
    const d = process.cpuUsage(t0);
    ns = Math.min(ns, (d.user + d.system) * 1000);
  }
  const per = ns / iterations;
  const mbps = (bytes * iterations) / (ns / 1e9) / 1e6;
  console.log(`${label.padEnd(34)} ${String(bytes).padStart(5)} B  ${(per / 1000).toFixed(2).padStart(9)} us/op  ${mbps.toFixed(1).padStart(7)} MB/s  ok=${ok}`);
}

const json = (label, text, n) => {
  const data = enc.encode(text);
  time(label, data.length, (k) => h.benchJson(data, k), n);
};

json('JWT header', header, 200000);
json('JWT payload (typical, 13 claims)', payload, 100000);
for (const kind of ['numbers17', 'numbersHuge', 'keys', 'deep', 'escapes', 'tinyValues']) json(`hostile 8 KiB: ${kind}`, hostile(kind), 300);

const b64 = Buffer.from(payload).toString('base64url');
time('base64url decode (payload)', b64.length, (k) => h.benchB64(enc.encode(b64), k), 200000);
const big = Buffer.alloc(6000, 7).toString('base64url');
time('base64url decode (8 KiB)', big.length, (k) => h.benchB64(enc.encode(big), k), 20000);
