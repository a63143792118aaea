// The sidecar process: one node http server in front of oidc-provider.
//
//   /health, /metrics                       answered here (always at the root)
//   /auth and PROTECTED_PATH                forwardAuth (Traefik without wasm plugins); ?resource=<URL> pins the policy
//   /.well-known/oauth-protected-resource[<path of each RESOURCE>]  Protected Resource Metadata (forwardAuth setups)
//   /.well-known/*-configuration/<path>     RFC 8414 / OIDC metadata for an issuer with a path
//   <issuer path>/callback                  upstream login redirect URI
//   <issuer path>/interaction/...           login and consent
//   <issuer path>/register                  caps, rate limit and CORS, then the provider
//   <issuer path>/...                       oidc-provider
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Provider from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import type { DestinationStream } from 'pino';
import { ConfigError, type SidecarConfig } from './config.js';
import { FORWARD_AUTH_MAX_HEADER_BYTES, createForwardAuthHandler, createMetadataHandler } from './forward-auth/handler.js';
import { resourcePolicies } from './forward-auth/resource-policies.js';
import { BodyTooLarge } from './http/body.js';
import { clientAddress } from './http/client-address.js';
import { RateLimiter } from './http/rate-limit.js';
import { sendJson, sendOAuthError } from './http/respond.js';
import { LoginStore } from './interactions/login-store.js';
import { errorPage, sendHtml } from './interactions/pages.js';
import { createInteractionRoutes } from './interactions/routes.js';
import { startJwksFeed, traefikDynamicSnippet } from './keys/jwks-file.js';
import { loadSigningKeys } from './keys/keystore.js';
import { createLogger, type Logger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import { loadPolicyFile, policiesFromSidecarConfig } from './policy/index.js';
import type { PolicyConfig } from './policy/types.js';
import { AccountStore } from './provider/accounts.js';
import { createProvider } from './provider/create-provider.js';
import { ConsentIndex } from './provider/grants.js';
import { isStorageUnavailable, openStorage, StorageUnavailableError } from './storage/index.js';
import type { Storage } from './storage/types.js';
import { UpstreamLogin } from './upstream/upstream-login.js';

/** Registration requests are a few hundred bytes; anything near this is not a real client. */
export const REGISTRATION_BODY_LIMIT = 32 * 1024;
const SHUTDOWN_GRACE_MS = 10_000;
const COOKIE_KEYS_ENTRY = 'cookie-keys';

export interface SidecarOptions {
  /** Where JSON logs go (default stdout). */
  logDestination?: DestinationStream;
  logger?: Logger;
}

export interface RunningSidecar {
  /** Base URL the server listens on (http://host:port), not the issuer. */
  url: string;
  port: number;
  provider: Provider;
  storage: Storage;
  metrics: Metrics;
  log: Logger;
  close(): Promise<void>;
}

export async function startSidecar(config: SidecarConfig, options: SidecarOptions = {}): Promise<RunningSidecar> {
  const log = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const metrics = createMetrics();
  const storage = await openConfiguredStorage(config, log);
  const stops: Array<() => void> = [];
  try {
    const keys = await loadSigningKeys(storage, { alg: config.signingAlg });
    const cookieKeys = config.cookieKeys ?? (await persistedCookieKeys(storage));
    const staticClients = config.clientsFile ? await loadStaticClients(config.clientsFile) : [];
    const accounts = new AccountStore(new storage.adapter('Account'), config.refreshTokenTtl + 86_400);
    const consents = new ConsentIndex(new storage.adapter('ConsentIndex'), config.refreshTokenTtl);
    const provider = createProvider({
      config, adapter: storage.adapter, privateJwks: keys.privateJwks, cookieKeys, accounts, consents,
      staticClients, log, metrics,
    });
    const mountPath = new URL(config.issuer).pathname.replace(/\/$/, '');
    const upstream = new UpstreamLogin(config.upstream, `${config.issuer}/callback`);
    const interactions = createInteractionRoutes({
      provider,
      upstream,
      accounts,
      consents,
      logins: new LoginStore(new storage.adapter('UpstreamLogin')),
      trustedClientIds: new Set(staticClients.map((c) => c.client_id)),
      allowedEmails: config.allowedEmails,
      mountPath,
      csrfKey: Buffer.from(cookieKeys[0]!, 'utf8'),
      log,
      metrics,
    });
    const policies = await forwardAuthPolicies(config, keys.publicJwks);
    const forwardAuth = createForwardAuthHandler(policies, log, {
      onDecision: (decision) => {
        if (!decision.allow) metrics.denials.inc({ reason: `forward_auth:${decision.reason ?? 'unknown'}` });
      },
    });
    if (config.traefikSnippetFile) {
      // For Traefik setups without a mounted JWKS file: the plugin middleware with inline public
      // keys. Keys change only with `rotate-keys` + restart, so writing it at start is enough.
      // One middleware per resource (`mcpauth` for the first), each accepting only its own audience.
      const tmp = `${config.traefikSnippetFile}.${process.pid}.tmp`;
      await writeFile(tmp, traefikDynamicSnippet(policies, keys.publicJwks as never), { mode: 0o644 });
      await rename(tmp, config.traefikSnippetFile);
      log.info({ event: 'traefik_snippet.written', file: config.traefikSnippetFile }, 'Traefik dynamic-config snippet written');
    }
    if (config.jwksFile) {
      const feed = startJwksFeed({
        file: config.jwksFile,
        sidecarJwks: keys.publicJwks,
        // found through the upstream's discovery document, retried with backoff until it answers
        ...(config.jwksIncludeUpstream ? { upstreamJwksUri: () => upstream.jwksUri() } : {}),
        log,
      });
      stops.push(() => feed.stop());
    }

    const handler = createRequestHandler({
      config, provider, storage, metrics, log, mountPath, interactions, forwardAuth,
      metadata: createMetadataHandler(policies), isMetadataPath: resourcePolicies(policies).isMetadataPath,
      registrationLimiter: new RateLimiter(config.registrationRateLimit.count, config.registrationRateLimit.windowSeconds),
    });
    // forwardAuth must see oversized heads itself (to answer 414 / "token too large" exactly as the
    // plugin does) instead of Node's 431 at its default 16 KiB limit.
    const server = http.createServer({ maxHeaderSize: FORWARD_AUTH_MAX_HEADER_BYTES }, (req, res) => {
      handler(req, res).catch((err: unknown) => {
        log.error({ event: 'request.failed', err: { name: (err as Error)?.name, message: (err as Error)?.message } }, 'request failed');
        if (!res.headersSent) sendOAuthError(res, 500, 'server_error', 'internal error');
        else res.destroy();
      });
    });
    server.headersTimeout = 20_000;
    server.requestTimeout = 30_000;
    // Traefik keeps idle connections to a backend for 90 s by default; if the sidecar closed one
    // first (Node's default is 5 s), a request Traefik sends on it just then would fail.
    server.keepAliveTimeout = 95_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    log.info({ event: 'sidecar.started', port, issuer: config.issuer, storage: storage.kind }, 'sidecar listening');

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        for (const stop of stops) stop();
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
          force.unref();
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          server.closeIdleConnections();
        });
        await storage.close();
        log.info({ event: 'sidecar.stopped' }, 'sidecar stopped');
      })();
      return closing;
    };
    return { url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, port, provider, storage, metrics, log, close };
  } catch (err) {
    for (const stop of stops) stop();
    await storage.close().catch(() => {});
    throw err;
  }
}

