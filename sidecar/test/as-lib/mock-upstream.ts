// oauth2-mock-server standing in for Google on 127.0.0.1: a real OIDC provider process-local
// server with real keys. The user it "logs in" and any tampering of the next ID token are set
// per test.
import type { AddressInfo } from 'node:net';
import { OAuth2Server } from 'oauth2-mock-server';

export interface MockUser {
  sub: string;
  email?: string;
  email_verified?: unknown;
  name?: string;
}

type Payload = Record<string, unknown>;
type Header = Record<string, unknown>;

export interface MockUpstream {
  issuer: string;
  server: OAuth2Server;
  /** The user the next logins return (ID token claims). */
  user: MockUser;
  /** Email claims served by userinfo instead of the ID token when set. */
  userinfoOnly: boolean;
  /** Modifies the next ID token before it is signed. */
  tamperNextIdToken(fn: (header: Header, payload: Payload) => void): void;
  /** Damages the signature of the next ID token (one character in the middle of it). */
  corruptNextIdTokenSignature(): void;
  /** Count of authorization requests seen (to prove a flow did or did not reach the upstream). */
  authorizeRequests: URL[];
  stop(): Promise<void>;
}

export async function startMockUpstream(): Promise<MockUpstream> {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  server.issuer.url = `http://127.0.0.1:${port}`;

  let tamper: ((header: Header, payload: Payload) => void) | undefined;
  let corrupt = false;
  const mock: MockUpstream = {
    issuer: server.issuer.url,
    server,
    user: { sub: 'user-1', email: 'alice@example.com', email_verified: true, name: 'Alice' },
    userinfoOnly: false,
    tamperNextIdToken(fn) {
      tamper = fn;
    },
    corruptNextIdTokenSignature() {
      corrupt = true;
    },
    authorizeRequests: [],
    stop: () => server.stop(),
  };

  server.service.on('beforeTokenSigning', (token: { header: Header; payload: Payload }) => {
    const isIdToken = 'aud' in token.payload && !('amr' in token.payload);
    token.payload.sub = mock.user.sub;
    if (isIdToken) {
      if (!mock.userinfoOnly) {
        for (const claim of ['email', 'email_verified', 'name'] as const) {
          if (mock.user[claim] !== undefined) token.payload[claim] = mock.user[claim];
        }
      }
      if (tamper) {
        const fn = tamper;
        tamper = undefined;
        fn(token.header, token.payload);
      }
    }
  });
  server.service.on('beforeResponse', (response: { body: Payload }) => {
    if (corrupt && typeof response.body.id_token === 'string') {
      corrupt = false;
      const [h, p, sig] = response.body.id_token.split('.') as [string, string, string];
      const i = Math.floor(sig.length / 2);
      const swapped = sig[i] === 'A' ? 'B' : 'A';
      response.body.id_token = `${h}.${p}.${sig.slice(0, i)}${swapped}${sig.slice(i + 1)}`;
    }
  });
  server.service.on('beforeUserinfo', (response: { body: Payload }) => {
    response.body = { sub: mock.user.sub };
    for (const claim of ['email', 'email_verified', 'name'] as const) {
      if (mock.user[claim] !== undefined) response.body[claim] = mock.user[claim];
    }
  });
  server.service.on('beforeAuthorizeRedirect', (_redirect: unknown, req: { url?: string }) => {
    mock.authorizeRequests.push(new URL(req.url ?? '/', mock.issuer));
  });
  return mock;
}
