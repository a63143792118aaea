/**
 * forwardAuth with several resources (RESOURCE=<.../mcp>,<.../sse>): one policy per resource,
 * each accepting only tokens minted for it; the policy is chosen by the forwardAuth address
 * (`/auth?resource=`) or by the forwarded path (longest segment prefix) and host, with the first
 * resource as the default. One resource (or one POLICY_FILE policy) behaves as before.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { createForwardAuthHandler, createMetadataHandler, UNKNOWN_RESOURCE_REASON } from '../src/forward-auth/handler.js';
import { pinnedResource, resourcePolicies } from '../src/forward-auth/resource-policies.js';
import { policiesFromSidecarConfig, policyFromSidecarConfig } from '../src/policy/from-sidecar-config.js';
import { loadPolicy } from '../src/policy/load.js';
import type { LoggerLike } from '../src/policy/logger.js';
import type { PolicyConfig } from '../src/policy/types.js';
import { ISS, NOW, keys, token } from './lib/fa-fixture.js';

const ORIGIN = 'https://mcp.example.com';
const MCP = `${ORIGIN}/mcp`;
const SSE = `${ORIGIN}/sse`;
const ADMIN = `${ORIGIN}/mcp/admin`;
const PRM = `${ORIGIN}/.well-known/oauth-protected-resource`;
const JWKS = { keys: [keys.rsa.jwk, keys.ec.jwk] };

/** The sidecar's derived policies for these resources, in this order. */
const derived = (...resources: string[]): PolicyConfig[] =>
  policiesFromSidecarConfig({ issuer: ISS, resources, requiredScopes: ['mcp:tools'], jwks: JWKS });

/** Which resource's policy judges a forwarded request. */
function chosen(policies: PolicyConfig[], uri: string | undefined, host?: string): string {
  return resourcePolicies(policies).forRequest({ uri, host }).resource;
}

describe('policiesFromSidecarConfig: one policy per RESOURCE entry', () => {
  it('each names its resource and accepts only tokens minted for it (RFC 8707 audience)', () => {
    const [mcp, sse] = derived(MCP, SSE);
    expect(mcp).toMatchObject({ resource: MCP, resourceMetadataPath: '/.well-known/oauth-protected-resource/mcp', issuers: [{ issuer: ISS, audiences: [MCP] }] });
    expect(sse).toMatchObject({ resource: SSE, resourceMetadataPath: '/.well-known/oauth-protected-resource/sse', issuers: [{ issuer: ISS, audiences: [SSE] }] });
    expect(sse!.requiredScopes).toEqual(['mcp:tools']);
  });

  it('one RESOURCE: exactly the policy a single-policy sidecar had', () => {
    const input = { issuer: ISS, resources: [MCP], requiredScopes: ['mcp:tools'], allowedEmails: ['@example.com'], jwksFile: '/keys/jwks.json' };
    expect(policiesFromSidecarConfig(input)).toEqual([policyFromSidecarConfig(input)]);
    expect(() => policiesFromSidecarConfig({ ...input, resources: [] })).toThrow(/resource/);
  });
});

