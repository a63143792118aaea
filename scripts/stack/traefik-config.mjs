// Traefik configuration of the local stack, as plain data (written as JSON, which YAML reads).
//
//   web entrypoint (the public origin; issuer and MCP URLs use it)
//     MCP routes  /mcp, /mcp/*           -> cors -> auth (plugin, resource <origin>/mcp) -> demo
//                 /sse, /messages        -> cors -> auth (plugin, resource <origin>/sse) -> demo
//                 step-up paths /mcp/x   -> cors -> auth (plugin, resource <origin>/mcp, more scopes) -> demo
//                 (forwardAuth mode: a forwardAuth middleware per resource instead, to the sidecar's
//                 /auth?resource=<origin>/mcp and /auth?resource=<origin>/sse, and the metadata
//                 documents from the sidecar)
//     AS routes   discovery, /authorize, /token, /register, /revoke, /jwks, /callback,
//                 /interaction/*         -> sidecar, no auth
//   traefik entrypoint (ping, API, dashboard)
//
// /mcp and /sse are separate resources because MCP clients check that the resource named in
// the Protected Resource Metadata is a prefix of the URL they were given (the SDK's
// checkResourceAllowed): an SSE client at /sse refuses metadata for /mcp.
export const PLUGIN_NAME = 'mcpauth';
export const MODULE_NAME = 'github.com/mcpauth/mcpauth';
/** Where the plugin sees the sidecar's JWKS directory (settings.mounts). */
export const GUEST_JWKS_DIR = '/jwks';
export const JWKS_FILE_NAME = 'jwks.json';
export const PRM_PATH = '/.well-known/oauth-protected-resource';

/** Paths the sidecar serves to clients and browsers (checked against sidecar/src/server.ts). */
export const AS_EXACT_PATHS = [
  '/.well-known/oauth-authorization-server',
  '/.well-known/openid-configuration',
  '/authorize',
  '/token',
  '/register',
  '/revoke',
  '/jwks',
  '/callback',
];
/** oidc-provider resumes an authorization at /authorize/<uid>; login and consent pages live under /interaction/. */
export const AS_PREFIXES = ['/authorize/', '/interaction/'];

export const MCP_PATH = '/mcp';
export const SSE_PATH = '/sse';
export const MESSAGES_PATH = '/messages';

const TRAEFIK_LOG_LEVELS = { 0: 'DEBUG', 1: 'INFO', 2: 'WARN' };

const path = (p) => `Path(\`${p}\`)`;
const prefix = (p) => `PathPrefix(\`${p}\`)`;
const anyOf = (rules) => rules.join(' || ');

/**
 * @param {{ webPort: number, adminPort: number, dynamicConfigFile: string, jwksDir: string, logLevel: 0|1|2 }} o
 */
export function staticConfig(o) {
  // Short grace periods keep Ctrl-C quick; a dev stack has no in-flight requests worth waiting for.
  const lifeCycle = { graceTimeOut: '1s', requestAcceptGraceTimeout: '0s' };
  return {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    entryPoints: {
      web: { address: `127.0.0.1:${o.webPort}`, transport: { lifeCycle } },
      traefik: { address: `127.0.0.1:${o.adminPort}`, transport: { lifeCycle } },
    },
    ping: { entryPoint: 'traefik' },
    api: { insecure: true, dashboard: true },
    providers: { file: { filename: o.dynamicConfigFile, watch: true } },
    log: { level: TRAEFIK_LOG_LEVELS[o.logLevel] ?? 'INFO', noColor: true },
    experimental: {
      localPlugins: {
        [PLUGIN_NAME]: { moduleName: MODULE_NAME, settings: { mounts: [`${o.jwksDir}:${GUEST_JWKS_DIR}:ro`] } },
      },
    },
  };
}

/** The resources (token audiences) the stack protects, one per MCP URL family. */
export function resourcesFor(origin) {
  return { mcp: `${origin}${MCP_PATH}`, sse: `${origin}${SSE_PATH}` };
}

