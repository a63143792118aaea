// The development identity provider: oauth2-mock-server on 127.0.0.1, standing in for Google.
// It signs in whoever asks, without a password, as the configured user: for local development
// and tests only. The user can be changed at any time; the next login gets the new one.
import { createHash } from 'node:crypto';
import { OAuth2Server } from 'oauth2-mock-server';
import { LOCALHOST } from './ports.mjs';

export const DEV_CLIENT_ID = 'mcpauth-dev-client';
export const DEV_CLIENT_SECRET = 'mcpauth-dev-client-secret';
export const DEFAULT_DEV_USER = Object.freeze({ email: 'dev@example.com', email_verified: true, name: 'Dev User' });

const USER_CLAIMS = ['email', 'email_verified', 'name'];

/**
 * A stable subject per email, so one address is one account at the sidecar and two addresses
 * are two accounts.
 * @param {string} email
 */
export function devSubject(email) {
  return `dev-${createHash('sha256').update(email).digest('hex').slice(0, 24)}`;
}

/**
 * @param {{ email: string, email_verified?: unknown, name?: string, sub?: string }} user
 */
function normalizeUser(user) {
  if (!user || typeof user.email !== 'string' || user.email === '') throw new Error('dev user: email is required');
  return {
    sub: user.sub ?? devSubject(user.email),
    email: user.email,
    email_verified: 'email_verified' in user ? user.email_verified : true,
    ...(user.name !== undefined ? { name: user.name } : {}),
  };
}

/**
 * @param {{ port?: number, user?: { email: string, email_verified?: unknown, name?: string, sub?: string } }} [options]
 */
export async function startDevIdp(options = {}) {
  const server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(options.port ?? 0, LOCALHOST);
  const { port } = server.address();
  const issuer = `http://${LOCALHOST}:${port}`;
  server.issuer.url = issuer;

  let user = normalizeUser(options.user ?? DEFAULT_DEV_USER);
  const logins = [];

  server.service.on('beforeTokenSigning', (token) => {
    token.payload.sub = user.sub;
    // The ID token is the one with an audience (the client id) and no `amr` (access tokens).
    if ('aud' in token.payload && !('amr' in token.payload)) {
      for (const claim of USER_CLAIMS) {
        if (user[claim] === undefined) delete token.payload[claim];
        else token.payload[claim] = user[claim];
      }
    }
  });
  server.service.on('beforeUserinfo', (response) => {
    response.body = { sub: user.sub };
    for (const claim of USER_CLAIMS) if (user[claim] !== undefined) response.body[claim] = user[claim];
  });
  server.service.on('beforeAuthorizeRedirect', (_redirect, req) => {
    logins.push({ at: new Date(), email: user.email, url: new URL(req.url ?? '/', issuer).href });
  });

  return {
    issuer,
    port,
    server,
    clientId: DEV_CLIENT_ID,
    clientSecret: DEV_CLIENT_SECRET,
    /** The user the next logins return. */
    get user() {
      return { ...user };
    },
    /** Changes the user of the next logins (sub defaults to one derived from the email). */
    setUser(next) {
      user = normalizeUser(next);
    },
    /** Authorization requests that reached this provider, oldest first. */
    logins,
    stop: () => server.stop(),
  };
}
