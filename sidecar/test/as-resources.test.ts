// The sidecar with several RESOURCE entries, as the local stack runs it (/mcp and /sse): one
// forwardAuth policy per resource, chosen by the forwarded path or by `/auth?resource=`, each
// accepting only tokens minted for its resource; a metadata document per resource. POLICY_FILE
// (one policy document) keeps holding the only policy.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { baseSettings, freePort, startTestSidecar, type TestSidecar } from './as-lib/harness.js';
import { startMockUpstream, type MockUpstream } from './as-lib/mock-upstream.js';

const ORIGIN = 'https://mcp.example.test';
const MCP = `${ORIGIN}/mcp`;
const SSE = `${ORIGIN}/sse`;
const PRM = `${ORIGIN}/.well-known/oauth-protected-resource`;

let upstream: MockUpstream;
let t: TestSidecar;

beforeAll(async () => {
  upstream = await startMockUpstream();
  t = await startTestSidecar(upstream, { RESOURCE: `${MCP},${SSE}` });
});
afterAll(async () => {
  await t?.stop();
  await upstream?.stop();
});

async function accessToken(sidecar: TestSidecar, resource: string): Promise<string> {
  const client = await sidecar.driver.registerOk({ redirect_uris: ['http://127.0.0.1/cb'], token_endpoint_auth_method: 'none' });
  const { tokens } = await sidecar.driver.loginAndExchange({ client, scope: 'mcp:tools', resource });
  expect(tokens.status).toBe(200);
  return tokens.json.access_token as string;
}

/** forwardAuth as Traefik asks it: the original request's URI, method and host. */
function forwardAuth(sidecar: TestSidecar, uri: string, token?: string, address = '/auth'): Promise<Response> {
  return fetch(`${sidecar.sidecar.url}${address}`, {
    headers: {
      'x-forwarded-uri': uri,
      'x-forwarded-method': 'POST',
      'x-forwarded-host': 'mcp.example.test',
      'x-forwarded-proto': 'https',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
  });
}

describe('RESOURCE with /mcp and /sse', () => {
  it('serves a metadata document per resource; the bare path names the first', async () => {
    for (const [p, resource] of [['/.well-known/oauth-protected-resource/mcp', MCP], ['/.well-known/oauth-protected-resource/sse', SSE], ['/.well-known/oauth-protected-resource', MCP]] as const) {
      const res = await fetch(`${t.sidecar.url}${p}`);
      expect(res.status, p).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      const doc = (await res.json()) as { resource: string; authorization_servers: string[] };
      expect(doc.resource, p).toBe(resource);
      expect(doc.authorization_servers).toEqual([t.issuer]);
    }
    // no resource lives at /messages: that path is no metadata document
    const other = await fetch(`${t.sidecar.url}/.well-known/oauth-protected-resource/messages`);
    expect(other.status).toBe(404);
  });

  it('a token minted for /mcp opens /mcp only; a token for /sse opens /sse, and /messages through /auth?resource=', async () => {
    const forMcp = await accessToken(t, MCP);
    const forSse = await accessToken(t, SSE);
    expect((await forwardAuth(t, '/mcp', forMcp)).status).toBe(200);
    expect((await forwardAuth(t, '/sse', forSse)).status).toBe(200);

    const refused = await forwardAuth(t, '/sse', forMcp);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="audience not accepted", resource_metadata="${PRM}/sse", scope="mcp:tools"`);
    expect((await forwardAuth(t, '/mcp', forSse)).status).toBe(401);
    expect((await forwardAuth(t, '/mcpx', forSse)).status).toBe(401); // not under /sse: the first resource (/mcp) judges
    expect((await forwardAuth(t, '/mcpx', forMcp)).status).toBe(200);

    // /messages belongs to the /sse resource only because the address says so
    expect((await forwardAuth(t, '/messages?sessionId=1', forSse)).status).toBe(401);
    expect((await forwardAuth(t, '/messages?sessionId=1', forSse, `/auth?resource=${SSE}`)).status).toBe(200);
    expect((await forwardAuth(t, '/messages?sessionId=1', forMcp, `/auth?resource=${SSE}`)).status).toBe(401);
    // PROTECTED_PATH (/sse on the sidecar) is the same endpoint as /auth
    expect((await forwardAuth(t, '/messages?sessionId=1', forSse, `/sse?resource=${SSE}`)).status).toBe(200);
    expect((await forwardAuth(t, '/mcp', forMcp, `/auth?resource=${ORIGIN}/elsewhere`)).status).toBe(500);
  });

  it('challenges without a token name each resource\'s own metadata', async () => {
    expect((await forwardAuth(t, '/mcp')).headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}/mcp", scope="mcp:tools"`);
    expect((await forwardAuth(t, '/sse')).headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}/sse", scope="mcp:tools"`);
    expect((await forwardAuth(t, '/messages', undefined, `/auth?resource=${SSE}`)).headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}/sse", scope="mcp:tools"`);
  });

  it('RESOURCE lists a resource once, with or without a trailing slash', () => {
    const config = loadConfig({ ...baseSettings(upstream, 11000, '/tmp/unused'), RESOURCE: `${MCP}, ${MCP}/ ,${SSE}` });
    expect(config.resources).toEqual([MCP, SSE]);
  });
});

describe('POLICY_FILE', () => {
  it('holds the only forwardAuth policy (its resource, its audiences), whatever RESOURCE lists', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-policy-file-'));
    const file = path.join(dir, 'policy.json');
    let s: TestSidecar | undefined;
    try {
      const port = await freePort();
      const issuer = `http://127.0.0.1:${port}`;
      await writeFile(file, JSON.stringify({ resource: MCP, issuers: [{ issuer, audiences: [MCP, SSE], jwksFile: path.join(dir, 'jwks.json') }], requiredScopes: ['mcp:tools'] }));
      s = await startTestSidecar(upstream, { PORT: String(port), ISSUER: issuer, RESOURCE: `${MCP},${SSE}`, POLICY_FILE: file, JWKS_FILE: path.join(dir, 'jwks.json') });
      const forSse = await accessToken(s, SSE);
      // the file's deliberate shared audience: a /sse token passes the policy of /mcp
      expect((await forwardAuth(s, '/sse', forSse)).status).toBe(200);
      expect((await forwardAuth(s, '/mcp', forSse)).status).toBe(200);
      expect((await forwardAuth(s, '/sse')).headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}/mcp", scope="mcp:tools"`);
      expect((await forwardAuth(s, '/sse', forSse, `/auth?resource=${SSE}`)).status).toBe(500);
      expect(((await (await fetch(`${s.sidecar.url}/.well-known/oauth-protected-resource/mcp`)).json()) as { resource: string }).resource).toBe(MCP);
      expect((await fetch(`${s.sidecar.url}/.well-known/oauth-protected-resource/sse`)).status).toBe(404);
    } finally {
      await s?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