/** Step-up paths: under /mcp/ (so MCP clients accept the /mcp resource for them), no dot segments. */
export function checkStepUpPaths(stepUpPaths) {
  for (const entry of stepUpPaths) {
    const p = entry?.path;
    if (typeof p !== 'string' || !/^\/mcp\/[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/.test(p) || /(^|\/)\.\.?(\/|$)/.test(p)) {
      throw new Error(`stepUpPaths: path must look like /mcp/<name>, got ${JSON.stringify(p)}`);
    }
    if (!Array.isArray(entry.scopes) || entry.scopes.length === 0 || !entry.scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
      throw new Error(`stepUpPaths: ${p}: scopes must be a non-empty list of scope tokens`);
    }
  }
}

const unique = (items) => [...new Set(items)];

/**
 * @param {object} o
 * @param {'plugin'|'forwardAuth'} o.mode
 * @param {string} o.origin         public origin (http://127.0.0.1:<web port>): issuer and resources
 * @param {string} o.demoUrl
 * @param {string} o.sidecarUrl
 * @param {string[]} o.requiredScopes
 * @param {string[]} o.allowedEmails
 * @param {{ path: string, scopes: string[] }[]} o.stepUpPaths
 * @param {Record<string, unknown>} o.pluginOptions  merged over every plugin middleware's options
 * @param {0|1|2} o.logLevel
 */
export function dynamicConfig(o) {
  const resources = resourcesFor(o.origin);
  const routers = {};
  const middlewares = { cors: corsMiddleware() };
  const services = {
    demo: { loadBalancer: { servers: [{ url: o.demoUrl }] } },
    sidecar: { loadBalancer: { servers: [{ url: o.sidecarUrl }] } },
  };

  routers['auth-server'] = {
    entryPoints: ['web'],
    rule: anyOf([...AS_EXACT_PATHS.map(path), ...AS_PREFIXES.map(prefix)]),
    service: 'sidecar',
    priority: 100,
  };

  const mcpRule = anyOf([path(MCP_PATH), prefix(`${MCP_PATH}/`)]);
  const sseRule = anyOf([path(SSE_PATH), path(MESSAGES_PATH)]);

  if (o.mode === 'plugin') {
    const plugin = (resource, requiredScopes) => ({
      plugin: {
        [PLUGIN_NAME]: {
          resource,
          issuers: [{ issuer: o.origin, jwksFile: `${GUEST_JWKS_DIR}/${JWKS_FILE_NAME}` }],
          // An empty list is a configuration error for the plugin ("protect nothing" by accident).
          ...(requiredScopes.length ? { requiredScopes } : {}),
          ...(o.allowedEmails.length ? { allowedEmails: o.allowedEmails } : {}),
          logLevel: o.logLevel,
          ...o.pluginOptions,
        },
      },
    });
    middlewares['mcp-auth'] = plugin(resources.mcp, o.requiredScopes);
    middlewares['sse-auth'] = plugin(resources.sse, o.requiredScopes);
    // The plugin answers its own metadata documents, so their paths go through it.
    routers.mcp = route(anyOf([mcpRule, path(PRM_PATH), path(`${PRM_PATH}${MCP_PATH}`)]), 'mcp-auth');
    routers.sse = route(anyOf([sseRule, path(`${PRM_PATH}${SSE_PATH}`)]), 'sse-auth');
    o.stepUpPaths.forEach((entry, i) => {
      middlewares[`step-up-${i}-auth`] = plugin(resources.mcp, unique([...o.requiredScopes, ...entry.scopes]));
      routers[`step-up-${i}`] = { ...route(anyOf([path(entry.path), prefix(`${entry.path}/`)]), `step-up-${i}-auth`), priority: 200 };
    });
  } else {
    if (o.stepUpPaths.length) throw new Error('stepUpPaths need mode "plugin": forwardAuth has one policy per resource, with the same scopes');
    // The sidecar holds one policy per RESOURCE entry. Each router's address names its resource:
    // the /sse router also carries /messages, a path no resource URL covers, so choosing by the
    // forwarded path alone would give it the first resource (/mcp) and refuse the /sse token.
    const forwardAuth = (resource) => ({
      forwardAuth: {
        address: `${o.sidecarUrl}/auth?resource=${resource}`,
        // Traefik deletes these from the client's request and copies the sidecar's values:
        // a spoofed X-Forwarded-User never reaches the MCP server, nor does the client's token.
        authResponseHeaders: ['X-Forwarded-User', 'Authorization'],
      },
    });
    middlewares['mcp-auth'] = forwardAuth(resources.mcp);
    middlewares['sse-auth'] = forwardAuth(resources.sse);
    routers.mcp = route(mcpRule, 'mcp-auth');
    routers.sse = route(sseRule, 'sse-auth');
    // The sidecar serves each resource's metadata document itself (a forwardAuth 2xx cannot
    // carry a response body); the bare path names the first resource (/mcp), as in plugin mode.
    routers.prm = {
      entryPoints: ['web'],
      rule: anyOf([path(PRM_PATH), path(`${PRM_PATH}${MCP_PATH}`), path(`${PRM_PATH}${SSE_PATH}`)]),
      middlewares: ['cors'],
      service: 'sidecar',
      priority: 100,
    };
  }

  return { http: { routers, middlewares, services } };

  function route(rule, authMiddleware) {
    return { entryPoints: ['web'], rule, middlewares: ['cors', authMiddleware], service: 'demo', priority: 100 };
  }
}

/**
 * Browser-based MCP clients (MCP Inspector in direct mode) call the MCP URL cross-origin: Traefik
 * answers their preflights and exposes the headers they must read (the challenge, the session).
 */
function corsMiddleware() {
  return {
    headers: {
      accessControlAllowOriginList: ['*'],
      accessControlAllowMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'],
      accessControlAllowHeaders: ['Authorization', 'Content-Type', 'Accept', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID'],
      accessControlExposeHeaders: ['WWW-Authenticate', 'Mcp-Session-Id'],
      accessControlMaxAge: 3600,
    },
  };
}
