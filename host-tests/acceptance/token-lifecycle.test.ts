// Token lifetime with the official SDK client: when the access token expires the plugin answers
// 401 invalid_token and the SDK refreshes on its own (the refresh token rotates), with no new
// front channel; a revoked refresh token makes that refresh fail, so the SDK drops its tokens
// and runs a new authorization before the call goes through.
//
// ACCESS_TOKEN_TTL is the sidecar's minimum (60 s) and the plugin has no clock leeway, so one
// wait of about a minute expires every session this file opens in beforeAll.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectMcp, whoami, withReauthorization, type McpSession, type TransportKind } from './lib/mcp-session.js';
import { HeadlessOAuthProvider } from './lib/oauth-provider.js';
import { recordingFetch, type RecordingFetch } from './lib/recording-fetch.js';
import { startAcceptanceStack, type AcceptanceStack } from './lib/stack.js';

const ACCESS_TOKEN_TTL = 60;
const REDIRECT = 'http://127.0.0.1:53683/callback';
const ALICE = { email: 'alice@example.com', email_verified: true };

interface Client {
  provider: HeadlessOAuthProvider;
  recorder: RecordingFetch;
  session: McpSession;
}

let stack: AcceptanceStack;
const clients: Record<'streamable' | 'sse' | 'revoked', Client> = {} as never;

async function open(kind: TransportKind, url: string, name: string): Promise<Client> {
  const provider = new HeadlessOAuthProvider({ redirectUrl: REDIRECT, clientMetadata: { client_name: name } });
  const recorder = recordingFetch();
  const session = await connectMcp(kind, url, provider, { fetch: recorder.fetch });
  return { provider, recorder, session };
}

beforeAll(async () => {
  stack = await startAcceptanceStack({ accessTokenTtl: ACCESS_TOKEN_TTL, devUser: ALICE });
  clients.streamable = await open('streamable-http', stack.urls.mcp, 'Refresh over Streamable HTTP');
  clients.sse = await open('sse', stack.urls.sse, 'Refresh over SSE');
  clients.revoked = await open('streamable-http', stack.urls.mcp, 'Revoked refresh token');
  for (const client of Object.values(clients)) {
    const claims = decodeJwt(client.provider.tokens()!.access_token);
    expect(claims.exp! - claims.iat!).toBe(ACCESS_TOKEN_TTL);
    expect(await whoami(client.session)).toBe(ALICE.email);
  }
});

afterAll(async () => {
  for (const client of Object.values(clients)) await client.session.close().catch(() => undefined);
  await stack?.stop();
});

/** Resolves once the plugin (no leeway: expired when exp <= now) refuses the token. */
async function untilExpired(accessToken: string): Promise<void> {
  const wait = decodeJwt(accessToken).exp! * 1000 + 1000 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
}

describe.each([
  { name: 'streamable' as const, call: /^POST \/mcp (\d+)$/, accepted: 'POST /mcp 200' },
  { name: 'sse' as const, call: /^POST \/messages (\d+)$/, accepted: 'POST /messages 202' },
])('refresh after the access token expires ($name)', ({ name, call, accepted }) => {
  it('the SDK refreshes on the 401, the refresh token rotates, no new login', async () => {
    const { provider, recorder, session } = clients[name];
    const before = provider.tokens()!;
    const authorizations = provider.authorizations.length;
    await untilExpired(before.access_token);

    const mark = recorder.exchanges.length;
    expect(await whoami(session)).toBe(ALICE.email);

    // Over SSE the tool result arrives on the event stream, possibly before the 202 of the POST
    // that carried the call has been recorded: wait for the retried call's own response.
    await expect.poll(() => recorder.lines(mark).at(-1), { timeout: 10_000 }).toBe(accepted);
    const lines = recorder.lines(mark);
    const refused = recorder.exchanges[mark]!;
    expect(lines[0]).toMatch(call);
    expect(refused.status).toBe(401);
    expect(refused.authorization).toBe(`Bearer ${before.access_token}`);
    expect(refused.wwwAuthenticate).toContain('error="invalid_token"');
    expect(refused.wwwAuthenticate).toContain('error_description="token expired"');
    expect(lines.filter((line) => line.startsWith('POST /token'))).toEqual(['POST /token 200']);
    expect(lines.at(-1)).toBe(accepted);

    const after = provider.tokens()!;
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).toBeTruthy();
    expect(after.refresh_token).not.toBe(before.refresh_token);
    expect(decodeJwt(after.access_token).exp).toBeGreaterThan(Math.floor(Date.now() / 1000));
    expect(recorder.exchanges.at(-1)!.authorization).toBe(`Bearer ${after.access_token}`);
    expect(provider.authorizations).toHaveLength(authorizations);
    expect(provider.invalidations).toEqual([]);
  });
});

describe('revoked refresh token', () => {
  it('the refresh fails with invalid_grant; the SDK drops its tokens and authorizes again before the call succeeds', async () => {
    const { provider, recorder, session } = clients.revoked;
    const before = provider.tokens()!;
    const client = provider.clientInformation()!;
    const metadata = provider.discoveries.at(-1)!.authorizationServerMetadata as { revocation_endpoint?: string; token_endpoint: string };
    const revocationEndpoint = metadata.revocation_endpoint!;
    // The user revokes the client's access (RFC 7009; a public client authenticates with its id).
    const revoked = await fetch(revocationEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: before.refresh_token!, token_type_hint: 'refresh_token', client_id: client.client_id }),
    });
    expect(revoked.status).toBe(200);
    await untilExpired(before.access_token);

    const mark = recorder.exchanges.length;
    const { value: user, reauthorized } = await withReauthorization(session, provider, () => whoami(session));
    expect(user).toBe(ALICE.email);
    expect(reauthorized).toBe(true);

    // 401 (expired) -> refresh refused -> tokens dropped -> new front channel -> code exchange -> call.
    const lines = recorder.lines(mark);
    expect(lines[0]).toBe('POST /mcp 401');
    expect(lines.filter((line) => line.startsWith('POST /token'))).toEqual(['POST /token 400', 'POST /token 200']);
    expect(lines.at(-1)).toBe('POST /mcp 200');
    expect(provider.invalidations).toEqual(['tokens']);
    expect(provider.authorizations).toHaveLength(2);
    const again = provider.authorizations[1]!;
    expect(again.code).toBeTruthy();
    // Revoking the refresh token withdrew the client's grant: the user is asked to consent again.
    expect(again.result.consentPages.map((page) => page.scopes)).toEqual([['mcp:tools']]);
    expect(again.url.searchParams.get('client_id')).toBe(client.client_id);

    const after = provider.tokens()!;
    expect(after.access_token).not.toBe(before.access_token);
    expect(after.refresh_token).not.toBe(before.refresh_token);
    // The revoked refresh token stays dead.
    const reuse = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: before.refresh_token!, client_id: client.client_id }),
    });
    expect(reuse.status).toBe(400);
    expect(((await reuse.json()) as { error: string }).error).toBe('invalid_grant');
  });
});
