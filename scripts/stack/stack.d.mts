// Types for scripts/stack/*.mjs (the local stack), for TypeScript tests that start it.
import type { OAuth2Server } from 'oauth2-mock-server';

export type StackMode = 'plugin' | 'forwardAuth';
export type ChildName = 'sidecar' | 'demo' | 'traefik';

export interface DevUser {
  email: string;
  /** default true */
  email_verified?: unknown;
  name?: string;
  /** default: derived from the email (one account per address) */
  sub?: string;
}

export interface UpstreamIdp {
  /** OpenID Connect issuer; omit for Google */
  issuer?: string;
  clientId: string;
  clientSecret?: string;
}

export interface StackPorts {
  /** Traefik web entrypoint: the public origin (issuer, MCP URLs). */
  traefik?: number;
  /** Traefik ping/API/dashboard entrypoint. */
  traefikAdmin?: number;
  sidecar?: number;
  demo?: number;
  /** dev identity provider (only with idp: 'dev') */
  idp?: number;
}

export interface StepUpPath {
  /** `/mcp/<name>`: same resource as /mcp, served by the demo server, needing `scopes` too. */
  path: string;
  scopes: string[];
}

export interface StackOptions {
  /** Fixed ports; a missing or 0 entry gets a free port. A busy fixed port fails with PortInUseError. */
  ports?: StackPorts;
  /** default 'dev': oauth2-mock-server in this process, signing in `devUser` without a password */
  idp?: 'dev' | UpstreamIdp;
  /** default 'plugin' */
  mode?: StackMode;
  /** sidecar/ (SQLite, keys), jwks/ (the mounted JWKS file), traefik/ (config, plugins-local), logs/ */
  dataDir: string;
  /** 0 debug, 1 info (default), 2 warnings: the sidecar's LOG_LEVEL, the plugin's logLevel, Traefik's log level */
  logLevel?: 0 | 1 | 2;
  /** REQUIRED_SCOPES of the sidecar and requiredScopes of every plugin middleware */
  requiredScopes?: string[];
  /** ALLOWED_SCOPES of the sidecar (required and step-up scopes are always added) */
  allowedScopes?: string[];
  /** ALLOWED_EMAILS of the sidecar and allowedEmails of every plugin middleware */
  allowedEmails?: string[];
  /** the dev identity provider's user (default dev@example.com, verified); change later with idp.setUser */
  devUser?: DevUser;
  /** plugin mode only: extra MCP paths under /mcp/ needing more scopes (403 step-up) */
  stepUpPaths?: StepUpPath[];
  /** merged over the options of every plugin middleware (e.g. { clockSkewSeconds: 0 }) */
  pluginOptions?: Record<string, unknown>;
  /** extra sidecar settings, e.g. { ACCESS_TOKEN_TTL: '60', CIMD_ALLOW_LOOPBACK: 'true' }; win over the stack's */
  sidecarEnv?: Record<string, string>;
  /** default: scripts/traefik/get-traefik.mjs */
  traefikBinary?: string;
  /** every line a child prints */
  onLog?: (name: ChildName, line: string) => void;
  /** a child ended while the stack was running (not during stop()) */
  onUnexpectedExit?: (name: ChildName, code: number | null, signal: string | null) => void;
  /** per readiness wait; default 60000 */
  readyTimeoutMs?: number;
}

export interface StackUrls {
  /** the public origin, http://127.0.0.1:<traefik port> */
  traefik: string;
  /** Streamable HTTP MCP URL (also the resource / token audience for it) */
  mcp: string;
  /** legacy SSE MCP URL (its own resource) */
  sse: string;
  /** the SSE transport's message endpoint */
  messages: string;
  /** the authorization server's issuer (= the public origin) */
  authServer: string;
  /** RFC 8414 metadata URL */
  asMetadata: string;
  /** Protected Resource Metadata URLs */
  prm: { mcp: string; sse: string };
  traefikAdmin: string;
  /** direct (not through Traefik) */
  sidecar: string;
  /** direct (not through Traefik) */
  demo: string;
  /** the dev identity provider's issuer, when it runs */
  idp?: string;
}

export interface DevIdp {
  issuer: string;
  port: number;
  server: OAuth2Server;
  clientId: string;
  clientSecret: string;
  readonly user: Required<Pick<DevUser, 'email' | 'sub'>> & DevUser;
  /** the user the next logins return */
  setUser(user: DevUser): void;
  /** authorization requests that reached the provider */
  logins: Array<{ at: Date; email: string; url: string }>;
  stop(): Promise<void>;
}

export interface RunningStack {
  mode: StackMode;
  urls: StackUrls;
  /** token audiences: mcp = urls.mcp, sse = urls.sse */
  resources: { mcp: string; sse: string };
  /** present with idp: 'dev' */
  idp?: DevIdp;
  /** the JWKS file the sidecar writes and the plugin reads */
  jwksFile: string;
  dataDir: string;
  ports: Required<Omit<StackPorts, 'idp'>> & { idp?: number };
  pids: Record<ChildName, number | undefined>;
  logFiles: Record<ChildName, string>;
  /** the last lines a child printed */
  logs(name: ChildName, lines?: number): string;
  /** stops Traefik, then the sidecar and the demo server, then the dev IdP; resolves when all are gone */
  stop(): Promise<void>;
}

export declare const repoRoot: string;
export declare const PORT_ROLES: Record<keyof StackPorts, string>;
export declare function startStack(options: StackOptions): Promise<RunningStack>;
export declare function traefikBinary(): Promise<string>;
