// forwardAuth mode: Traefik asks the sidecar's /auth about every MCP request instead of running
// the plugin. The official SDK client goes through the same discovery, registration and login,
// and the tools see the logged-in email.
//
// Streamable HTTP only: the sidecar's forwardAuth has one policy, whose resource is the first of
// RESOURCE (/mcp), so a challenge at /sse names the /mcp metadata and the SDK (rightly) refuses a
// resource that is not a prefix of its /sse URL.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMcp, whoami, type McpSession } from './lib/mcp-session.js';
import { HeadlessOAuthProvider } from './lib/oauth-provider.js';
import { recordingFetch } from './lib/recording-fetch.js';
import { startAcceptanceStack, type AcceptanceStack } from './lib/stack.js';

const REDIRECT = 'http://127.0.0.1:53684/callback';
const ALICE = { email: 'alice@example.com', email_verified: true };

let stack: AcceptanceStack;
const sessions: McpSession[] = [];

beforeAll(async () => {
  stack = await startAcceptanceStack({ mode: 'forwardAuth', devUser: ALICE });
});

afterAll(async () => {
  for (const session of sessions) await session.close().catch(() => undefined);
  await stack?.stop();
});

describe('forwardAuth, Streamable HTTP', () => {
  it('the SDK logs in through the sidecar-backed challenge; listTools and whoami work', async () => {
    const provider = new HeadlessOAuthProvider({ redirectUrl: REDIRECT, clientMetadata: { client_name: 'forwardAuth client' } });
    const recorder = recordingFetch();
    const session = await connectMcp('streamable-http', stack.urls.mcp, provider, { fetch: recorder.fetch });
    sessions.push(session);

    // The challenge is the sidecar's forwardAuth answer, passed through by Traefik; the
    // metadata it points at is served, and names the sidecar and the /mcp resource.
    const challenge = recorder.exchanges[0]!;
    expect(recorder.lines(0, 1)).toEqual(['POST /mcp 401']);
    expect(challenge.wwwAuthenticate).toBe(`Bearer resource_metadata="${new URL(stack.urls.mcp).origin}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools"`);
    expect(recorder.lines()).toContain('GET /.well-known/oauth-protected-resource/mcp 200');
    const discovery = provider.discoveries.at(-1)!;
    expect(discovery.resourceMetadata?.authorization_servers).toEqual([stack.urls.authServer]);
    expect(discovery.resourceMetadata?.resource).toBe(stack.urls.mcp);
    expect(provider.registrations).toHaveLength(1);
    expect(provider.authorizations).toHaveLength(1);
    expect(provider.authorizations[0]!.result.consentPages).toHaveLength(1);
    const claims = decodeJwt(provider.tokens()!.access_token);
    expect(claims.email).toBe(ALICE.email);
    expect(claims.aud).toBe(stack.urls.mcp);

    const tools = await session.client.listTools();
    expect(tools.tools.map((tool) => tool.name)).toContain('whoami');
    expect(await whoami(session)).toBe(ALICE.email);
    const headers = await session.client.callTool({ name: 'request_headers', arguments: {} });
    // Authorization is in authResponseHeaders: Traefik drops the client's token before the MCP server.
    expect((headers.structuredContent as { headers: Record<string, string> }).headers).not.toHaveProperty('authorization');
  });
});
