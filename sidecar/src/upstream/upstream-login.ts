// Upstream login: the sidecar is an OpenID Connect relying party of Google (or OIDC_ISSUER).
// openid-client does the protocol: discovery, PKCE, state, nonce, and the ID token checks
// (issuer, audience, nonce, expiry, and - with non-repudiation checks on - the signature
// against the upstream JWKS). Nothing the upstream returns is ever handed to MCP clients.
import * as oidc from 'openid-client';
import type { UpstreamConfig } from '../config.js';

/** What one login attempt must remember between the redirect and the callback. */
export interface LoginTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** The identity the upstream vouched for. */
export interface UpstreamIdentity {
  issuer: string;
  subject: string;
  email: unknown;
  emailVerified: unknown;
  name?: string;
}

export class UpstreamError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UpstreamError';
    this.code = code;
  }
}

const REQUEST_TIMEOUT_SECONDS = 10;

export class UpstreamLogin {
  readonly #settings: UpstreamConfig;
  readonly #redirectUri: string;
  #config: Promise<oidc.Configuration> | undefined;

  constructor(settings: UpstreamConfig, redirectUri: string) {
    this.#settings = settings;
    this.#redirectUri = redirectUri;
  }

  get redirectUri(): string {
    return this.#redirectUri;
  }

  /** Discovery runs on first use and is retried on the next login if it failed. */
  #configuration(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const { issuer, clientId, clientSecret, allowInsecureHttp } = this.#settings;
      const execute = [oidc.enableNonRepudiationChecks];
      if (allowInsecureHttp) execute.push(oidc.allowInsecureRequests);
      this.#config = oidc
        .discovery(
          new URL(issuer),
          clientId,
          undefined,
          clientSecret ? oidc.ClientSecretPost(clientSecret) : oidc.None(),
          { execute, timeout: REQUEST_TIMEOUT_SECONDS },
        )
        .catch((cause: unknown) => {
          this.#config = undefined;
          throw new UpstreamError('UPSTREAM_DISCOVERY_FAILED', 'upstream provider discovery failed', { cause });
        });
    }
    return this.#config;
  }

  /**
   * The upstream's `jwks_uri` from its discovery document (for the JWKS file feed). Held to the
   * same transport rule as the issuer: https, or http on loopback when the issuer is.
   */
  async jwksUri(): Promise<string> {
    const uri = (await this.#configuration()).serverMetadata().jwks_uri;
    if (typeof uri !== 'string') throw new UpstreamError('UPSTREAM_NO_JWKS_URI', 'upstream discovery document has no jwks_uri');
    const url = URL.parse(uri);
    const loopback = url !== null && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (!url || !(url.protocol === 'https:' || (url.protocol === 'http:' && loopback && this.#settings.allowInsecureHttp))) {
      throw new UpstreamError('UPSTREAM_BAD_JWKS_URI', 'upstream jwks_uri must be an https URL');
    }
    return url.href;
  }

  newTransaction(): LoginTransaction {
    return {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
    };
  }

  async authorizationUrl(tx: LoginTransaction, loginHint?: string): Promise<URL> {
    const config = await this.#configuration();
    const params: Record<string, string> = {
      redirect_uri: this.#redirectUri,
      scope: this.#settings.scopes.join(' '),
      response_type: 'code',
      state: tx.state,
      nonce: tx.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(tx.codeVerifier),
      code_challenge_method: 'S256',
    };
    if (loginHint) params.login_hint = loginHint;
    return oidc.buildAuthorizationUrl(config, params);
  }

  /**
   * Redeems the code the upstream sent to /callback and returns the verified identity.
   * Email claims come from the ID token, or from userinfo when the ID token lacks them.
   */
  async complete(callbackUrl: URL, tx: LoginTransaction): Promise<UpstreamIdentity> {
    const config = await this.#configuration();
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        expectedState: tx.state,
        expectedNonce: tx.nonce,
        pkceCodeVerifier: tx.codeVerifier,
        idTokenExpected: true,
      });
    } catch (cause) {
      throw new UpstreamError('UPSTREAM_LOGIN_REJECTED', describe(cause), { cause });
    }
    const claims = tokens.claims()!;
    let email: unknown = claims.email;
    let emailVerified: unknown = claims.email_verified;
    if ((email === undefined || emailVerified === undefined) && config.serverMetadata().userinfo_endpoint) {
      try {
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        email ??= info.email;
        emailVerified ??= info.email_verified;
      } catch (cause) {
        throw new UpstreamError('UPSTREAM_USERINFO_FAILED', describe(cause), { cause });
      }
    }
    return {
      issuer: claims.iss,
      subject: claims.sub,
      email,
      emailVerified,
      name: typeof claims.name === 'string' ? claims.name : undefined,
    };
  }
}

/** A short reason safe to log: error codes and messages of openid-client carry no secrets. */
function describe(cause: unknown): string {
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${cause.message}` : cause.message;
  }
  return 'upstream login failed';
}
