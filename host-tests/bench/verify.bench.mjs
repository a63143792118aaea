// npm run bench:verify — a benchmark, not a test: prints figures measured side by side in one run.
//  1. Full token verification in the guest (compact JWS parse, strict JSON, signature, claims) for
//     RS256-2048, ES256 and EdDSA, against node:crypto's bare signature check of the same token.
//  2. The cost of a verified-token cache hit: decide() on a cached token, looped inside the guest.
//  3. Guest linear memory after 100,000 requests with distinct valid tokens through the built
//     plugin in the Traefik-faithful JS host.
// With --write, the results replace the bench:verify section of docs/benchmarks.md.
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SignJWT, exportJWK } from 'jose';
import { writeBenchmarkSection } from '../../scripts/bench/lib/benchmarks-doc.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NOW = 1_800_000_000;
const ISSUER = 'https://auth.example.com';
const RESOURCE = 'https://mcp.example.com/mcp';
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 100_000);

async function loadHarness(name) {
  const bindings = await import(pathToFileURL(path.join(root, 'build/testing', `${name}.js`)).href);
  const module = await WebAssembly.compile(await readFile(path.join(root, 'build/testing', `${name}.wasm`)));
  return bindings.instantiate(module, {});
}

function keyPair(alg) {
  if (alg === 'RS256') return crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  if (alg === 'ES256') return crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return crypto.generateKeyPairSync('ed25519');
}

const claims = (extra = {}) => ({ iss: ISSUER, sub: 'user-1', aud: RESOURCE, exp: NOW + 600, iat: NOW, scope: 'mcp:tools', client_id: 'c1', email: 'alice@example.com', email_verified: true, ...extra });

/** Median of several timed rounds, in microseconds per operation. */
function time(fn, perRound, rounds = 7) {
  fn(Math.max(1, perRound >> 3)); // warm-up
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    fn(perRound);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / perRound);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

const rows = [];
const h = await loadHarness('jwt');
const keys = {};
for (const alg of ['RS256', 'ES256', 'EdDSA']) {
  const { publicKey, privateKey } = keyPair(alg);
  keys[alg] = { publicKey, privateKey, jwk: { ...(await exportJWK(publicKey)), kid: alg, alg, use: 'sig' } };
}
const configError = h.configure(JSON.stringify({ resource: RESOURCE, issuers: [{ issuer: ISSUER, jwks: { keys: Object.values(keys).map((k) => k.jwk) } }] }));
if (configError) throw new Error(configError);

for (const alg of ['RS256', 'ES256', 'EdDSA']) {
  const k = keys[alg];
  const token = await new SignJWT(claims()).setProtectedHeader({ alg, typ: 'at+jwt', kid: alg }).sign(k.privateKey);
  const [hd, pl, sg] = token.split('.');
  const input = Buffer.from(`${hd}.${pl}`);
  const sig = Buffer.from(sg, 'base64url');
  const nodeKey = alg === 'ES256' ? { key: k.publicKey, dsaEncoding: 'ieee-p1363' } : k.publicKey;
  const nodeAlg = alg === 'EdDSA' ? null : 'sha256';
  if (h.verifyRepeat(token, NOW, 1) !== 1) throw new Error(`guest refused a valid ${alg} token`);
  if (h.verifySignatureRepeat(token, 1) !== 1) throw new Error(`guest signature check refused a valid ${alg} token`);
  const perRound = alg === 'RS256' ? 400 : 150;
  // Alternate guest and node rounds so load from elsewhere on the machine hits both alike.
  const node = time((n) => { for (let i = 0; i < n; i++) if (!crypto.verify(nodeAlg, input, nodeKey, sig)) throw new Error('node refused'); }, perRound);
  const guest = time((n) => h.verifySignatureRepeat(token, n), perRound);
  const full = time((n) => h.verifyRepeat(token, NOW, n), perRound);
  rows.push({ what: `${alg === 'RS256' ? 'RS256-2048' : alg} verify`, guest, node, full, ratio: guest / node, fullRatio: full / node, target: alg === 'RS256' ? 4 : 8 });
}

