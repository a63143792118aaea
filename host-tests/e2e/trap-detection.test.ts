// The trap checks every end-to-end file ends with (guestFailures: Traefik's log and the answers
// received) are not vacuous: with guests that trap on purpose, real Traefik shows the trap the way
// those checks look for it. A trap in handle_request comes back as a 500 whose body is wazero's
// trap text; a trap in handle_response panics into Traefik's recovery middleware, which logs it.
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { sendRaw, trapAnswers } from './lib/client.js';
import { guestFailures, hostRouter, PLUGIN_DIR, service, traefikBinary } from './lib/mcpauth.js';
import { trappingGuest } from './lib/trap-guest.js';
import { startEchoServer, startTraefik, type EchoServer, type RunningTraefik } from './lib/traefik.js';

let workDir: string;
let echo: EchoServer;
let traefik: RunningTraefik;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-e2e-traps-'));
  echo = await startEchoServer();
  const plugins = [];
  for (const where of ['handle_request', 'handle_response'] as const) {
    const srcDir = path.join(workDir, `src-${where}`);
    await mkdir(srcDir);
    await writeFile(path.join(srcDir, 'plugin.wasm'), trappingGuest(where));
    await copyFile(path.join(PLUGIN_DIR, '.traefik.yml'), path.join(srcDir, '.traefik.yml'));
    plugins.push({ name: where.replace('_', ''), moduleName: `example.com/trap/${where}`, srcDir });
  }
  traefik = await startTraefik({
    binary: traefikBinary(),
    workDir,
    localPlugins: plugins,
    dynamicConfig: {
      http: {
        routers: { request: hostRouter('request.test', ['request']), response: hostRouter('response.test', ['response']) },
        middlewares: { request: { plugin: { handlerequest: {} } }, response: { plugin: { handleresponse: {} } } },
        services: { echo: service(echo.url) },
      },
    },
  });
});

afterAll(async () => {
  await traefik?.stop();
  await echo?.stop();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

test('a trap in handle_request: 500 with the trap text, caught by the answer check', async () => {
  const before = trapAnswers.length;
  const res = await sendRaw(traefik.port, { path: '/mcp', host: 'request.test' });
  expect(res.status).toBe(500);
  expect(res.body).toMatch(/wasm error: unreachable/);
  expect(res.body).toMatch(/wasm stack trace/);
  expect(trapAnswers.length).toBe(before + 1);
  expect(guestFailures(traefik.logs()).answers).not.toEqual([]);
  // Traefik does not log this trap at all: a log check alone would miss it.
  expect(guestFailures(traefik.logs()).logLines).toEqual([]);
});

test('a trap in handle_response: Traefik\'s recovery middleware logs it, caught by the log check', async () => {
  const res = await sendRaw(traefik.port, { path: '/mcp', host: 'response.test' }).catch((error: Error) => error);
  expect(echo.requests.some((r) => r.headers.host === 'response.test')).toBe(true);
  // The upstream's status line had already gone out (no response buffering), so the recovery
  // middleware can only abort the connection, as the JS host models it.
  expect(res instanceof Error ? res.message : `answered ${res.status}`).toMatch(/socket hang up|ECONNRESET/);
  const logged = guestFailures(traefik.logs()).logLines.join('\n');
  expect(logged).toMatch(/Recovered from panic in HTTP handler .*wasm error: unreachable/);
  expect(logged).toMatch(/goroutine \d+ \[running\]/);
});
