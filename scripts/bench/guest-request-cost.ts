// Hand-run companion of `npm run bench:traefik` (not a test): where the plugin's per-request time
// goes on the cache-hit path, measured in V8 with a minimal, instrumented http-wasm host. Traefik
// runs the guest in wazero's compiler, which is slower than V8's, so absolute times here are a
// lower bound; the call counts and the guest/host split are what carry over.
//
//   npx tsx scripts/bench/guest-request-cost.ts [--requests 200000] [--wasm traefik-plugin/plugin.wasm]
//       [--distinct TOKEN_FILE]   a different token per request from a file of tokens (one per line,
//                                 e.g. .cache/bench-traefik/tokens-*.txt from bench:traefik): the
//                                 verification path; prints the guest's memory as it goes
// For a profile with function names, build a copy with a name section and profile that:
//   npx asc assembly/index.ts --config asconfig.json --target plugin --debug --outFile /tmp/p/plugin.wasm
//   node --import tsx --cpu-prof scripts/bench/guest-request-cost.ts --wasm /tmp/p/plugin.wasm
//
// The request looks like what the guest sees behind Traefik's entrypoint for a wrk request:
// Authorization, Host, and the X-Forwarded-* / X-Real-Ip headers Traefik adds before middlewares.
// The host implements only what this request path calls (inline keys, so no file access).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { keysJwks, loadOrCreateKeys, oneToken, ISSUER, REQUIRED_SCOPE, RESOURCE } from './lib/tokens.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const argv = process.argv.slice(2);
const REQUESTS = argv.includes('--requests') ? Number(argv[argv.indexOf('--requests') + 1]) : 200_000;
const WASM = argv.includes('--wasm') ? path.resolve(argv[argv.indexOf('--wasm') + 1]!) : path.join(root, 'traefik-plugin', 'plugin.wasm');
const DISTINCT = argv.includes('--distinct') ? argv[argv.indexOf('--distinct') + 1]! : null;
if (!Number.isInteger(REQUESTS) || REQUESTS < 1 || REQUESTS > 10_000_000) throw new Error('--requests must be an integer in 1..10000000');

const keys = await loadOrCreateKeys(path.join(root, '.cache', 'bench-traefik'));
const token = await oneToken(keys.RS256);
const config = Buffer.from(JSON.stringify({
  allowedEmails: ['@example.com'],
  issuers: [{ algorithms: ['RS256', 'EdDSA'], issuer: ISSUER, jwks: keysJwks(keys) }],
  requiredScopes: [REQUIRED_SCOPE],
  resource: RESOURCE,
}));

const requestHeaders = new Map<string, string[]>([
  ['authorization', [`Bearer ${token}`]],
  ['host', ['127.0.0.1:8080']],
  ['x-forwarded-for', ['127.0.0.1']],
  ['x-forwarded-host', ['127.0.0.1:8080']],
  ['x-forwarded-port', ['8080']],
  ['x-forwarded-proto', ['http']],
  ['x-forwarded-server', ['bench']],
  ['x-real-ip', ['127.0.0.1']],
]);

const calls = new Map<string, { count: number; ns: bigint }>();
let memory: WebAssembly.Memory;
const enc = new TextEncoder();
const dec = new TextDecoder();
const mem = () => new Uint8Array(memory.buffer);
const readStr = (ptr: number, len: number) => dec.decode(mem().subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0)));
function writeBytes(ptr: number, limit: number, bytes: Uint8Array): number {
  if (bytes.length <= limit >>> 0 && bytes.length > 0) mem().set(bytes, ptr >>> 0);
  return bytes.length;
}
function writeList(ptr: number, limit: number, list: string[]): bigint {
  const parts = list.map((v) => enc.encode(`${v}\0`));
  const size = parts.reduce((n, p) => n + p.length, 0);
  if (list.length > 0 && size <= limit >>> 0) {
    let at = ptr >>> 0;
    for (const p of parts) {
      mem().set(p, at);
      at += p.length;
    }
  }
  return (BigInt(list.length) << 32n) | BigInt(size);
}

/** Wraps a host function so its calls are counted and timed. */
function counted<T extends (...args: any[]) => unknown>(name: string, fn: T): T {
  return ((...args: unknown[]) => {
    const t0 = process.hrtime.bigint();
    const result = fn(...args);
    const entry = calls.get(name) ?? { count: 0, ns: 0n };
    entry.count++;
    entry.ns += process.hrtime.bigint() - t0;
    calls.set(name, entry);
    return result;
  }) as T;
}

