// An MCP-server stand-in for streaming tests: `GET /sse` answers `text/event-stream` and sends one
// event per interval (recording when each was written), `POST /mcp` answers a JSON-RPC request the
// Streamable-HTTP way (an SSE stream holding the response) and records what it received.
import http from 'node:http';
import type net from 'node:net';
import { noteTrapAnswer, pairs, type HeaderList } from './client.js';

export interface SentEvent {
  id: number;
  /** Date.now() when the event was written to the socket. */
  at: number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  rawHeaders: HeaderList;
  body: string;
}

export interface McpUpstream {
  url: string;
  /** Every event written on every /sse stream, in order. */
  sent: SentEvent[];
  requests: ReceivedRequest[];
  stop(): Promise<void>;
}

export interface McpUpstreamOptions {
  /** Events per /sse stream (ids 0..eventCount-1). */
  eventCount: number;
  /** Pause between events. */
  intervalMs: number;
}

export async function startMcpUpstream(options: McpUpstreamOptions): Promise<McpUpstream> {
  const sent: SentEvent[] = [];
  const requests: ReceivedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, rawHeaders: pairs(req.rawHeaders), body });
      if (req.method === 'GET' && req.url === '/sse') return streamEvents(res);
      if (req.method === 'POST' && req.url === '/mcp') return answerJsonRpc(body, res);
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    });
  });

  function streamEvents(res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    let id = 0;
    const sendOne = () => {
      if (res.destroyed) return;
      res.write(`id: ${id}\nevent: tick\ndata: {"tick":${id}}\n\n`);
      sent.push({ id, at: Date.now() });
      id += 1;
      if (id >= options.eventCount) {
        res.end();
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        sendOne();
      }, options.intervalMs);
      timers.add(timer);
    };
    sendOne();
  }

  function answerJsonRpc(body: string, res: http.ServerResponse): void {
    let id: unknown = null;
    try {
      id = (JSON.parse(body) as { id?: unknown }).id ?? null;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    const response = JSON.stringify({ jsonrpc: '2.0', id, result: { receivedBytes: Buffer.byteLength(body) } });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'session-42' });
    res.end(`event: message\ndata: ${response}\n\n`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface ReceivedEvent {
  id: string;
  event: string;
  data: string;
  /** Date.now() when the client had the whole event. */
  at: number;
}

export interface EventStreamResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  events: ReceivedEvent[];
  /** Non-stream body (e.g. a 401's JSON). */
  body: string;
}

/** Opens an event stream and collects each event with its arrival time until the server ends it. */
export function readEventStream(port: number, request: { path: string; host: string; headers: HeaderList; method?: string; body?: string; timeoutMs?: number }): Promise<EventStreamResult> {
  const flat = ['Host', request.host, ...request.headers.flat()];
  if (request.body !== undefined) flat.push('Content-Length', String(Buffer.byteLength(request.body)));
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: request.method ?? 'GET', path: request.path, agent: false, setHost: false, headers: flat }, (res) => {
      const events: ReceivedEvent[] = [];
      let pending = '';
      let raw = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        raw += chunk;
        pending += chunk;
        let end: number;
        while ((end = pending.indexOf('\n\n')) >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
          }
          events.push({ id: fields.id ?? '', event: fields.event ?? 'message', data: fields.data ?? '', at: Date.now() });
        }
      });
      res.on('error', reject);
      res.on('end', () => {
        noteTrapAnswer(`${request.method ?? 'GET'} ${request.path}`, res.statusCode ?? 0, raw);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, events, body: raw });
      });
    });
    req.setTimeout(request.timeoutMs ?? 60_000, () => req.destroy(new Error(`event stream ${request.path} stalled`)));
    req.on('error', reject);
    req.end(request.body);
  });
}
