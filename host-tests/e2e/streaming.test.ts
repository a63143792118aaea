// End to end: MCP transports through the plugin. An SSE stream lasting more than 10 s reaches the
// client event by event as the server writes them (the plugin does not enable response buffering,
// so Traefik flushes each event), while other requests keep being served by other guest
// instances; a Streamable-HTTP POST (JSON-RPC body, `Accept: application/json, text/event-stream`)
// reaches the MCP server with its body intact and its SSE answer comes back.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { makeKey, sign, type TestKey } from '../lib/tokens.js';
import { sendRaw, valuesOfLoose, type HeaderList } from './lib/client.js';
import { readEventStream, startMcpUpstream, type McpUpstream } from './lib/mcp-upstream.js';
import { fileKeyOptions, guestFailures, hostRouter, liveClaims, pluginMiddleware, service, startE2e, type E2eEnvironment } from './lib/mcpauth.js';

const HOST = 'mcp.test';
const EVENT_COUNT = 12;
const INTERVAL_MS = 1_000; // 11 intervals: the stream lasts 11 s

let env: E2eEnvironment;
let mcp: McpUpstream;
let key: TestKey;

beforeAll(async () => {
  key = await makeKey('ES256');
  mcp = await startMcpUpstream({ eventCount: EVENT_COUNT, intervalMs: INTERVAL_MS });
  env = await startE2e({
    name: 'streaming',
    keys: [key],
    dynamicConfig: () => ({
      http: {
        routers: { mcp: hostRouter(HOST, ['mcpauth'], 'mcp') },
        middlewares: { mcpauth: pluginMiddleware(fileKeyOptions({ requiredScopes: ['mcp:tools'] })) },
        services: { mcp: service(mcp.url) },
      },
    }),
  });
});

afterAll(async () => {
  await env?.stop();
  await mcp?.stop();
});

const auth = async (claims: Record<string, unknown> = {}): Promise<HeaderList> => [['Authorization', `Bearer ${await sign(key, liveClaims(claims))}`]];

