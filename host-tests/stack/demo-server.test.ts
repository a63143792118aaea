// The demo MCP server on its own (no gateway): the official SDK client over Streamable HTTP and
// over the legacy SSE transport lists and calls every tool; whoami reads the header of the very
// request that carried the call; request_headers never echoes credentials.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { startDemoServer, type RunningDemoServer } from '../../demo-mcp-server/src/server.js';
import { REDACTED, redactHeaders } from '../../demo-mcp-server/src/tools.js';
import { twoRequestsOnOneSocket } from '../lib/keep-alive.js';

let server: RunningDemoServer;

beforeAll(async () => {
  server = await startDemoServer({ port: 0 });
});

afterAll(async () => {
  await server?.close();
});

/** Headers every request of a client carries; `user` is read at each request, so tests can change it. */
interface ClientHeaders {
  user?: string;
  extra?: Record<string, string>;
}

function headerFetch(state: ClientHeaders): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(state.extra ?? {})) headers.set(name, value);
    if (state.user !== undefined) headers.set('X-Forwarded-User', state.user);
    return fetch(input, { ...init, headers });
  };
}

type Kind = 'streamable-http' | 'sse';

function transportFor(kind: Kind, state: ClientHeaders): Transport {
  const fetchWithHeaders = headerFetch(state);
  return kind === 'streamable-http'
    ? new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), { fetch: fetchWithHeaders })
    : new SSEClientTransport(new URL(`${server.url}/sse`), { fetch: fetchWithHeaders });
}

async function connect(kind: Kind, state: ClientHeaders): Promise<Client> {
  const client = new Client({ name: 'demo-server-test', version: '1.0.0' });
  await client.connect(transportFor(kind, state));
  return client;
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  const [first] = result.content as Array<{ type: string; text: string }>;
  expect(first?.type).toBe('text');
  return first!.text;
}

describe.each<Kind>(['streamable-http', 'sse'])('over %s', (kind) => {
  it('lists the three tools with their input schemas', async () => {
    const client = await connect(kind, {});
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['random_number', 'request_headers', 'whoami']);
      const random = tools.find((t) => t.name === 'random_number')!;
      expect(Object.keys(random.inputSchema.properties ?? {}).sort()).toEqual(['max', 'min']);
    } finally {
      await client.close();
    }
  });

  it('whoami returns the X-Forwarded-User of the request that carried the call', async () => {
    const state: ClientHeaders = { user: 'alice@example.com' };
    const client = await connect(kind, state);
    try {
      const first = await client.callTool({ name: 'whoami', arguments: {} });
      expect(textOf(first)).toBe('alice@example.com');
      expect(first.structuredContent).toEqual({ user: 'alice@example.com' });
      // Same session, next request from another user: the answer follows the request, not the session.
      state.user = 'bob@example.org';
      const second = await client.callTool({ name: 'whoami', arguments: {} });
      expect(second.structuredContent).toEqual({ user: 'bob@example.org' });
      state.user = undefined;
      const third = await client.callTool({ name: 'whoami', arguments: {} });
      expect(third.structuredContent).toEqual({ user: null });
      expect(textOf(third)).toMatch(/no X-Forwarded-User header/);
    } finally {
      await client.close();
    }
  });

  it('random_number stays within min..max and refuses min > max', async () => {
    const client = await connect(kind, {});
    try {
      const fixed = await client.callTool({ name: 'random_number', arguments: { min: 7, max: 7 } });
      expect(textOf(fixed)).toBe('7');
      expect(fixed.structuredContent).toEqual({ value: 7 });
      const seen = new Set<number>();
      for (let i = 0; i < 40; i++) {
        const r = await client.callTool({ name: 'random_number', arguments: { min: -1, max: 1 } });
        const value = (r.structuredContent as { value: number }).value;
        expect([-1, 0, 1]).toContain(value);
        seen.add(value);
      }
      expect(seen.size).toBeGreaterThan(1); // 40 draws from 3 values: all equal has probability 3^-39
      const defaults = await client.callTool({ name: 'random_number', arguments: {} });
      const value = (defaults.structuredContent as { value: number }).value;
      expect(value).toBeGreaterThanOrEqual(1);
      expect(value).toBeLessThanOrEqual(100);
      const reversed = await client.callTool({ name: 'random_number', arguments: { min: 5, max: 1 } });
      expect(reversed.isError).toBe(true);
      expect(textOf(reversed)).toMatch(/min \(5\) must not be greater than max \(1\)/);
      const fractional = await client.callTool({ name: 'random_number', arguments: { min: 0.5, max: 2 } });
      expect(fractional.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('request_headers shows what arrived and redacts credentials', async () => {
    const client = await connect(kind, {
      user: 'carol@example.com',
      extra: {
        Authorization: 'Bearer secret-token-value',
        Cookie: 'session=secret-cookie-value',
        'Proxy-Authorization': 'Basic c2VjcmV0OnZhbHVl',
        'Set-Cookie': 'stolen=secret-set-cookie',
        'X-Api-Key': 'secret-api-key',
        'X-Demo-Probe': 'visible-value',
      },
    });
    try {
      const result = await client.callTool({ name: 'request_headers', arguments: {} });
      const headers = (result.structuredContent as { headers: Record<string, string> }).headers;
      for (const name of ['authorization', 'cookie', 'proxy-authorization', 'set-cookie', 'x-api-key']) {
        expect(headers[name], name).toBe(REDACTED);
      }
      expect(headers['x-demo-probe']).toBe('visible-value');
      expect(headers['x-forwarded-user']).toBe('carol@example.com');
      const text = textOf(result);
      expect(JSON.parse(text)).toEqual(headers);
      expect(text).not.toMatch(/secret/);
    } finally {
      await client.close();
    }
  });
});

describe('plain HTTP', () => {
  it('answers /health', async () => {
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('refuses unknown sessions and non-initialize requests without a session', async () => {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const listTools = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} });
    const noSession = await fetch(`${server.url}/mcp`, { method: 'POST', headers, body: listTools });
    expect(noSession.status).toBe(400);
    const unknown = await fetch(`${server.url}/mcp`, { method: 'POST', headers: { ...headers, 'mcp-session-id': 'no-such-session' }, body: listTools });
    expect(unknown.status).toBe(404);
    const sseUnknown = await fetch(`${server.url}/messages?sessionId=no-such-session`, { method: 'POST', headers, body: listTools });
    expect(sseUnknown.status).toBe(404);
    expect((await fetch(`${server.url}/elsewhere`)).status).toBe(404);
  });

  it('serves Streamable HTTP under sub-paths of /mcp too (step-up routes)', async () => {
    const client = new Client({ name: 'demo-server-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp/admin`)));
    try {
      expect((await client.listTools()).tools).toHaveLength(3);
    } finally {
      await client.close();
    }
  });

  it('redactHeaders replaces exactly the sensitive (lower-cased) names', () => {
    expect(redactHeaders({ authorization: 'x', 'x-other': 'y' })).toEqual({ authorization: REDACTED, 'x-other': 'y' });
  });
});

it('keeps an idle keep-alive connection open longer than Node\'s 5 s default (Traefik reuses them for up to 90 s)', async () => {
  expect(await twoRequestsOnOneSocket(server.url, '/health', 6_000)).toEqual({ first: 200, second: 200 });
});