describe('choosing the policy by the forwarded request', () => {
  it('the resource path is a prefix on segment boundaries: /mcp covers /mcp and /mcp/x, not /mcpx', () => {
    // /sse first, so that a request /mcp does not cover falls to /sse, visibly
    const policies = derived(SSE, MCP);
    for (const uri of ['/mcp', '/mcp/', '/mcp/x', '/mcp?session=1', '/mcp/x/y?z']) expect(chosen(policies, uri), uri).toBe(MCP);
    for (const uri of ['/sse', '/sse/x', '/sse?a=b']) expect(chosen(policies, uri), uri).toBe(SSE);
    for (const uri of ['/mcpx', '/mcp.json', '/mc', '/', '/messages?sessionId=1', '/other/mcp']) expect(chosen(policies, uri), uri).toBe(SSE);
  });

  it('the longest matching resource path wins', () => {
    const policies = derived(MCP, ADMIN, SSE);
    expect(chosen(policies, '/mcp/admin')).toBe(ADMIN);
    expect(chosen(policies, '/mcp/admin/tools')).toBe(ADMIN);
    expect(chosen(policies, '/mcp/adminx')).toBe(MCP);
    expect(chosen(derived(ADMIN, MCP), '/mcp/x')).toBe(MCP);
  });

  it('a request under no resource path, or without one X-Forwarded-Uri, gets the first resource', () => {
    expect(chosen(derived(MCP, SSE), '/messages')).toBe(MCP);
    expect(chosen(derived(SSE, MCP), '/messages')).toBe(SSE);
    expect(chosen(derived(SSE, MCP), undefined)).toBe(SSE);
  });

  it('a resource without a path covers every request no longer resource path covers', () => {
    const policies = derived(MCP, ORIGIN);
    expect(chosen(policies, '/mcp/x')).toBe(MCP);
    expect(chosen(policies, '/messages')).toBe(ORIGIN);
    expect(chosen(policies, '/.well-known/oauth-protected-resource')).toBe(ORIGIN);
    expect(chosen(policies, '/.well-known/oauth-protected-resource/mcp')).toBe(MCP);
  });

  it('a resource\'s own metadata path selects it (forwardAuth then answers that document)', () => {
    const policies = derived(MCP, SSE);
    expect(chosen(policies, '/.well-known/oauth-protected-resource/sse')).toBe(SSE);
    expect(chosen(policies, '/.well-known/oauth-protected-resource')).toBe(MCP);
  });

  it('the path is read as a lenient upstream would resolve it (decoded, dot segments, case)', () => {
    const policies = derived(MCP, SSE);
    for (const uri of ['/mcp/../sse', '/mcp/%2e%2e/sse', '/%73se', '//sse', '/SSE', '/mcp%2f..%2fsse']) expect(chosen(policies, uri), uri).toBe(SSE);
    expect(chosen(policies, '/sse/../mcp')).toBe(MCP);
  });

  it('resources on several hosts: the request\'s host (X-Forwarded-Host) narrows the choice first', () => {
    const a = 'https://a.example.com/mcp';
    const b = 'https://b.example.com';
    const policies = derived(a, b);
    expect(chosen(policies, '/mcp', 'a.example.com')).toBe(a);
    expect(chosen(policies, '/mcp', 'b.example.com')).toBe(b);
    expect(chosen(policies, '/mcp', 'B.Example.COM:443')).toBe(b);
    expect(chosen(policies, '/other', 'a.example.com')).toBe(a); // a's host, no path match: a is the first there
    // a host no resource is on (an internal name): every resource is a candidate
    expect(chosen(policies, '/mcp', 'internal:8080')).toBe(a);
    expect(chosen(policies, '/other', 'internal:8080')).toBe(b);
    expect(chosen(policies, '/mcp', undefined)).toBe(a);
  });

  it('one policy judges every request, whatever the path or host (as before)', () => {
    const policies = derived(MCP);
    for (const uri of ['/mcp', '/sse', '/messages', '/mcpx', undefined]) expect(chosen(policies, uri, 'elsewhere.example')).toBe(MCP);
  });
});

describe('the forwardAuth address names the resource: /auth?resource=<URL>', () => {
  it('reads one resource parameter; refuses others, repeats and empty values', () => {
    expect(pinnedResource('/auth')).toEqual({ ok: true, resource: undefined });
    expect(pinnedResource('/auth?')).toEqual({ ok: true, resource: undefined });
    expect(pinnedResource(`/auth?resource=${SSE}`)).toEqual({ ok: true, resource: SSE });
    expect(pinnedResource(`/auth?resource=${encodeURIComponent(SSE)}`)).toEqual({ ok: true, resource: SSE });
    expect(pinnedResource(`/auth?resorce=${SSE}`)).toEqual({ ok: false, problem: 'unknown parameter "resorce"' });
    expect(pinnedResource(`/auth?resource=${SSE}&resource=${MCP}`)).toEqual({ ok: false, problem: 'more than one resource parameter' });
    expect(pinnedResource('/auth?resource=')).toEqual({ ok: false, problem: 'empty resource parameter' });
  });

  it('names a configured resource exactly (one trailing slash ignored)', () => {
    const set = resourcePolicies(derived(MCP, SSE));
    expect(set.byResource(SSE)?.resource).toBe(SSE);
    expect(set.byResource(`${SSE}/`)?.resource).toBe(SSE);
    expect(set.byResource(`${ORIGIN}/ss`)).toBeUndefined();
    expect(set.byResource('http://mcp.example.com/sse')).toBeUndefined();
  });
});

