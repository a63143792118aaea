// By hand, not a test: guest cost of verifying a token whose payload is the largest object of
// distinct members maxTokenBytes allows (signature garbage), next to an ordinary token. Run:
// node host-tests/bench/claims-members-cost.mjs
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import crypto from 'node:crypto';
import { exportJWK } from 'jose';
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const bindings = await import(pathToFileURL(path.join(root, 'build/testing/jwt.js')).href);
const h = await bindings.instantiate(await WebAssembly.compile(await readFile(path.join(root, 'build/testing/jwt.wasm'))), {});
const pair = crypto.generateKeyPairSync('ed25519');
const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' };
const b64u = (s) => Buffer.from(s).toString('base64url');
for (const max of [8192, 65536]) {
  console.log('configure', h.configure(JSON.stringify({ resource: 'https://mcp.example.com/mcp', maxTokenBytes: max, issuers: [{ issuer: 'https://auth.example.com', jwks: { keys: [jwk] } }] })));
  const header = b64u(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' }));
  const budget = Math.floor((max - header.length - 100) * 3 / 4);
  // many short distinct keys
  const parts = [];
  let len = 2, i = 0;
  while (true) { const k = `"${i.toString(36)}":0`; if (len + k.length + 1 > budget) break; parts.push(k); len += k.length + 1; i++; }
  const payload = b64u('{' + parts.join(',') + '}');
  const token = `${header}.${payload}.${b64u(Buffer.alloc(64))}`;
  const n = 20; h.verify(token, 1800000000);
  const t0 = process.hrtime.bigint();
  let r;
  for (let j = 0; j < n; j++) r = h.verify(token, 1800000000);
  const dt = Number(process.hrtime.bigint() - t0) / 1e6 / n;
  console.log(`max=${max} tokenLen=${token.length} keys=${parts.length} result=${r} ms/verify=${dt.toFixed(1)}`);
  // baseline: normal token with garbage sig
  const p2 = b64u(JSON.stringify({ iss: 'https://auth.example.com', sub: 'x', aud: 'https://mcp.example.com/mcp', exp: 1800000600 }));
  const tok2 = `${header}.${p2}.${b64u(Buffer.alloc(64))}`;
  const t1 = process.hrtime.bigint();
  for (let j = 0; j < 50; j++) r = h.verify(tok2, 1800000000);
  console.log(`baseline ms/verify=${(Number(process.hrtime.bigint() - t1) / 1e6 / 50).toFixed(2)} ${r}`);
}