/**
 * Redis, or SQLite in DATA_DIR. A first start creates DATA_DIR (mode 0700); rotate-keys does not,
 * so a mistyped path there fails instead of rotating keys nobody uses. A failure names the setting.
 */
async function openConfiguredStorage(config: SidecarConfig, log: Logger): Promise<Storage> {
  try {
    return await openStorage(config.redisUrl ? { redisUrl: config.redisUrl } : { dataDir: config.dataDir, createDataDir: true }, log);
  } catch (err) {
    if (!isStorageUnavailable(err)) throw err;
    throw new StorageUnavailableError(`${config.redisUrl ? 'REDIS_URL' : 'DATA_DIR'}: ${err.message}`, { cause: err });
  }
}

/** Cookie signing keys shared by every replica: the first one to start generates them. */
async function persistedCookieKeys(storage: Storage): Promise<string[]> {
  await storage.kv.setIfAbsent(COOKIE_KEYS_ENTRY, JSON.stringify([randomBytes(32).toString('base64url')]));
  const stored = await storage.kv.get(COOKIE_KEYS_ENTRY);
  const keys = stored ? (JSON.parse(stored) as unknown) : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'string')) {
    throw new Error('stored cookie keys are unreadable');
  }
  return keys as string[];
}

async function loadStaticClients(file: string): Promise<ClientMetadata[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('CLIENTS_FILE', 'ERR_CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((c) => typeof c === 'object' && c !== null && typeof c.client_id === 'string')) {
    throw new ConfigError('CLIENTS_FILE', 'ERR_CONFIG_INVALID', 'must be a JSON array of client metadata objects with client_id');
  }
  return parsed as ClientMetadata[];
}