describe('SSE', () => {
  test('a stream of more than 10 s arrives event by event, as sent; other requests are served meanwhile', async () => {
    const before = mcp.sent.length;
    const started = Date.now();
    const streaming = readEventStream(env.traefik.port, {
      path: '/sse',
      host: HOST,
      headers: [...(await auth()), ['Accept', 'text/event-stream'], ['Cache-Control', 'no-cache']],
    });

    // While the stream holds one guest instance, other requests get their own answers.
    const sideAnswers: number[] = [];
    while (mcp.sent.length - before < 3) {
      const [ok, refused] = await Promise.all([
        sendRaw(env.traefik.port, { method: 'POST', path: '/mcp', host: HOST, headers: [...(await auth()), ['Content-Type', 'application/json']], body: '{"jsonrpc":"2.0","id":7,"method":"ping"}' }),
        sendRaw(env.traefik.port, { path: '/sse', host: HOST }),
      ]);
      sideAnswers.push(ok.status, refused.status);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const result = await streaming;
    const sent = mcp.sent.slice(before);
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('text/event-stream');
    expect(result.events.map((e) => [e.id, e.event, e.data])).toEqual(sent.map((s) => [String(s.id), 'tick', `{"tick":${s.id}}`]));
    expect(sent).toHaveLength(EVENT_COUNT);
    expect(sent[sent.length - 1].at - sent[0].at).toBeGreaterThanOrEqual((EVENT_COUNT - 1) * INTERVAL_MS - 50);

    // Not buffered: every event reached the client before the server wrote the next one, so the
    // arrivals spread over the whole stream instead of bunching at its end.
    const late = result.events.slice(0, -1).filter((event, i) => event.at >= sent[i + 1].at);
    expect(late.map((e) => ({ id: e.id, arrivedAfterNextWasSentMs: e.at - sent[Number(e.id) + 1].at }))).toEqual([]);
    expect(result.events[0].at - started).toBeLessThan(sent[1].at - started);
    console.log(`SSE through Traefik: arrival - send (ms) per event: ${result.events.map((e, i) => e.at - sent[i].at).join(', ')}; stream ${result.events[result.events.length - 1].at - started} ms`);

    expect(sideAnswers.length).toBeGreaterThanOrEqual(6);
    expect(new Set(sideAnswers.filter((_, i) => i % 2 === 0))).toEqual(new Set([200]));
    expect(new Set(sideAnswers.filter((_, i) => i % 2 === 1))).toEqual(new Set([401]));

    const streamRequest = mcp.requests.find((r) => r.path === '/sse' && valuesOfLoose(r.rawHeaders, 'X-Forwarded-User').length > 0);
    expect(streamRequest && valuesOfLoose(streamRequest.rawHeaders, 'X-Forwarded-User')).toEqual(['alice@example.com']);
    expect(streamRequest && valuesOfLoose(streamRequest.rawHeaders, 'Authorization')).toEqual([]);
  }, 60_000);

  test('without a token the stream is refused with the JSON challenge, not opened', async () => {
    const before = mcp.requests.length;
    const result = await readEventStream(env.traefik.port, { path: '/sse', host: HOST, headers: [['Accept', 'text/event-stream']] });
    expect(result.status).toBe(401);
    expect(result.headers['content-type']).toBe('application/json');
    expect(result.events).toEqual([]);
    expect(JSON.parse(result.body)).toEqual({ error: 'invalid_token', error_description: 'bearer token required' });
    expect(mcp.requests.slice(before)).toEqual([]);
  });
});

describe('Streamable HTTP', () => {
  test('a JSON-RPC POST reaches the MCP server with its body and headers; the SSE answer comes back', async () => {
    const request = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'e2e', version: '1.0.0' } } };
    const body = JSON.stringify(request);
    const before = mcp.requests.length;
    const result = await readEventStream(env.traefik.port, {
      method: 'POST',
      path: '/mcp',
      host: HOST,
      headers: [...(await auth()), ['Accept', 'application/json, text/event-stream'], ['Content-Type', 'application/json'], ['Mcp-Protocol-Version', '2025-06-18']],
      body,
    });
    expect(result.status).toBe(200);
    expect(result.headers['content-type']).toBe('text/event-stream');
    expect(result.headers['mcp-session-id']).toBe('session-42');
    expect(result.events).toHaveLength(1);
    expect(JSON.parse(result.events[0].data)).toEqual({ jsonrpc: '2.0', id: 1, result: { receivedBytes: Buffer.byteLength(body) } });

    const received = mcp.requests.slice(before);
    expect(received).toHaveLength(1);
    expect(received[0].method).toBe('POST');
    expect(received[0].body).toBe(body);
    expect(received[0].headers.accept).toBe('application/json, text/event-stream');
    expect(received[0].headers['content-type']).toBe('application/json');
    expect(received[0].headers['mcp-protocol-version']).toBe('2025-06-18');
    expect(valuesOfLoose(received[0].rawHeaders, 'X-Forwarded-User')).toEqual(['alice@example.com']);
    expect(valuesOfLoose(received[0].rawHeaders, 'Authorization')).toEqual([]);
  });

  test('a large body (1 MiB of tool arguments) arrives whole', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(1 << 20) } } });
    const before = mcp.requests.length;
    const result = await readEventStream(env.traefik.port, {
      method: 'POST',
      path: '/mcp',
      host: HOST,
      headers: [...(await auth()), ['Accept', 'application/json, text/event-stream'], ['Content-Type', 'application/json']],
      body: big,
    });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.events[0].data).result).toEqual({ receivedBytes: Buffer.byteLength(big) });
    expect(mcp.requests.slice(before)[0].body === big).toBe(true);
  });

  test('insufficient scope: 403 before the MCP server sees the body', async () => {
    const before = mcp.requests.length;
    const res = await sendRaw(env.traefik.port, {
      method: 'POST', path: '/mcp', host: HOST,
      headers: [...(await auth({ scope: 'openid' })), ['Accept', 'application/json, text/event-stream'], ['Content-Type', 'application/json']],
      body: '{"jsonrpc":"2.0","id":3,"method":"tools/list"}',
    });
    expect(res.status).toBe(403);
    expect(mcp.requests.slice(before)).toEqual([]);
  });
});

describe('Traefik itself', () => {
  test('no wasm error, stack trace or panic was logged', () => {
    expect(guestFailures(env.traefik.logs())).toEqual({ logLines: [], answers: [] });
  });
});
