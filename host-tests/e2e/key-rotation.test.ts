// End to end: keys and configuration change while Traefik runs. The JWKS file in the mounted
// directory is rewritten the way the sidecar writes it (temp file + rename): a new kid is accepted
// within jwksRefreshSeconds, tokens of a removed key stop working once the refresh has run, a
// corrupt, foreign or missing file keeps the last good keys, and an emptied key set revokes. A
// rewrite of the dynamic configuration gives the middleware new options without a gap, and an
// invalid one fails closed. The tests run in order and share one Traefik.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeKey, sign, type TestKey } from '../lib/tokens.js';
import { sendRaw, type RawResponse } from './lib/client.js';
import {
  PRM, eventually, fileKeyOptions, guestFailures, hostRouter, liveClaims, pluginMiddleware, service, startE2e, writeJwksFile,
  type E2eEnvironment,
} from './lib/mcpauth.js';
import { findLogLines } from './lib/traefik.js';

const HOST = 'rotation.test';
const REFRESH_SECONDS = 2;
/** How long a change may take to show: the refresh interval plus room for a loaded 2-core machine. */
const CHANGE_DEADLINE_MS = REFRESH_SECONDS * 1000 + 4_000;
/** Requests sent at once, so several pooled guest instances answer. */
const PARALLEL = 6;

const options = (overrides: Record<string, unknown> = {}) => fileKeyOptions({ requiredScopes: ['mcp:tools'], ...overrides }, { jwksRefreshSeconds: REFRESH_SECONDS });
const dynamicConfig = (echoUrl: string, pluginOptions: Record<string, unknown>) => ({
  http: {
    routers: { rotation: hostRouter(HOST, ['mcpauth']) },
    middlewares: { mcpauth: pluginMiddleware(pluginOptions) },
    services: { echo: service(echoUrl) },
  },
});

let env: E2eEnvironment;
let a: TestKey;
let b: TestKey;
let c: TestKey;
const tokens: Record<string, string> = {};
const measured: string[] = [];

beforeAll(async () => {
  [a, b, c] = await Promise.all([makeKey('ES256'), makeKey('RS256'), makeKey('EdDSA')]);
  env = await startE2e({ name: 'rotation', keys: [a, b], dynamicConfig: (echoUrl) => dynamicConfig(echoUrl, options()) });
  for (const [name, key] of Object.entries({ a, b, c })) tokens[name] = await sign(key, liveClaims({ exp: Math.floor(Date.now() / 1000) + 3600 }));
});

afterAll(async () => {
  if (measured.length) console.log(`key rotation through Traefik (jwksRefreshSeconds=${REFRESH_SECONDS}): ${measured.join('; ')}`);
  await env?.stop();
});

function get(token?: string): Promise<RawResponse> {
  return sendRaw(env.traefik.port, { path: '/mcp', host: HOST, headers: token ? [['Authorization', `Bearer ${token}`]] : [] });
}

async function statuses(token: string, count = PARALLEL): Promise<number[]> {
  return (await Promise.all(Array.from({ length: count }, () => get(token)))).map((r) => r.status);
}

/** Polls until `token` gets `status`; returns how long that took after `since`. */
async function becomes(what: string, token: string, status: number, since: number): Promise<number> {
  await eventually(what, CHANGE_DEADLINE_MS, async () => (await get(token)).status, (s) => s === status);
  const took = Date.now() - since;
  measured.push(`${what}: ${took} ms`);
  return took;
}

const sleepUntil = (time: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, time - Date.now())));
/** Guest instances Traefik has started so far (each logs "ready" once). */
const instances = () => findLogLines(env.traefik.logs(), /mcpauth: ready for/).length;

const logCount = (pattern: RegExp) => findLogLines(env.traefik.logs(), pattern).length;