/**
 * forwardAuth's policies: the POLICY_FILE document alone, or one per RESOURCE entry (each accepting
 * only tokens for its own resource; the first is the default, see forward-auth/resource-policies.ts).
 */
async function forwardAuthPolicies(config: SidecarConfig, publicJwks: { keys: object[] }): Promise<PolicyConfig[]> {
  try {
    if (config.policyFile) return [await loadPolicyFile(config.policyFile)];
    return policiesFromSidecarConfig({
      issuer: config.issuer,
      resources: [...config.resources],
      requiredScopes: config.requiredScopes,
      allowedEmails: config.allowedEmails,
      // The JWKS file follows key rotation done by another process; inline keys would not.
      ...(config.jwksFile ? { jwksFile: config.jwksFile } : { jwks: publicJwks as never }),
    });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('POLICY_FILE', 'ERR_CONFIG_INVALID', (err as Error).message);
  }
}

interface HandlerDeps {
  config: SidecarConfig;
  provider: Provider;
  storage: Storage;
  metrics: Metrics;
  log: Logger;
  mountPath: string;
  interactions: ReturnType<typeof createInteractionRoutes>;
  forwardAuth: (req: IncomingMessage, res: ServerResponse) => void;
  /** Protected Resource Metadata for forwardAuth setups (the plugin serves it itself). */
  metadata: (req: IncomingMessage, res: ServerResponse) => void;
  /** the bare well-known path and each resource's `/.well-known/oauth-protected-resource<path>` */
  isMetadataPath: (path: string) => boolean;
  registrationLimiter: RateLimiter;
}

const WELL_KNOWN = ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration'];
const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/consent|\/login)?$/;

