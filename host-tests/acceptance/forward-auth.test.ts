// forwardAuth mode: Traefik asks the sidecar's /auth about every MCP request instead of running
// the plugin. The official SDK client goes through the same discovery, registration and login,
// and the tools see the logged-in email, over Streamable HTTP (/mcp) and legacy SSE (/sse with
// /messages). The sidecar holds one policy per resource: the challenge at /sse names the /sse
// metadata (the SDK checks that its resource is a prefix of the URL it was given), and a token
// minted for one resource does not open the other.
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

describe('forwardAuth, legacy SSE', () => {
  it('the SDK logs in for the /sse resource; the /messages posts pass with that token; a /mcp token does not', async () => {
    const provider = new HeadlessOAuthProvider({ redirectUrl: REDIRECT, clientMetadata: { client_name: 'forwardAuth SSE client' } });
    const recorder = recordingFetch();
    const session = await connectMcp('sse', stack.urls.sse, provider, { fetch: recorder.fetch });
    sessions.push(session);
    const origin = new URL(stack.urls.sse).origin;

    // The challenge at /sse names the /sse metadata, whose resource is the /sse URL: the SDK
    // accepts it and asks for a token for that resource.
    expect(recorder.lines(0, 1)).toEqual(['GET /sse 401']);
    expect(recorder.exchanges[0]!.wwwAuthenticate).toBe(`Bearer resource_metadata="${origin}/.well-known/oauth-protected-resource/sse", scope="mcp:tools"`);
    expect(recorder.lines()).toContain('GET /.well-known/oauth-protected-resource/sse 200');
    const discovery = provider.discoveries.at(-1)!;
    expect(discovery.resourceMetadata?.resource).toBe(stack.urls.sse);
    expect(discovery.resourceMetadata?.authorization_servers).toEqual([stack.urls.authServer]);
    expect(provider.authorizations).toHaveLength(1);
    expect(provider.authorizations[0]!.url.searchParams.get('resource')).toBe(stack.urls.sse);
    const sseToken = provider.tokens()!.access_token;
    expect(decodeJwt(sseToken)).toMatchObject({ aud: stack.urls.sse, email: ALICE.email });

    // Tool calls are POSTs to /messages, judged by the /sse resource's policy.
    expect(await whoami(session)).toBe(ALICE.email);
    const headers = await session.client.callTool({ name: 'request_headers', arguments: {} });
    const received = (headers.structuredContent as { headers: Record<string, string> }).headers;
    expect(received['x-forwarded-user']).toBe(ALICE.email);
    expect(received).not.toHaveProperty('authorization');
    const posts = recorder.exchanges.filter((e) => e.method === 'POST' && e.url.pathname === '/messages');
    expect(posts.length).toBeGreaterThan(0);
    for (const post of posts) {
      expect(post.status).toBe(202);
      expect(post.authorization).toBe(`Bearer ${sseToken}`);
    }

    // The token is for /sse only, and a /mcp token does not open /sse or /messages.
    const refusedAtMcp = await fetch(stack.urls.mcp, { method: 'POST', headers: { authorization: `Bearer ${sseToken}`, 'content-type': 'application/json' }, body: '{}' });
    await refusedAtMcp.arrayBuffer();
    expect(refusedAtMcp.status).toBe(401);
    const mcpProvider = new HeadlessOAuthProvider({ redirectUrl: REDIRECT, clientMetadata: { client_name: 'forwardAuth client, /mcp' } });
    sessions.push(await connectMcp('streamable-http', stack.urls.mcp, mcpProvider));
    const mcpToken = mcpProvider.tokens()!.access_token;
    expect(decodeJwt(mcpToken).aud).toBe(stack.urls.mcp);
    for (const url of [stack.urls.sse, `${origin}/messages?sessionId=00000000-0000-0000-0000-000000000000`]) {
      const res = await fetch(url, { method: url.includes('/messages') ? 'POST' : 'GET', headers: { authorization: `Bearer ${mcpToken}`, accept: 'text/event-stream', 'content-type': 'application/json' }, ...(url.includes('/messages') ? { body: '{}' } : {}) });
      await res.body?.cancel();
      expect(res.status, url).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer error="invalid_token", error_description="audience not accepted", resource_metadata="${origin}/.well-known/oauth-protected-resource/sse", scope="mcp:tools"`);
    }
  });
});
