// Builds the oidc-provider instance: configuration as data plus the injected functions, then
// the few instance-level extensions MCP clients need. Everything here goes through the
// library's documented configuration and middleware hooks except one override on the
// provider's own Client class (see `pinLocalhostPorts`).
import Provider, { errors, interactionPolicy, type ClientMetadata, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { SidecarConfig } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { errorPage } from '../interactions/pages.js';
import { isStorageUnavailable } from '../storage/errors.js';
import { type AccountStore, createFindAccount } from './accounts.js';
import { EXTRA_CLIENT_PROPERTIES, createClientMetadataValidator } from './client-metadata.js';
import { type ConsentIndex, createLoadExistingGrant } from './grants.js';
import { createOutboundFetch } from './outbound-fetch.js';
import { isLocalhostHttp } from './redirect-uris.js';
import { createGetResourceServerInfo, type ResourcePolicy } from './resources.js';

/** OIDC scopes every deployment has, besides ALLOWED_SCOPES. */
const BASE_SCOPES = ['openid', 'offline_access'];
const AUTHORIZATION_CODE_TTL = 60;
const INTERACTION_TTL = 30 * 60;
const SESSION_TTL = 24 * 60 * 60;

export interface ProviderDeps {
  config: SidecarConfig;
  adapter: Configuration['adapter'];
  privateJwks: { keys: object[] };
  cookieKeys: string[];
  accounts: AccountStore;
  consents: ConsentIndex;
  staticClients: ClientMetadata[];
  log: Logger;
  metrics: Metrics;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config, log, metrics } = deps;
  const scopes = [...new Set([...BASE_SCOPES, ...config.allowedScopes])];
  const resourcePolicy: ResourcePolicy = {
    resources: config.resources,
    scopes: config.allowedScopes,
    accessTokenTtl: config.accessTokenTtl,
    signingAlg: config.signingAlg,
  };
  const mountPath = new URL(config.issuer).pathname.replace(/\/$/, '');

  const configuration: Configuration = {
    adapter: deps.adapter,
    jwks: deps.privateJwks as Configuration['jwks'],
    findAccount: createFindAccount(deps.accounts, config.allowedEmails),
    clients: deps.staticClients,
    scopes,
    claims: { openid: ['sub'] },
    cookies: {
      names: { session: 'mcpauth_session', interaction: 'mcpauth_interaction', resume: 'mcpauth_resume' },
      keys: deps.cookieKeys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    clientDefaults: {
      // MCP clients often omit grant_types yet expect refresh tokens.
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: config.signingAlg,
    },
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post'],
    enabledJWA: {
      idTokenSigningAlgValues: [config.signingAlg],
    },
    extraClientMetadata: {
      properties: [...EXTRA_CLIENT_PROPERTIES],
      validator: createClientMetadataValidator() as never,
    },
    responseTypes: ['code'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true, issueRegistrationAccessToken: false },
      revocation: {
        enabled: true,
        // RFC 7009 §2.1: a client may only revoke its own tokens. A public client asking for
        // another's token gets the usual 200 and nothing happens (no token probing).
        allowedPolicy: async (_ctx, client, token) => {
          if (token.clientId === client.clientId) return true;
          if (client.clientAuthMethod === 'none') return false;
          throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
        },
      },
      resourceIndicators: {
        enabled: true,
        // Clients that send no `resource` (2025-03-26 era) get the default MCP resource.
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? config.resources[0],
        useGrantedResource: () => true,
        getResourceServerInfo: createGetResourceServerInfo(resourcePolicy) as never,
      },
      clientIdMetadataDocument: { enabled: config.cimdEnabled, ack: 'draft-02' },
      userinfo: { enabled: false },
      rpInitiatedLogout: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
    },
    fetch: createOutboundFetch(config.cimdAllowLoopback) as never,
    fetchResponseBodyLimits: { 'client_id metadata document': 5 * 1024 },
    clientBasedCORS: (_ctx, origin, client) => {
      // Browser-based clients (MCP Inspector) call /token and /revoke from the page that owns
      // their redirect URI; no other origin may.
      if (origin === 'null') return false;
      return client.redirectUris?.some((uri) => URL.parse(uri)?.origin === origin) ?? false;
    },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // Refresh tokens outlive the browser session that created them; MCP clients refresh long
    // after the login window closed.
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    extraTokenClaims: async (_ctx, token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const account = await deps.accounts.find(token.accountId);
      if (!account) return undefined;
      return { email: account.email, email_verified: account.emailVerified };
    },
    ttl: {
      AccessToken: config.accessTokenTtl,
      AuthorizationCode: AUTHORIZATION_CODE_TTL,
      IdToken: config.accessTokenTtl,
      Interaction: INTERACTION_TTL,
      Session: SESSION_TTL,
      // Consent (the grant) lasts as long as a refresh token chain may; a chain never outlives
      // the grant, so a rotated refresh token keeps the remaining lifetime of its predecessor.
      Grant: config.refreshTokenTtl,
      RefreshToken: (ctx) => {
        const rotated = ctx?.oidc?.entities?.RotatedRefreshToken;
        if (rotated) return Math.max(1, rotated.remainingTTL);
        const grant = ctx?.oidc?.entities?.Grant;
        const grantLeft = grant?.exp ? grant.exp - Math.floor(Date.now() / 1000) : config.refreshTokenTtl;
        return Math.max(1, Math.min(config.refreshTokenTtl, grantLeft));
      },
    },
    interactions: {
      policy: consentPolicy(),
      url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}`,
    },
    loadExistingGrant: createLoadExistingGrant(deps.consents),
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.set('Cache-Control', 'no-store');
      ctx.body = errorPage(
        'Sign-in request refused',
        'The application sent a request this server cannot accept.',
        `${out.error}: ${out.error_description ?? ''}`,
      );
    },
    routes: {
      authorization: '/authorize',
      token: '/token',
      registration: '/register',
      revocation: '/revoke',
      jwks: '/jwks',
      userinfo: '/userinfo',
    },
    discovery: { service_documentation: undefined },
  };

  const provider = new Provider(config.issuer, configuration);
  // The HTTP layer pins X-Forwarded-Host/-Proto to the issuer (and drops X-Forwarded-For
  // unless TRUST_PROXY), so trusting them here is always safe.
  provider.proxy = true;
  pinLocalhostPorts(provider);
  provider.use(storageUnavailableAs503);
  provider.use(defaultScopeWhenNoneUsable(scopes, config));
  observe(provider, log, metrics);
  return provider;
}

/**
 * The base policy minus `native_client_prompt`, which asks native clients for consent on every
 * authorization. Consent here is recorded per (user, client) and the first authorization of
 * every dynamically registered or CIMD client always shows it (its grant starts empty).
 */
function consentPolicy() {
  const policy = interactionPolicy.base();
  policy.get('consent')!.checks.remove('native_client_prompt');
  return policy;
}

/**
 * oidc-provider lets a native client's loopback redirect URI vary its port for `localhost` too.
 * RFC 8252 §7.3 grants that to loopback IP literals only (§8.3: `localhost` is a name that may
 * resolve elsewhere), so an http://localhost redirect URI must match as registered.
 */
function pinLocalhostPorts(provider: Provider): void {
  const ClientClass = provider.Client as unknown as { prototype: { redirectUriAllowed(uri: string): boolean; redirectUris: string[] } };
  const original = ClientClass.prototype.redirectUriAllowed;
  ClientClass.prototype.redirectUriAllowed = function redirectUriAllowed(uri: string): boolean {
    if (typeof uri === 'string' && isLocalhostHttp(uri)) return this.redirectUris.includes(uri);
    return original.call(this, uri);
  };
}

/** Storage down (Redis, disk): 503 with a clear error instead of the library's 500. */
async function storageUnavailableAs503(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (!isStorageUnavailable(err)) throw err;
    ctx.state.storageUnavailable = true;
  }
  if (ctx.state.storageUnavailable) {
    ctx.status = 503;
    ctx.set('Retry-After', '5');
    ctx.set('Cache-Control', 'no-store');
    ctx.remove('Location');
    ctx.body = { error: 'temporarily_unavailable', error_description: 'storage unavailable' };
  }
}

/**
 * An authorization request asking for no scope this server knows (Claude and older clients may
 * send none) would end in access_denied ("no scope was granted"). Such requests are treated as
 * asking for REQUIRED_SCOPES, or `openid` when none are configured; unknown scopes are ignored
 * rather than refused.
 */
function defaultScopeWhenNoneUsable(known: readonly string[], config: SidecarConfig) {
  const knownSet = new Set(known);
  const fallback = config.requiredScopes.length ? [...config.requiredScopes] : ['openid'];
  return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    if (ctx.method === 'GET' && ctx.path === '/authorize') {
      const requested = typeof ctx.query.scope === 'string' ? ctx.query.scope.split(' ') : [];
      if (!requested.some((s) => knownSet.has(s) && s !== 'offline_access')) {
        const query = { ...ctx.query };
        query.scope = [...requested.filter((s) => s === 'offline_access'), ...fallback].join(' ');
        ctx.query = query;
      }
    }
    await next();
  };
}

/** Metrics and logs from provider events; events carry no token values, only names and ids. */
function observe(provider: Provider, log: Logger, metrics: Metrics): void {
  provider.on('server_error', (ctx: KoaContextWithOIDC, err: Error) => {
    if (isStorageUnavailable(err)) {
      ctx.state.storageUnavailable = true;
      // the message names the path or the Redis address (never its password) and the cause
      log.error({ event: 'storage.unavailable', path: ctx.path, reason: err.message }, 'storage unavailable');
      return;
    }
    log.error({ event: 'server_error', path: ctx.path, err: { name: err.name, message: err.message } }, 'provider error');
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
    metrics.tokensIssued.inc({ grant_type: grantType });
    log.info({ event: 'token.issued', grant_type: grantType, client_id: ctx.oidc.client?.clientId }, 'token issued');
  });
  // error_detail is the library's own wording ("refresh token already used"), never a value.
  const refused = (event: string) => (ctx: KoaContextWithOIDC, err: { error?: string; error_description?: string; error_detail?: string }) => {
    metrics.denials.inc({ reason: err.error ?? 'unknown' });
    log.info({ event, error: err.error, description: err.error_description, detail: err.error_detail, client_id: ctx.oidc?.client?.clientId }, 'request refused');
  };
  provider.on('grant.error', refused('token.refused'));
  provider.on('authorization.error', refused('authorization.refused'));
  provider.on('registration_create.error', refused('registration.refused'));
  provider.on('revocation.error', refused('revocation.refused'));
  provider.on('registration_create.success', (ctx: KoaContextWithOIDC, client: { clientId: string; applicationType?: string }) => {
    log.info({ event: 'client.registered', client_id: client.clientId, application_type: client.applicationType }, 'client registered');
  });
  provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
    log.warn({ event: 'grant.revoked', grant_id: grantId, route: ctx.oidc?.route }, 'grant revoked');
  });
}