function createRequestHandler(deps: HandlerDeps) {
  const { config, provider, mountPath, interactions } = deps;
  const providerCallback = provider.callback();

  const issuerUrl = new URL(config.issuer);

  /**
   * Hands the request to oidc-provider as if it were mounted at the issuer path. The library
   * builds endpoint URLs (metadata, redirects, cookie flags) from the request's host and scheme;
   * `handle` pins those to the issuer's, so the metadata always matches the issuer even when TLS
   * ends at Traefik and the request arrives here as plain http on an internal host name.
   */
  function toProvider(req: IncomingMessage, res: ServerResponse, providerPath: string): void {
    const original = req.url ?? '/';
    const query = original.includes('?') ? original.slice(original.indexOf('?')) : '';
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = mountPath + providerPath + query;
    req.url = providerPath + query;
    void providerCallback(req, res);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Nothing the sidecar serves may be framed (clickjacking of the consent page).
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "frame-ancestors 'none'");
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');

    const url = new URL(req.url ?? '/', 'http://sidecar.invalid');
    const path = url.pathname;

    if (path === '/health') return health(deps, res);
    if (path === '/metrics') return metricsEndpoint(deps, res);
    if (path === '/auth' || path === config.protectedPath) return deps.forwardAuth(req, res);
    if (deps.isMetadataPath(path)) return deps.metadata(req, res);

    // From here on oidc-provider (directly or through the interaction routes) sees the request.
    req.headers['x-forwarded-host'] = issuerUrl.host;
    req.headers['x-forwarded-proto'] = issuerUrl.protocol.slice(0, -1);
    if (!config.trustProxy) delete req.headers['x-forwarded-for'];

    // RFC 8414 §3.1 / OIDC path-suffixed metadata for an issuer with a path.
    if (mountPath && WELL_KNOWN.some((w) => path === w + mountPath)) {
      return toProvider(req, res, path.slice(0, -mountPath.length));
    }

    if (mountPath && path !== mountPath && !path.startsWith(`${mountPath}/`)) {
      return sendOAuthError(res, 404, 'not_found', 'no such endpoint');
    }
    const local = path.slice(mountPath.length) || '/';

    try {
      if (local === '/callback' && req.method === 'GET') return await interactions.callback(req, res, url);
      const interaction = INTERACTION.exec(local);
      if (interaction) {
        const [, uid, step] = interaction as unknown as [string, string, string | undefined];
        if (!step && req.method === 'GET') return await interactions.start(req, res, uid);
        if (step === '/consent' && req.method === 'POST') return await interactions.consent(req, res, uid);
        if (step === '/login' && req.method === 'GET') return await interactions.finishLogin(req, res, uid, url.searchParams.get('ref'));
        return sendHtml(res, 405, errorPage('Not allowed', 'This page cannot be used this way.'));
      }
    } catch (err) {
      if (isStorageUnavailable(err)) {
        deps.log.error({ event: 'storage.unavailable', path: local, reason: err.message }, 'storage unavailable');
        return sendHtml(res, 503, errorPage('Temporarily unavailable', 'The sign-in service cannot reach its storage. Try again in a minute.'));
      }
      if (err instanceof BodyTooLarge) return sendHtml(res, 413, errorPage('Request too large', 'The form was too large.'));
      throw err;
    }

    if (local === '/register') {
      if (!registrationGate(deps, req, res)) return;
    }
    toProvider(req, res, local);
  };
}

/**
 * Browser clients (MCP Inspector) register from a page: CORS is answered here because the
 * library has none on its registration route. Then the body cap and the per-address rate
 * limit. Returns false when the request was answered.
 */
function registrationGate(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (req.method === 'OPTIONS') {
    res.statusCode = 204;
    res.setHeader('Access-Control-Allow-Origin', origin ?? '*');
    res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Allow-Methods', 'POST');
    const requested = req.headers['access-control-request-headers'];
    if (requested) res.setHeader('Access-Control-Allow-Headers', requested);
    res.setHeader('Access-Control-Max-Age', '3600');
    res.end();
    return false;
  }
  if (origin) {
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Vary', 'Origin');
  }
  if (req.method !== 'POST') return true;
  const length = req.headers['content-length'];
  if (length === undefined) {
    sendOAuthError(res, 411, 'invalid_request', 'Content-Length required');
    return false;
  }
  if (!/^\d+$/.test(length) || Number(length) > REGISTRATION_BODY_LIMIT) {
    deps.metrics.denials.inc({ reason: 'registration_too_large' });
    sendOAuthError(res, 413, 'invalid_request', `registration body larger than ${REGISTRATION_BODY_LIMIT} bytes`);
    req.resume();
    return false;
  }
  const retryAfter = deps.registrationLimiter.hit(clientAddress(req, deps.config.trustProxy));
  if (retryAfter > 0) {
    deps.metrics.denials.inc({ reason: 'registration_rate_limited' });
    deps.log.warn({ event: 'registration.rate_limited' }, 'registration rate limit reached');
    sendOAuthError(res, 429, 'temporarily_unavailable', 'too many registrations from this address', { 'Retry-After': String(retryAfter) });
    req.resume();
    return false;
  }
  return true;
}

async function health(deps: HandlerDeps, res: ServerResponse): Promise<void> {
  try {
    await deps.storage.health();
    sendJson(res, 200, { status: 'ok', storage: deps.storage.kind });
  } catch (err) {
    deps.log.error({ event: 'health.storage_unavailable', message: (err as Error)?.message }, 'health check failed');
    sendJson(res, 503, { status: 'unavailable', storage: deps.storage.kind, error: 'storage unavailable' });
  }
}

async function metricsEndpoint(deps: HandlerDeps, res: ServerResponse): Promise<void> {
  const body = await deps.metrics.registry.metrics();
  res.statusCode = 200;
  res.setHeader('Content-Type', deps.metrics.registry.contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

