// End to end with the official MCP TypeScript SDK client through Traefik and the plugin: the
// SDK discovers the authorization server from the 401, registers (DCR, or a Client ID Metadata
// Document served on loopback), authorizes with PKCE, the user logs in at the development IdP
// and consents, and the tools answer with the logged-in email. Also: 403 step-up to a path that
// needs another scope, and a user outside the allowlist who gets a clear page and no token.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageText } from './lib/browser.js';
import { startCimdServer, type CimdServer } from './lib/cimd-server.js';
import { connectMcp, whoami, type McpSession } from './lib/mcp-session.js';
import { HeadlessOAuthProvider } from './lib/oauth-provider.js';
import { recordingFetch } from './lib/recording-fetch.js';
import { startAcceptanceStack, type AcceptanceStack } from './lib/stack.js';

// Loopback redirect URIs (RFC 8252 §7.3): nothing listens, the headless browser stops there.
const REDIRECT = 'http://127.0.0.1:53682/callback';
const ALICE = { email: 'alice@example.com', email_verified: true };
const MALLORY = { email: 'mallory@evil.example', email_verified: true };
const DEMO_TOOLS = ['random_number', 'request_headers', 'whoami'];
/** Paths of the MCP transports (the authorization server shares their origin). */
const MCP_PATHS = ['/mcp', '/sse', '/messages'];

let stack: AcceptanceStack;
let cimd: CimdServer;
const sessions: McpSession[] = [];

beforeAll(async () => {
  cimd = await startCimdServer();
  stack = await startAcceptanceStack({ allowedEmails: ['@example.com'], devUser: ALICE, cimdCaFile: cimd.caFile });
});

afterAll(async () => {
  for (const session of sessions) await session.close().catch(() => undefined);
  await stack?.stop();
  await cimd?.stop();
});

function resourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  return `${url.origin}/.well-known/oauth-protected-resource${url.pathname}`;
}