describe('metadata documents', () => {
  it('each resource\'s document at its own path; the bare path gets the resource without a path, else the first', () => {
    const set = resourcePolicies(derived(MCP, SSE));
    expect(set.isMetadataPath('/.well-known/oauth-protected-resource/mcp')).toBe(true);
    expect(set.isMetadataPath('/.well-known/oauth-protected-resource/sse')).toBe(true);
    expect(set.isMetadataPath('/.well-known/oauth-protected-resource')).toBe(true);
    expect(set.isMetadataPath('/.well-known/oauth-protected-resource/messages')).toBe(false);
    expect(set.forMetadataPath('/.well-known/oauth-protected-resource/sse', undefined)?.resource).toBe(SSE);
    expect(set.forMetadataPath('/.well-known/oauth-protected-resource', undefined)?.resource).toBe(MCP);
    expect(set.forMetadataPath('/.well-known/oauth-protected-resource/messages', undefined)).toBeUndefined();
    expect(resourcePolicies(derived(MCP, ORIGIN)).forMetadataPath('/.well-known/oauth-protected-resource', undefined)?.resource).toBe(ORIGIN);
  });

  it('the same path on two hosts: the request\'s host picks the document', () => {
    const set = resourcePolicies(derived('https://a.example.com/mcp', 'https://b.example.com/mcp'));
    expect(set.forMetadataPath('/.well-known/oauth-protected-resource/mcp', 'b.example.com')?.resource).toBe('https://b.example.com/mcp');
    expect(set.forMetadataPath('/.well-known/oauth-protected-resource/mcp', 'a.example.com')?.resource).toBe('https://a.example.com/mcp');
    expect(set.forMetadataPath('/.well-known/oauth-protected-resource/mcp', 'other')?.resource).toBe('https://a.example.com/mcp');
  });
});