const cachedToken = await new SignJWT(claims()).setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA' }).sign(keys.EdDSA.privateKey);
const hit = time((n) => { if (h.decideRepeat(`Bearer ${cachedToken}`, NOW, n) !== n) throw new Error('not allowed'); }, 20_000);

// Memory: the real plugin, one instance, REQUESTS distinct valid tokens.
const { HttpWasmHost } = await import(pathToFileURL(path.join(root, 'host-tests/host/httpWasmHost.ts')).href).catch(() => ({}));
let memory = null;
if (HttpWasmHost) {
  const host = await HttpWasmHost.create(path.join(root, 'build/plugin.wasm'), {
    config: { resource: RESOURCE, issuers: [{ issuer: ISSUER, jwks: { keys: [keys.EdDSA.jwk] } }] },
    now: () => NOW * 1000,
  });
  const samples = [];
  for (let i = 0; i < REQUESTS; i++) {
    const payload = Buffer.from(JSON.stringify(claims({ jti: `t-${i}` }))).toString('base64url');
    const input = `${Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'EdDSA' })).toString('base64url')}.${payload}`;
    const token = `${input}.${crypto.sign(null, Buffer.from(input), keys.EdDSA.privateKey).toString('base64url')}`;
    const res = await host.handle({ method: 'POST', uri: '/mcp', headers: [['Authorization', `Bearer ${token}`]] });
    if (res.trapped || res.status !== 200) throw new Error(`request ${i}: ${res.status} ${res.error ?? res.text()}`);
    if ((i + 1) % (REQUESTS / 10) === 0) samples.push(host.memoryBytes());
  }
  memory = { samples, final: samples[samples.length - 1], half: samples[Math.floor(samples.length / 2) - 1] };
}

const fmt = (n) => n.toFixed(n < 10 ? 2 : 1);
const lines = [];
lines.push(`Measured ${new Date().toISOString().slice(0, 10)} on this machine (${process.version}, ${crypto.getHashes ? 'OpenSSL ' + process.versions.openssl : ''}), guest run by V8's wasm engine in Node.`);
lines.push('');
lines.push('| measurement | guest (µs) | node:crypto (µs) | guest / node | target | whole token check in the guest (µs) | whole check / node |');
lines.push('|---|---:|---:|---:|---|---:|---:|');
for (const r of rows) lines.push(`| ${r.what} | ${fmt(r.guest)} | ${fmt(r.node)} | ${r.ratio.toFixed(2)}x | <= ${r.target}x ${r.ratio <= r.target ? 'met' : 'MISSED'} | ${fmt(r.full)} | ${r.fullRatio.toFixed(2)}x |`);
lines.push(`| verified-token cache hit (decide() in the guest) | ${fmt(hit)} | | | <= 5 µs ${hit <= 5 ? 'met' : 'MISSED'} | | |`);
lines.push('');
lines.push('"verify" is the signature check alone on both sides (hashing included), the work crypto.verify does; the whole token check adds strict base64url/JSON parsing, key lookup and every claim check.');
if (memory) {
  lines.push('');
  lines.push(`Guest linear memory over ${REQUESTS.toLocaleString('en')} requests with distinct valid EdDSA tokens (one instance, samples every ${(REQUESTS / 10).toLocaleString('en')}): ${memory.samples.map((b) => `${b / 1024} KiB`).join(', ')}.`);
  const flat = memory.final === memory.half;
  lines.push(`Final ${(memory.final / 1048576).toFixed(2)} MiB (target <= 2 MiB ${memory.final <= 2 * 1048576 ? 'met' : 'MISSED'}); ${flat ? 'flat over the second half (target met)' : 'NOT flat over the second half'}.`);
}
const report = lines.join('\n');
console.log(report);

if (process.argv.includes('--write')) {
  await writeBenchmarkSection('verify', report);
  console.log('docs/benchmarks.md updated');
}
