// Requests to a local Traefik with the Host header the routers match on (fetch cannot set Host),
// and a minimal MCP Streamable HTTP client on top: initialize, then tools/call, as JSON-RPC.
import http from 'node:http';

export interface HostRequest {
  method?: string;
  path: string;
  host: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HostResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function requestVia(port: number, request: HostRequest, timeoutMs = 15_000): Promise<HostResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: request.host, ...request.headers };
    if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
    const req = http.request({ host: '127.0.0.1', port, method: request.method ?? 'GET', path: request.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`${request.method ?? 'GET'} ${request.path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** The JSON-RPC message of a response sent as JSON or as an event stream (`data:` lines). */
function jsonRpcOf(response: HostResponse): JsonRpcResponse {
  const type = String(response.headers['content-type'] ?? '');
  if (type.startsWith('application/json')) return JSON.parse(response.body) as JsonRpcResponse;
  const data = response.body.split('\n').filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim());
  if (data.length !== 1) throw new Error(`expected one event, got ${JSON.stringify(response.body)}`);
  return JSON.parse(data[0]!) as JsonRpcResponse;
}

export interface McpCallResult {
  status: number;
  response?: JsonRpcResponse;
  raw: HostResponse;
}

/** Opens a session at `path` (initialize + initialized) and calls one tool in it. */
export async function callTool(port: number, host: string, path: string, headers: Record<string, string>, tool: string): Promise<McpCallResult> {
  const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers };
  const initialize = await requestVia(port, {
    method: 'POST',
    path,
    host,
    headers: base,
    body: JSON.stringify({
      jsonrpc: '2.0', id: 1, method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'mcpauth-deploy-test', version: '0.0.0' } },
    }),
  });
  if (initialize.status !== 200) return { status: initialize.status, raw: initialize };
  const session = initialize.headers['mcp-session-id'];
  if (typeof session !== 'string') throw new Error('initialize answered without Mcp-Session-Id');
  const sessionHeaders = { ...base, 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' };
  const initialized = await requestVia(port, { method: 'POST', path, host, headers: sessionHeaders, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  if (initialized.status !== 202) return { status: initialized.status, raw: initialized };
  const call = await requestVia(port, {
    method: 'POST',
    path,
    host,
    headers: sessionHeaders,
    body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: tool, arguments: {} } }),
  });
  if (call.status !== 200) return { status: call.status, raw: call };
  return { status: call.status, response: jsonRpcOf(call), raw: call };
}
