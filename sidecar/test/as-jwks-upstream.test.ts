// JWKS_INCLUDE_UPSTREAM: the JWKS file feed also carries the upstream IdP's keys, found through
// its discovery document (`jwks_uri`), so a plugin reading the file can verify the upstream's ID
// tokens as well as the sidecar's access tokens. Without the setting the file holds the
// sidecar's keys only. The upstream is oauth2-mock-server on 127.0.0.1 with its real JWKS.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSidecar, TEST_RESOURCE, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';

let upstream: MockUpstream;
let dir: string;
const sidecars: TestSidecar[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-as-jwks-up-'));
});
afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.stop()));
  await upstream?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function start(name: string, extra: Record<string, string>): Promise<{ t: TestSidecar; file: string }> {
  const file = path.join(dir, `${name}.json`);
  const t = await startTestSidecar(upstream, { JWKS_FILE: file, ...extra });
  sidecars.push(t);
  return { t, file };
}

/** The file's key set once it holds every kid in `kids` (the feed writes in the background). */
async function fileWithKids(file: string, kids: string[]): Promise<JSONWebKeySet> {
  let doc: JSONWebKeySet = { keys: [] };
  for (let i = 0; i < 100; i++) {
    try {
      doc = JSON.parse(await readFile(file, 'utf8')) as JSONWebKeySet;
    } catch {
      // not written yet
    }
    if (kids.every((kid) => doc.keys.some((k) => k.kid === kid))) return doc;
    await new Promise((r) => setTimeout(r, 100));
  }
  return doc;
}

async function sidecarKids(issuer: string): Promise<string[]> {
  const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as JSONWebKeySet;
  return jwks.keys.map((k) => k.kid!);
}

async function accessToken(t: TestSidecar): Promise<string> {
  const client = await t.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
  const { tokens } = await t.driver.loginAndExchange({ client, scope: 'mcp:tools', resource: TEST_RESOURCE });
  return tokens.json.access_token as string;
}

describe('JWKS_INCLUDE_UPSTREAM=true', () => {
  it('puts the upstream keys (from its discovery jwks_uri) next to the sidecar keys; both kinds of token verify against the file', async () => {
    const { t, file } = await start('with-upstream', { JWKS_INCLUDE_UPSTREAM: 'true' });
    const upstreamKids = upstream.server.issuer.keys.toJSON().map((k) => k.kid as string);
    expect(upstreamKids.length).toBeGreaterThan(0);
    const ownKids = await sidecarKids(t.issuer);
    const doc = await fileWithKids(file, [...ownKids, ...upstreamKids]);
    expect(doc.keys.map((k) => k.kid)).toEqual([...ownKids, ...upstreamKids]);
    for (const key of doc.keys) expect(key).not.toHaveProperty('d');

    const keys = createLocalJWKSet(doc);
    const idToken = await upstream.server.issuer.buildToken();
    expect(upstreamKids).toContain(decodeProtectedHeader(idToken).kid);
    const verified = await jwtVerify(idToken, keys, { issuer: upstream.issuer });
    expect(verified.payload.iss).toBe(upstream.issuer);

    const at = await accessToken(t);
    await expect(jwtVerify(at, keys, { issuer: t.issuer, audience: TEST_RESOURCE, typ: 'at+jwt' })).resolves.toBeTruthy();
  });
});

describe('without JWKS_INCLUDE_UPSTREAM', () => {
  it('the file holds the sidecar keys only: an upstream ID token does not verify against it', async () => {
    const { t, file } = await start('own-only', {});
    const ownKids = await sidecarKids(t.issuer);
    const doc = await fileWithKids(file, ownKids);
    expect(doc.keys.map((k) => k.kid)).toEqual(ownKids);
    const idToken = await upstream.server.issuer.buildToken();
    await expect(jwtVerify(idToken, createLocalJWKSet(doc), { issuer: upstream.issuer })).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });
});
