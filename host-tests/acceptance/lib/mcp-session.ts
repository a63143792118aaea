// The MCP SDK client as an application drives it: connect with an auth provider; when the SDK
// answers UnauthorizedError it has sent the user to the authorization server (our headless
// provider walked the browser through it and holds the code), so the application calls
// `transport.finishAuth(code)` and connects again with a new transport, as the SDK's own OAuth
// example client does.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { HeadlessOAuthProvider } from './oauth-provider.js';

export type TransportKind = 'streamable-http' | 'sse';

export interface McpSession {
  client: Client;
  transport: StreamableHTTPClientTransport | SSEClientTransport;
  /** Connection attempts answered with UnauthorizedError before one succeeded. */
  authorizationsDuringConnect: number;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** The transports' fetch (see recording-fetch.ts); the SDK uses it for the OAuth requests too. */
  fetch?: typeof fetch;
  /** Authorizations the connection may go through before giving up. */
  maxAuthorizations?: number;
}

function newTransport(kind: TransportKind, url: string, provider: HeadlessOAuthProvider, fetchFn?: typeof fetch) {
  const options = { authProvider: provider, ...(fetchFn ? { fetch: fetchFn } : {}) };
  return kind === 'sse' ? new SSEClientTransport(new URL(url), options) : new StreamableHTTPClientTransport(new URL(url), options);
}

/** Connects, completing as many authorizations as the SDK starts (at most `maxAuthorizations`). */
export async function connectMcp(kind: TransportKind, url: string, provider: HeadlessOAuthProvider, options: ConnectOptions = {}): Promise<McpSession> {
  const maxAuthorizations = options.maxAuthorizations ?? 2;
  for (let attempt = 0; ; attempt++) {
    const transport = newTransport(kind, url, provider, options.fetch);
    const client = new Client({ name: 'mcpauth-acceptance', version: '1.0.0' });
    try {
      await client.connect(transport);
      return { client, transport, authorizationsDuringConnect: attempt, close: () => client.close() };
    } catch (error) {
      await client.close().catch(() => undefined);
      if (!(error instanceof UnauthorizedError) || attempt >= maxAuthorizations) throw error;
      // Throws with the page the browser stopped at when the authorization brought no code.
      await transport.finishAuth(provider.takeCode());
    }
  }
}

/**
 * Runs `call` on a connected session; if the SDK answers UnauthorizedError mid-session (it
 * started a new authorization: step-up, or a refresh token that no longer works), finishes that
 * authorization on the same transport and runs `call` once more.
 */
export async function withReauthorization<T>(session: McpSession, provider: HeadlessOAuthProvider, call: () => Promise<T>): Promise<{ value: T; reauthorized: boolean }> {
  try {
    return { value: await call(), reauthorized: false };
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) throw error;
    await session.transport.finishAuth(provider.takeCode());
    return { value: await call(), reauthorized: true };
  }
}

/** The text of a tool result (the demo tools answer one text item). */
export function toolText(result: CallToolResult | Record<string, unknown>): string {
  const content = (result as CallToolResult).content ?? [];
  return content.map((item) => (item.type === 'text' ? item.text : '')).join('');
}

/** Calls `whoami`: the X-Forwarded-User the demo server received (null when none). */
export async function whoami(session: McpSession): Promise<string | null> {
  const result = (await session.client.callTool({ name: 'whoami', arguments: {} })) as CallToolResult;
  if (result.isError) throw new Error(`whoami failed: ${toolText(result)}`);
  return (result.structuredContent as { user: string | null } | undefined)?.user ?? null;
}