/** `lines` contains every pattern, in this order (other lines may come between). */
function expectInOrder(lines: string[], patterns: RegExp[]): void {
  let at = 0;
  for (const pattern of patterns) {
    const found = lines.findIndex((line, i) => i >= at && pattern.test(line));
    expect(found, `${pattern} after line ${at} in:\n${lines.join('\n')}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

function isAt(url: URL, base: string): boolean {
  return url.origin === new URL(base).origin;
}

describe.each([
  { kind: 'streamable-http' as const, url: () => stack.urls.mcp, request: /^POST \/mcp 401$/, ok: /^POST \/mcp 200$/ },
  { kind: 'sse' as const, url: () => stack.urls.sse, request: /^GET \/sse 401$/, ok: /^POST \/messages 202$/ },
])('$kind: discovery, DCR, PKCE, upstream login, consent, token, tools', ({ kind, url, request, ok }) => {
  it('the SDK logs in and the tools see the logged-in email', async () => {
    stack.setUser(ALICE);
    const provider = new HeadlessOAuthProvider({ redirectUrl: REDIRECT, clientMetadata: { client_name: `Acceptance ${kind}` } });
    const recorder = recordingFetch();
    const session = await connectMcp(kind, url(), provider, { fetch: recorder.fetch });
    sessions.push(session);
    const resource = url();
    expect(session.authorizationsDuringConnect).toBe(1);

    // Discovery: 401 with resource_metadata -> PRM -> AS metadata -> registration; then, after
    // the front channel, the code exchange and the same request again with the token.
    const first = recorder.exchanges[0]!;
    expect(`${first.method} ${first.url.pathname} ${first.status}`).toMatch(request);
    expect(first.wwwAuthenticate).toContain(`resource_metadata="${resourceMetadataUrl(resource)}"`);
    expect(first.wwwAuthenticate).toContain('scope="mcp:tools"');
    expectInOrder(recorder.lines(), [
      request,
      new RegExp(`^GET ${new URL(resourceMetadataUrl(resource)).pathname} 200$`),
      /^GET \/\.well-known\/oauth-authorization-server 200$/,
      /^POST \/register 201$/,
      /^POST \/token 200$/,
      ok,
    ]);
    const discovery = provider.discoveries.at(-1)!;
    expect(discovery.resourceMetadata?.resource).toBe(resource);
    expect(discovery.authorizationServerUrl).toBe(stack.urls.authServer);
    expect(discovery.authorizationServerMetadata?.issuer).toBe(stack.urls.authServer);

    // DCR: a public client, its redirect URI echoed.
    expect(provider.registrations).toHaveLength(1);
    const client = provider.registrations[0]!;
    expect(client).toMatchObject({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'none' });
    expect(client.client_secret).toBeUndefined();

    // The authorization request: PKCE S256, the resource from the PRM, the scope from the challenge.
    expect(provider.authorizations).toHaveLength(1);
    const run = provider.authorizations[0]!;
    const params = run.url.searchParams;
    expect(run.url.href.startsWith(`${stack.urls.authServer}/authorize?`)).toBe(true);
    expect(params.get('client_id')).toBe(client.client_id);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('resource')).toBe(resource);
    expect(params.get('scope')).toBe('mcp:tools');
    expect(params.get('redirect_uri')).toBe(REDIRECT);

    // The front channel went to the upstream IdP and back to the sidecar's /callback, then consent.
    const visited = run.result.visited;
    const upstreamLogin = visited.findIndex((u) => isAt(u, stack.urls.idp) && u.pathname === '/authorize');
    expect(upstreamLogin, visited.map((u) => u.href).join('\n')).toBeGreaterThan(0);
    expect(visited.findIndex((u) => isAt(u, stack.urls.authServer) && u.pathname === '/callback')).toBeGreaterThan(upstreamLogin);
    expect(run.result.consentPages).toHaveLength(1);
    const consent = run.result.consentPages[0]!;
    expect(consent.clientName).toBe(`Acceptance ${kind}`);
    expect(consent.redirectTarget).toBe('127.0.0.1:53682 (an application on this computer)');
    expect(consent.scopes).toEqual(['mcp:tools']);
    expect(run.failure).toBeUndefined();
    expect(run.result.callback!.searchParams.get('iss')).toBe(stack.urls.authServer);

    // The tokens: a JWT for this resource and user, and a refresh token.
    const tokens = provider.tokens()!;
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect(tokens.refresh_token).toBeTruthy();
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ iss: stack.urls.authServer, email: ALICE.email, client_id: client.client_id });
    expect([claims.aud].flat()).toContain(resource);
    expect(String(claims.scope).split(' ')).toContain('mcp:tools');

    // The tools, through Traefik and the plugin.
    const tools = await session.client.listTools();
    expect(tools.tools.map((tool) => tool.name).sort()).toEqual(DEMO_TOOLS);
    expect(await whoami(session)).toBe(ALICE.email);
    const headers = await session.client.callTool({ name: 'request_headers', arguments: {} });
    const received = (headers.structuredContent as { headers: Record<string, string> }).headers;
    expect(received['x-forwarded-user']).toBe(ALICE.email);
    expect(received).not.toHaveProperty('authorization'); // the token never reaches the MCP server
    const served = recorder.exchanges.filter((e) => MCP_PATHS.includes(e.url.pathname) && e.status < 300);
    expect(served.length).toBeGreaterThan(0);
    for (const exchange of served) expect(exchange.authorization).toBe(`Bearer ${tokens.access_token}`);
  });
});

describe('Client ID Metadata Document', () => {
  it('the SDK uses its metadata URL as client_id; the sidecar fetches it over https and no registration happens', async () => {
    stack.setUser(ALICE);
    const documentUrl = cimd.publish('/clients/acceptance.json', (url) => ({
      client_id: url,
      client_name: 'Acceptance CIMD client',
      client_uri: cimd.origin,
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    }));
    const provider = new HeadlessOAuthProvider({ redirectUrl: REDIRECT, clientMetadataUrl: documentUrl });
    const recorder = recordingFetch();
    const session = await connectMcp('streamable-http', stack.urls.mcp, provider, { fetch: recorder.fetch });
    sessions.push(session);

    expect(provider.discoveries.at(-1)!.authorizationServerMetadata?.client_id_metadata_document_supported).toBe(true);
    expect(recorder.lines().filter((line) => line.startsWith('POST /register'))).toEqual([]);
    expect(provider.registrations.map((r) => r.client_id)).toEqual([documentUrl]);
    const run = provider.authorizations[0]!;
    expect(run.url.searchParams.get('client_id')).toBe(documentUrl);
    expect(cimd.requests).toContain('/clients/acceptance.json');
    // The consent page names the client as its document describes it.
    expect(run.result.consentPages.map((page) => page.clientName)).toEqual(['Acceptance CIMD client']);
    expect(decodeJwt(provider.tokens()!.access_token).client_id).toBe(documentUrl);
    expect(await whoami(session)).toBe(ALICE.email);
  });
});

describe('403 step-up', () => {
  it('a token without mcp:admin gets 403 insufficient_scope at the admin path; the SDK re-authorizes with the new scope', async () => {
    stack.setUser(ALICE);
    // No refresh_token grant: SDK 1.32 answers a 403 insufficient_scope by refreshing when it
    // holds a refresh token (a refresh cannot widen the scope, so it then gives up); without one
    // it runs the new authorization the step-up needs.
    const provider = new HeadlessOAuthProvider({
      redirectUrl: REDIRECT,
      clientMetadata: { client_name: 'Acceptance step-up', grant_types: ['authorization_code'] },
    });
    const base = await connectMcp('streamable-http', stack.urls.mcp, provider);
    sessions.push(base);
    expect(await whoami(base)).toBe(ALICE.email);
    const firstToken = provider.tokens()!;
    expect(firstToken.refresh_token).toBeUndefined();
    expect(String(decodeJwt(firstToken.access_token).scope).split(' ')).not.toContain('mcp:admin');

    // Same resource (the admin path lies under /mcp), same client, same token: the plugin answers 403.
    const recorder = recordingFetch();
    const admin = await connectMcp('streamable-http', stack.urls.adminMcp, provider, { fetch: recorder.fetch });
    sessions.push(admin);
    const refusal = recorder.exchanges[0]!;
    expect(refusal.status).toBe(403);
    expect(refusal.authorization).toBe(`Bearer ${firstToken.access_token}`);
    expect(refusal.wwwAuthenticate).toContain('error="insufficient_scope"');
    expect(refusal.wwwAuthenticate).toContain('scope="mcp:tools mcp:admin"');

    // The SDK authorized again asking for both scopes; the user consented to the new one only,
    // without logging in at the IdP again (the sidecar's session cookie).
    expect(provider.authorizations).toHaveLength(2);
    const stepUp = provider.authorizations[1]!;
    expect(stepUp.url.searchParams.get('scope')).toBe('mcp:tools mcp:admin');
    expect(stepUp.result.consentPages.map((page) => page.scopes)).toEqual([['mcp:admin']]);
    expect(stepUp.result.visited.every((u) => isAt(u, stack.urls.authServer))).toBe(true);
    expect(provider.registrations).toHaveLength(1);
    const secondToken = provider.tokens()!;
    expect(String(decodeJwt(secondToken.access_token).scope).split(' ')).toEqual(expect.arrayContaining(['mcp:tools', 'mcp:admin']));
    expect(await whoami(admin)).toBe(ALICE.email);
    // The wider token still works on the base path.
    expect(await whoami(base)).toBe(ALICE.email);
  });
});

describe('allowlist', () => {
  it('a user outside ALLOWED_EMAILS sees an "Access denied" page after the IdP login and gets no token', async () => {
    stack.setUser(MALLORY);
    try {
      const provider = new HeadlessOAuthProvider({ redirectUrl: REDIRECT });
      const recorder = recordingFetch();
      await expect(connectMcp('streamable-http', stack.urls.mcp, provider, { fetch: recorder.fetch })).rejects.toThrow(/brought back no code/);

      expect(provider.authorizations).toHaveLength(1);
      const run = provider.authorizations[0]!;
      const page = run.result.page!;
      expect(run.result.callback).toBeUndefined();
      expect(page.status).toBe(403);
      expect(page.url.origin).toBe(stack.urls.authServer);
      expect(page.url.pathname).toBe('/callback');
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      const text = pageText(page.html);
      expect(text).toContain('Access denied');
      expect(text).toContain('This account is not allowed to use this service.');
      expect(text).toContain(`Signed in as ${MALLORY.email}.`);
      // No consent page, no code, no token request, no token.
      expect(run.result.consentPages).toEqual([]);
      expect(recorder.lines().filter((line) => line.startsWith('POST /token'))).toEqual([]);
      expect(provider.savedTokens).toEqual([]);
    } finally {
      stack.setUser(ALICE);
    }
  });
});