describe('over HTTP, as Traefik asks', () => {
  let server: Server | undefined;
  let base: string;
  let logs: Array<{ level: string; obj: Record<string, unknown>; msg?: string }>;
  const log: LoggerLike = {
    debug: (obj, msg) => void logs.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }),
    info: (obj, msg) => void logs.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => void logs.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => void logs.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };

  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<void> {
    server = createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  const serveForwardAuth = (policies: PolicyConfig | PolicyConfig[]) => serve(createForwardAuthHandler(policies, log, { now: () => NOW * 1000 }));

  /** A forwardAuth request for `uri` with a token minted for `audience` (none: no token). */
  function ask(uri: string, audience?: string, address = '/auth', extra: Record<string, string> = {}) {
    return fetch(`${base}${address}`, {
      headers: {
        'X-Forwarded-Method': 'POST',
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'mcp.example.com',
        'X-Forwarded-Uri': uri,
        ...(audience !== undefined ? { Authorization: `Bearer ${token({ aud: audience })}` } : {}),
        ...extra,
      },
    });
  }

  beforeEach(() => {
    logs = [];
  });

  afterEach(async () => {
    if (server) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
      server = undefined;
    }
  });

  it('a token minted for /mcp opens /mcp but not /sse; the /sse challenge names the /sse metadata', async () => {
    await serveForwardAuth(derived(MCP, SSE));
    expect((await ask('/mcp', MCP)).status).toBe(200);
    expect((await ask('/sse', SSE)).status).toBe(200);
    const refused = await ask('/sse', MCP);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="audience not accepted", resource_metadata="${PRM}/sse", scope="mcp:tools"`);
    expect((await ask('/mcp', SSE)).status).toBe(401);
    expect((await ask('/sse')).headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}/sse", scope="mcp:tools"`);
    expect((await ask('/mcp')).headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}/mcp", scope="mcp:tools"`);
  });

  it('/mcpx is not under /mcp: a /mcp token is judged by the default resource there', async () => {
    await serveForwardAuth(derived(SSE, MCP));
    expect((await ask('/mcp/x', MCP)).status).toBe(200);
    const res = await ask('/mcpx', MCP);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${PRM}/sse"`);
  });

  it('/messages (SSE posts) outside both paths: the first resource by default, the /sse resource when the address names it', async () => {
    await serveForwardAuth(derived(MCP, SSE));
    expect((await ask('/messages?sessionId=1', SSE)).status).toBe(401);
    const pinned = `/auth?resource=${SSE}`;
    expect((await ask('/messages?sessionId=1', SSE, pinned)).status).toBe(200);
    expect((await ask('/sse', SSE, pinned)).status).toBe(200);
    // pinned means pinned: the path does not switch to another resource
    const res = await ask('/mcp', MCP, pinned);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${PRM}/sse"`);
    expect((await ask('/mcp', MCP, `/auth?resource=${encodeURIComponent(MCP)}`)).status).toBe(200);
  });

  it('an address naming no configured resource (or with a stray parameter) is a 500, logged, never a guess', async () => {
    const decisions: string[] = [];
    await serve(createForwardAuthHandler(derived(MCP, SSE), log, { now: () => NOW * 1000, onDecision: (d) => decisions.push(`${d.status} ${d.reason}`) }));
    for (const address of [`/auth?resource=${ORIGIN}/other`, `/auth?resource=${MCP}&x=1`, '/auth?resource=']) {
      const res = await ask('/mcp', MCP, address);
      expect(res.status, address).toBe(500);
      expect(await res.json()).toEqual({ error: 'server_error', error_description: UNKNOWN_RESOURCE_REASON });
    }
    expect(decisions).toEqual(Array(3).fill(`500 ${UNKNOWN_RESOURCE_REASON}`));
    const errors = logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(3);
    expect(errors[0]!.obj).toMatchObject({ problem: 'unknown resource', resource: `${ORIGIN}/other`, configured: [MCP, SSE] });
    expect(errors[1]!.obj).toMatchObject({ problem: 'unknown parameter "x"' });
  });

  it('with several resources, decision logs name the resource that judged', async () => {
    await serveForwardAuth(derived(MCP, SSE));
    await ask('/sse', MCP);
    expect(logs.find((l) => l.msg === 'forwardAuth deny')!.obj).toMatchObject({ status: 401, path: '/sse', resource: SSE });
  });

  it('one policy (one RESOURCE): every path judged by it, as before; the address may name it', async () => {
    const [only] = derived(MCP);
    await serveForwardAuth(only!);
    expect((await ask('/mcp', MCP)).status).toBe(200);
    expect((await ask('/sse', MCP)).status).toBe(200);
    expect((await ask('/messages', MCP)).status).toBe(200);
    expect((await ask('/sse', SSE)).status).toBe(401);
    expect((await ask('/sse')).headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${PRM}/mcp", scope="mcp:tools"`);
    expect((await ask('/sse', MCP, `/auth?resource=${MCP}`)).status).toBe(200);
    expect((await ask('/sse', MCP, `/auth?resource=${SSE}`)).status).toBe(500);
    expect(logs.find((l) => l.msg === 'forwardAuth allow')!.obj).not.toHaveProperty('resource');
  });

  it('a POLICY_FILE-style policy with shared audiences accepts both tokens everywhere (a deliberate choice)', async () => {
    const shared = loadPolicy({ resource: MCP, issuers: [{ issuer: ISS, audiences: [MCP, SSE], jwks: JWKS }] });
    await serveForwardAuth(shared);
    expect((await ask('/sse', MCP)).status).toBe(200);
    expect((await ask('/mcp', SSE)).status).toBe(200);
  });

  it('policies that give one issuer different keys are refused at start', () => {
    const a = loadPolicy({ resource: MCP, issuers: [{ issuer: ISS, jwks: JWKS }] });
    const b = loadPolicy({ resource: SSE, issuers: [{ issuer: ISS, jwksFile: '/keys/jwks.json' }] });
    expect(() => createForwardAuthHandler([a, b], log)).toThrow(`forwardAuth: issuer ${ISS} has different keys in two policies`);
  });

  it('the metadata handler serves each resource\'s document at its path, and the first at the bare path', async () => {
    await serve(createMetadataHandler(derived(MCP, SSE)));
    const doc = async (p: string) => (await (await fetch(`${base}${p}`)).json()) as { resource: string };
    expect((await doc('/.well-known/oauth-protected-resource/mcp')).resource).toBe(MCP);
    expect((await doc('/.well-known/oauth-protected-resource/sse')).resource).toBe(SSE);
    expect((await doc('/.well-known/oauth-protected-resource')).resource).toBe(MCP);
    const res = await fetch(`${base}/.well-known/oauth-protected-resource/sse`);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toEqual({ resource: SSE, authorization_servers: [ISS], bearer_methods_supported: ['header'], scopes_supported: ['mcp:tools'] });
  });

  it('the metadata handler picks by the forwarded host when two hosts share a path', async () => {
    await serve(createMetadataHandler(derived('https://a.example.com/mcp', 'https://b.example.com/mcp')));
    const res = await fetch(`${base}/.well-known/oauth-protected-resource/mcp`, { headers: { 'X-Forwarded-Host': 'b.example.com' } });
    expect(((await res.json()) as { resource: string }).resource).toBe('https://b.example.com/mcp');
  });
});