let status = 200;
const httpHandler: Record<string, (...args: any[]) => unknown> = {
  log: () => undefined,
  get_config: (buf: number, limit: number) => writeBytes(buf, limit, config),
  get_method: (buf: number, limit: number) => writeBytes(buf, limit, enc.encode('GET')),
  get_uri: (buf: number, limit: number) => writeBytes(buf, limit, enc.encode('/mcp')),
  get_protocol_version: (buf: number, limit: number) => writeBytes(buf, limit, enc.encode('HTTP/1.1')),
  get_source_addr: (buf: number, limit: number) => writeBytes(buf, limit, enc.encode('127.0.0.1:40000')),
  get_header_names: (kind: number, buf: number, limit: number) => writeList(buf, limit, kind === 0 ? [...requestHeaders.keys()].sort() : []),
  get_header_values: (kind: number, name: number, nameLen: number, buf: number, limit: number) =>
    writeList(buf, limit, kind === 0 ? (requestHeaders.get(readStr(name, nameLen).toLowerCase()) ?? []) : []),
  set_header_value: () => undefined,
  remove_header: () => undefined,
  set_uri: () => undefined,
  set_status_code: (code: number) => {
    status = code;
  },
  write_body: () => undefined,
};
const ERRNO_BADF = 8;
const wasi: Record<string, (...args: any[]) => unknown> = {
  clock_time_get: (_id: number, _precision: bigint, out: number) => {
    new DataView(memory.buffer).setBigUint64(out >>> 0, BigInt(Date.now()) * 1_000_000n, true);
    return 0;
  },
  fd_prestat_get: () => ERRNO_BADF,
  fd_prestat_dir_name: () => ERRNO_BADF,
  path_open: () => ERRNO_BADF,
  fd_read: () => ERRNO_BADF,
  fd_filestat_get: () => ERRNO_BADF,
  fd_close: () => ERRNO_BADF,
};
const wrap = (table: Record<string, (...args: any[]) => unknown>) => Object.fromEntries(Object.entries(table).map(([n, f]) => [n, counted(n, f)]));

const module = new WebAssembly.Module(readFileSync(WASM));
const instance = new WebAssembly.Instance(module, { http_handler: wrap(httpHandler), wasi_snapshot_preview1: wrap(wasi) });
memory = instance.exports.memory as WebAssembly.Memory;
for (const start of ['_start', '_initialize']) (instance.exports[start] as (() => void) | undefined)?.();
const handleRequest = instance.exports.handle_request as () => bigint;
const handleResponse = instance.exports.handle_response as (ctx: number, isError: number) => void;

const distinctTokens = DISTINCT ? readFileSync(DISTINCT, 'utf8').split('\n', REQUESTS + 1).filter((t) => t.length > 0) : [];
let served = 0;

function serve(n: number): void {
  for (let i = 0; i < n; i++) {
    if (distinctTokens.length) {
      requestHeaders.set('authorization', [`Bearer ${distinctTokens[served % distinctTokens.length]}`]);
      if (served % 1000 === 0) console.log(`request ${served}: guest memory ${(memory.buffer.byteLength / 1024).toFixed(0)} KiB`);
    }
    served++;
    const ctxNext = handleRequest();
    if ((ctxNext & 1n) !== 1n) throw new Error(`request ${i} not passed upstream (status ${status})`);
    handleResponse(Number(ctxNext >> 32n), 0);
  }
}

if (!distinctTokens.length) serve(Math.min(20_000, REQUESTS)); // warm-up: the first request verifies, the rest hit the cache
calls.clear();
const t0 = process.hrtime.bigint();
serve(REQUESTS);
const totalNs = Number(process.hrtime.bigint() - t0);
let hostNs = 0;
const rows = [...calls.entries()].sort((a, b) => b[1].count - a[1].count);
for (const [, v] of rows) hostNs += Number(v.ns);
console.log(`plugin.wasm ${readFileSync(WASM).length} bytes; ${REQUESTS} ${distinctTokens.length ? 'distinct-token' : 'cache-hit'} requests in V8`);
console.log(`per request: ${(totalNs / REQUESTS / 1000).toFixed(2)} µs total, of which ${(hostNs / REQUESTS / 1000).toFixed(2)} µs in (JS) host calls incl. timing overhead`);
console.log(`host calls per request: ${(rows.reduce((n, [, v]) => n + v.count, 0) / REQUESTS).toFixed(1)}`);
for (const [name, v] of rows) console.log(`  ${name.padEnd(22)} ${(v.count / REQUESTS).toFixed(2)} calls/request`);
console.log(`guest memory after the run: ${(memory.buffer.byteLength / 1024).toFixed(0)} KiB`);
