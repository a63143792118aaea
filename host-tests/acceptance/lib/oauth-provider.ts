// A headless OAuthClientProvider for the official MCP TypeScript SDK client (1.32): the SDK does
// discovery, registration, PKCE, the token requests and refreshes; this provider keeps what it is
// asked to keep (in memory, stored unchanged as the SDK requires) and plays the user in
// `redirectToAuthorization` with a HeadlessBrowser. The authorization code it brings back is
// handed to `transport.finishAuth(code)` by the caller (see mcp-session.ts), exactly as a desktop
// client does when its loopback redirect listener receives the code.
//
// Like a careful client, it checks what the SDK leaves to the application: the `state` it sent
// comes back unchanged, and `iss` (RFC 9207) names the authorization server discovery found.
import { randomBytes } from 'node:crypto';
import type { OAuthClientProvider, OAuthDiscoveryState } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { HeadlessBrowser, type ConsentDecision, type FrontChannelResult } from './browser.js';

export type CredentialScope = 'all' | 'client' | 'tokens' | 'verifier' | 'discovery';

/** One run of the front channel, started by the SDK through redirectToAuthorization. */
export interface AuthorizationRun {
  /** The authorization request URL the SDK built. */
  url: URL;
  /** What the browser went through. */
  result: FrontChannelResult;
  /** The state this provider sent (undefined if the SDK did not ask for one). */
  sentState?: string;
  /** The code, when the redirect came back with one whose state and iss checked out. */
  code?: string;
  /** Why no code was taken (error from the AS, state or iss mismatch, stopped at a page). */
  failure?: string;
}

export interface HeadlessProviderOptions {
  /** Loopback redirect URI; nothing needs to listen there, the browser stops before it. */
  redirectUrl: string;
  /** Merged over the default metadata (public client, code + refresh_token grants). */
  clientMetadata?: Partial<OAuthClientMetadata>;
  /** An https URL: the SDK then uses it as client_id (Client ID Metadata Document) when the AS supports that. */
  clientMetadataUrl?: string;
  /** The user's browser; shared between providers to model one user with several clients. */
  browser?: HeadlessBrowser;
  /** What the user answers on consent pages. */
  consent?: ConsentDecision;
}

export class HeadlessOAuthProvider implements OAuthClientProvider {
  readonly browser: HeadlessBrowser;
  readonly clientMetadataUrl?: string;
  consent: ConsentDecision;
  /** Every front-channel run, in order. */
  readonly authorizations: AuthorizationRun[] = [];
  /** Every `invalidateCredentials` call the SDK made. */
  readonly invalidations: CredentialScope[] = [];
  /** Every token set the SDK saved (the latest last). */
  readonly savedTokens: OAuthTokens[] = [];
  /** Every discovery result the SDK reported. */
  readonly discoveries: OAuthDiscoveryState[] = [];
  /** Registrations saved by the SDK (DCR responses, or the CIMD URL as client_id). */
  readonly registrations: OAuthClientInformationMixed[] = [];

  readonly #redirectUrl: string;
  readonly #metadata: OAuthClientMetadata;
  #client?: OAuthClientInformationMixed;
  #tokens?: OAuthTokens;
  #verifier?: string;
  #state?: string;
  #pendingCode?: string;

  constructor(options: HeadlessProviderOptions) {
    this.#redirectUrl = options.redirectUrl;
    this.clientMetadataUrl = options.clientMetadataUrl;
    this.browser = options.browser ?? new HeadlessBrowser();
    this.consent = options.consent ?? 'allow';
    this.#metadata = {
      client_name: 'mcpauth acceptance client',
      redirect_uris: [options.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...options.clientMetadata,
    };
  }

  get redirectUrl(): string {
    return this.#redirectUrl;
  }

  get clientMetadata(): OAuthClientMetadata {
    return this.#metadata;
  }

  state(): string {
    this.#state = randomBytes(16).toString('base64url');
    return this.#state;
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.#client;
  }

  saveClientInformation(information: OAuthClientInformationMixed): void {
    this.#client = information;
    this.registrations.push(information);
  }

  tokens(): OAuthTokens | undefined {
    return this.#tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.#tokens = tokens;
    this.savedTokens.push(tokens);
  }

  saveCodeVerifier(verifier: string): void {
    this.#verifier = verifier;
  }

  codeVerifier(): string {
    if (!this.#verifier) throw new Error('no PKCE code verifier saved');
    return this.#verifier;
  }

  saveDiscoveryState(state: OAuthDiscoveryState): void {
    this.discoveries.push(state);
  }

  invalidateCredentials(scope: CredentialScope): void {
    this.invalidations.push(scope);
    if (scope === 'all' || scope === 'client') this.#client = undefined;
    if (scope === 'all' || scope === 'tokens') this.#tokens = undefined;
    if (scope === 'all' || scope === 'verifier') this.#verifier = undefined;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    const sentState = this.#state;
    this.#state = undefined;
    const result = await this.browser.walk(url, (target) => isRedirectTarget(target, this.#redirectUrl), this.consent);
    const run: AuthorizationRun = { url, result, sentState };
    this.authorizations.push(run);
    if (!result.callback) {
      run.failure = `stopped at ${result.page?.status} ${result.page?.url.href}`;
      return;
    }
    const query = result.callback.searchParams;
    const expectedIssuer = this.discoveries.at(-1)?.authorizationServerMetadata?.issuer;
    if (query.get('state') !== (sentState ?? null)) run.failure = 'state mismatch';
    else if (expectedIssuer !== undefined && query.get('iss') !== expectedIssuer) run.failure = `iss ${query.get('iss')} is not ${expectedIssuer}`;
    else if (query.has('error')) run.failure = `${query.get('error')}: ${query.get('error_description') ?? ''}`;
    else if (!query.get('code')) run.failure = 'no code';
    else {
      run.code = query.get('code')!;
      this.#pendingCode = run.code;
    }
  }

  /** The code of the last front-channel run (once); throws with what happened when there is none. */
  takeCode(): string {
    const code = this.#pendingCode;
    this.#pendingCode = undefined;
    if (code) return code;
    const last = this.authorizations.at(-1);
    const page = last?.result.page;
    throw new Error(
      last
        ? `the authorization brought back no code: ${last.failure}${page ? `\n${page.html.slice(0, 600)}` : ''}`
        : 'the SDK never started an authorization',
    );
  }
}

/** The redirect URI is reached when scheme, host, port and path match (the query carries the answer). */
function isRedirectTarget(url: URL, redirectUri: string): boolean {
  const expected = new URL(redirectUri);
  return url.origin === expected.origin && url.pathname === expected.pathname;
}
