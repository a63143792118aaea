// The demo MCP server: the SDK's McpServer behind a plain node:http server.
//
//   /mcp, /mcp/<anything>   Streamable HTTP (stateful sessions, Mcp-Session-Id)
//   GET /sse                legacy HTTP+SSE transport: the event stream ...
//   POST /messages          ... and its message endpoint (?sessionId=...)
//   GET /health             200 {"status":"ok"}
//
// It does no authentication of its own: it trusts the gateway in front of it (Traefik with the
// mcpauth plugin, or forwardAuth to the sidecar) to have checked the token and set
// X-Forwarded-User. Sub-paths of /mcp exist so the gateway can protect one path with more scopes
// than another (step-up) while the same server answers both.
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { registerTools } from './tools.js';

export const SERVER_NAME = 'mcpauth-demo';
export const SERVER_VERSION = '0.1.0';
export const MCP_PATH = '/mcp';
export const SSE_PATH = '/sse';
export const MESSAGES_PATH = '/messages';

/** JSON-RPC bodies here are small; this only stops a client from filling memory. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Open sessions per transport kind; the oldest is closed when a new one would pass this. */
export const MAX_SESSIONS = 1000;

export interface DemoServerOptions {
  port?: number;
  host?: string;
  /** One line per event (session opened/closed, request errors); default: none. */
  log?: (event: Record<string, unknown>) => void;
}

/** Longer than Traefik's default idle timeout for backend connections (90 s). */
export const UPSTREAM_KEEP_ALIVE_MS = 95_000;

export interface RunningDemoServer {
  url: string;
  port: number;
  /** Open sessions, by transport. */
  sessions(): { streamableHttp: number; sse: number };
  close(): Promise<void>;
}

function newMcpServer(): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version: SERVER_VERSION });
  registerTools(server);
  return server;
}

class BodyError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BodyError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new BodyError(400, 'body is not JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function jsonRpcError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { jsonrpc: '2.0', error: { code: -32000, message }, id: null });
}

/** Insertion-ordered map that closes its oldest entry when full. */
class SessionTable<T extends { close(): Promise<void> }> {
  readonly #entries = new Map<string, T>();

  get size(): number {
    return this.#entries.size;
  }

  get(id: string | undefined): T | undefined {
    return id === undefined ? undefined : this.#entries.get(id);
  }

  add(id: string, entry: T): void {
    if (this.#entries.size >= MAX_SESSIONS) {
      const [oldest] = this.#entries.values();
      void oldest?.close();
    }
    this.#entries.set(id, entry);
  }

  delete(id: string): void {
    this.#entries.delete(id);
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.#entries.values()].map((entry) => entry.close()));
    this.#entries.clear();
  }
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<RunningDemoServer> {
  const log = options.log ?? (() => {});
  const streamable = new SessionTable<StreamableHTTPServerTransport>();
  const sse = new SessionTable<SSEServerTransport>();

  async function handleStreamableHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const header = req.headers['mcp-session-id'];
    const sessionId = Array.isArray(header) ? undefined : header;
    const existing = streamable.get(sessionId);
    if (existing) return existing.handleRequest(req, res);
    if (sessionId !== undefined) return jsonRpcError(res, 404, 'Session not found');
    if (req.method !== 'POST') return jsonRpcError(res, 400, 'Bad Request: no valid session ID provided');

    // A new session starts with an initialize request; anything else without a session is refused
    // before a server is created for it.
    const body = await readJsonBody(req);
    if (!isInitializeRequest(body)) return jsonRpcError(res, 400, 'Bad Request: no valid session ID provided');
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        streamable.add(id, transport);
        log({ event: 'session.opened', transport: 'streamable-http', session: id });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) {
        streamable.delete(transport.sessionId);
        log({ event: 'session.closed', transport: 'streamable-http', session: transport.sessionId });
      }
    };
    await newMcpServer().connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function handleSseStream(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const transport = new SSEServerTransport(MESSAGES_PATH, res);
    const id = transport.sessionId;
    sse.add(id, transport);
    transport.onclose = () => {
      sse.delete(id);
      log({ event: 'session.closed', transport: 'sse', session: id });
    };
    res.on('close', () => void transport.close());
    log({ event: 'session.opened', transport: 'sse', session: id });
    await newMcpServer().connect(transport); // starts the stream and sends the endpoint event
  }

  async function handleSseMessage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const transport = sse.get(url.searchParams.get('sessionId') ?? undefined);
    if (!transport) return jsonRpcError(res, 404, 'Session not found');
    await transport.handlePostMessage(req, res);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const path = url.pathname;
    if (path === '/health') {
      return req.method === 'GET' || req.method === 'HEAD' ? sendJson(res, 200, { status: 'ok' }) : sendJson(res, 405, { error: 'method not allowed' });
    }
    if (path === MCP_PATH || path.startsWith(`${MCP_PATH}/`)) return handleStreamableHttp(req, res);
    if (path === SSE_PATH) {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'GET opens the event stream; messages go to POST /messages' });
      return handleSseStream(req, res);
    }
    if (path === MESSAGES_PATH) {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'method not allowed' });
      return handleSseMessage(req, res, url);
    }
    sendJson(res, 404, { error: 'not found' });
  }

  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const status = err instanceof BodyError ? err.status : 500;
      log({ event: 'request.failed', path: req.url?.split('?')[0], status, message: (err as Error)?.message });
      if (!res.headersSent) jsonRpcError(res, status, status === 500 ? 'Internal server error' : (err as Error).message);
      else res.end();
    });
  });
  // Traefik keeps idle connections to a backend for 90 s by default; if the backend closes one
  // first (Node's default is 5 s), a request Traefik sends on it just then fails. Outlive it.
  server.keepAliveTimeout = UPSTREAM_KEEP_ALIVE_MS;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    sessions: () => ({ streamableHttp: streamable.size, sse: sse.size }),
    close: () =>
      (closing ??= (async () => {
        await Promise.all([streamable.closeAll(), sse.closeAll()]);
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })()),
  };
}