describe('a rewritten JWKS file', () => {
  test('keys from the mounted file verify tokens', async () => {
    expect(await statuses(tokens.a)).toEqual(Array(PARALLEL).fill(200));
    expect(await statuses(tokens.b)).toEqual(Array(PARALLEL).fill(200));
    expect((await get(tokens.c)).status).toBe(401);
    expect(env.traefik.logs()).toContain('loaded 2 key(s) from /keys/jwks.json');
  });

  test('a new kid works within jwksRefreshSeconds, on every instance', async () => {
    // Token c was just refused, which started the unknown-kid reload rate limit (5 s): the new key
    // must come in through the periodic refresh, within jwksRefreshSeconds.
    const written = Date.now();
    await writeJwksFile(env.keysDir, [a, b, c]);
    await becomes('new kid accepted', tokens.c, 200, written);
    // One instance has it; each other instance re-reads the file on its first request once
    // jwksRefreshSeconds have passed since its last read, which was before the write (plus up to
    // a second for whole-second clock readings).
    await sleepUntil(written + REFRESH_SECONDS * 1000 + 1_100);
    expect(await statuses(tokens.c)).toEqual(Array(PARALLEL).fill(200));
    expect(await statuses(tokens.a)).toEqual(Array(PARALLEL).fill(200));
  });

  test('tokens of a removed key stop working once the refresh has run, even those already cached', async () => {
    expect((await get(tokens.a)).status).toBe(200); // verified and cached right now
    const written = Date.now();
    await writeJwksFile(env.keysDir, [b, c]);
    await becomes('removed key refused', tokens.a, 401, written);
    // Every instance re-reads the file on its first request after the interval.
    await sleepUntil(written + REFRESH_SECONDS * 1000 + 1_100);
    expect(await statuses(tokens.a)).toEqual(Array(PARALLEL).fill(401));
    const refused = await get(tokens.a);
    expect(refused.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="unknown key id", resource_metadata="${PRM}", scope="mcp:tools"`);
    expect(await statuses(tokens.b)).toEqual(Array(PARALLEL).fill(200));
  });

  test.each([
    ['cut-off JSON', '{"keys": [ {"kty": "RSA", "n": ', /keeping the last good keys.*not valid JSON|not valid JSON.*keeping the last good keys/],
    ['a JSON array', '["not", "a", "key set"]', /JWKS must be a JSON object/],
    ['a missing file', null, /ENOENT|no such file|not found/i],
  ] as Array<[string, string | null, RegExp]>)('%s keeps the last good keys', async (_name, content, logged) => {
    const before = logCount(logged);
    if (content === null) await rm(path.join(env.keysDir, 'jwks.json'));
    else await writeJwksFile(env.keysDir, content);
    // Sequential requests (reusing the instances that hold keys) until the problem was read and logged.
    const startedInstances = instances();
    const expectStatus = async (token: string, status: number) => {
      const res = await get(token);
      expect(res.status, `${res.body} (guest instances started: ${startedInstances} before the bad file, ${instances()} now)`).toBe(status);
    };
    await eventually('the problem logged', CHANGE_DEADLINE_MS, async () => {
      await expectStatus(tokens.b, 200);
      return logCount(logged);
    }, (n) => n > before);
    // Several refresh intervals later the last good keys still verify. Only key b is checked: it is
    // in every version of the file. Which other keys an instance holds depends on when it last read
    // a good file (an instance idle since before a key was removed keeps that key: see the report).
    for (let i = 0; i < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, REFRESH_SECONDS * 1000 + 100));
      await expectStatus(tokens.b, 200);
    }
    expect(env.traefik.logs()).toMatch(/keeping the last good keys/);
  });

  test('a valid file after the bad ones is read again; a key set emptied on purpose revokes every file key', async () => {
    let written = Date.now();
    await writeJwksFile(env.keysDir, [b]);
    await becomes('valid file read again (c dropped)', tokens.c, 401, written);
    expect((await get(tokens.b)).status).toBe(200);

    written = Date.now();
    await writeJwksFile(env.keysDir, '{"keys": []}');
    await becomes('emptied key set revokes', tokens.b, 401, written);
    expect(env.traefik.logs()).toContain('no key of this file is trusted now');

    await writeJwksFile(env.keysDir, [b, c]);
    await becomes('keys back', tokens.b, 200, Date.now());
    // Instances that did not answer yet still hold the empty set until their next refresh.
    await new Promise((resolve) => setTimeout(resolve, REFRESH_SECONDS * 1000));
    expect(await statuses(tokens.b)).toEqual(Array(PARALLEL).fill(200));
  });
});

describe('a rewritten dynamic configuration', () => {
  test('new options apply without a gap: required scope changed from mcp:tools to mcp:admin', async () => {
    const admin = await sign(b, liveClaims({ scope: 'mcp:admin', exp: Math.floor(Date.now() / 1000) + 3600 }));
    expect((await get(admin)).status).toBe(403);

    // Requests run throughout the reload; each gets the old or the new answer, never anything else.
    let reloading = true;
    const during: number[] = [];
    const traffic = (async () => {
      while (reloading) during.push((await get(tokens.b)).status);
    })();
    await env.traefik.writeDynamicConfig(dynamicConfig(env.echo.url, options({ requiredScopes: ['mcp:admin'] })));
    await becomes('new requiredScopes applied', admin, 200, Date.now());
    reloading = false;
    await traffic;
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((s) => s !== 200 && s !== 403)).toEqual([]);

    const old = await get(tokens.b);
    expect(old.status).toBe(403);
    expect(old.headers['www-authenticate']).toBe(`Bearer error="insufficient_scope", scope="mcp:admin", resource_metadata="${PRM}", error_description="missing required scope"`);
    const none = await get();
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe(`Bearer resource_metadata="${PRM}", scope="mcp:admin"`);
  });

  test('an invalid configuration fails closed (500, never a pass), and a valid one restores service', async () => {
    const admin = await sign(b, liveClaims({ scope: 'mcp:admin' }));
    await env.traefik.writeDynamicConfig(dynamicConfig(env.echo.url, { ...options({ requiredScopes: ['mcp:admin'] }), requiredScope: 'typo' }));
    await eventually('invalid configuration refused', CHANGE_DEADLINE_MS, async () => (await get(admin)).status, (s) => s === 500);
    const refused = await get(admin);
    expect(refused.json()).toEqual({ error: 'server_error', error_description: 'authentication middleware is misconfigured; see the Traefik log' });
    expect(env.traefik.logs()).toContain('option "requiredScope": unknown option');
    // Until the new handlers are swapped in, the old (valid) configuration answers; once the 500s
    // started, nothing reaches the upstream on any instance.
    const afterRefusal = env.echo.requests.length;
    expect(await statuses(admin)).toEqual(Array(PARALLEL).fill(500));
    expect(await statuses(tokens.b)).toEqual(Array(PARALLEL).fill(500));
    expect((await get()).status).toBe(500);
    expect(env.echo.requests.length).toBe(afterRefusal);

    await env.traefik.writeDynamicConfig(dynamicConfig(env.echo.url, options()));
    await becomes('valid configuration back', tokens.b, 200, Date.now());
    expect((await get(admin)).status).toBe(403);
  });
});

describe('Traefik itself', () => {
  test('no wasm error, stack trace or panic was logged through all the changes', () => {
    expect(guestFailures(env.traefik.logs())).toEqual({ logLines: [], answers: [] });
  });
});
