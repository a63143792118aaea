// The local stack (scripts/stack/stack.mjs) as the acceptance tests use it: Traefik with the
// plugin (or forwardAuth), the sidecar, the demo MCP server and the development IdP on
// 127.0.0.1, with the settings every acceptance file shares (mcp:tools required everywhere,
// /mcp/admin needing mcp:admin as well) and the few each file chooses.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildStack } from '../../../scripts/stack/build.mjs';
import { startStack, type DevUser, type RunningStack } from '../../../scripts/stack/stack.mjs';

export type { DevUser };

export const REQUIRED_SCOPE = 'mcp:tools';
export const ADMIN_SCOPE = 'mcp:admin';
/** Served by the demo server like /mcp; the plugin there also requires ADMIN_SCOPE (plugin mode). */
export const ADMIN_PATH = '/mcp/admin';

export interface AcceptanceStackOptions {
  mode?: 'plugin' | 'forwardAuth';
  /** The sidecar's ALLOWED_EMAILS and the plugin's allowedEmails. */
  allowedEmails?: string[];
  /** The first user the development IdP signs in. */
  devUser?: DevUser;
  /** The sidecar's ACCESS_TOKEN_TTL in seconds (60 at least); the plugin then gets no clock leeway. */
  accessTokenTtl?: number;
  /**
   * A CA file for Client ID Metadata Documents served on loopback: the sidecar trusts it
   * (NODE_EXTRA_CA_CERTS) and may fetch from 127.0.0.1 (the test-only CIMD_ALLOW_LOOPBACK).
   */
  cimdCaFile?: string;
}

export interface AcceptanceStack {
  urls: {
    /** Streamable HTTP through Traefik. */
    mcp: string;
    /** Legacy SSE through Traefik. */
    sse: string;
    /** Streamable HTTP through Traefik at ADMIN_PATH (plugin mode only). */
    adminMcp: string;
    /** The sidecar's issuer (the public origin: Traefik routes the AS paths to the sidecar). */
    authServer: string;
    /** The development IdP's issuer. */
    idp: string;
  };
  /** Changes the user the development IdP signs in next. */
  setUser(user: DevUser): void;
  /** The last lines of a process's log, for failure messages. */
  logs(name: 'sidecar' | 'demo' | 'traefik'): string;
  stop(): Promise<void>;
}

let built: Promise<void> | undefined;

/**
 * The sidecar and demo server bundles are rebuilt once per test process, so the stack runs the
 * current sources; the plugin comes from `npm run build`, as for the other end-to-end suites.
 */
function buildBundles(): Promise<void> {
  built ??= buildStack({ plugin: false });
  return built;
}

export async function startAcceptanceStack(options: AcceptanceStackOptions = {}): Promise<AcceptanceStack> {
  const mode = options.mode ?? 'plugin';
  await buildBundles();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-acceptance-'));
  const sidecarEnv: Record<string, string> = {};
  if (options.accessTokenTtl !== undefined) sidecarEnv.ACCESS_TOKEN_TTL = String(options.accessTokenTtl);
  if (options.cimdCaFile !== undefined) {
    sidecarEnv.CIMD_ALLOW_LOOPBACK = 'true';
    sidecarEnv.NODE_EXTRA_CA_CERTS = options.cimdCaFile;
  }
  let running: RunningStack;
  try {
    running = await startStack({
      dataDir,
      mode,
      requiredScopes: [REQUIRED_SCOPE],
      allowedScopes: [REQUIRED_SCOPE, ADMIN_SCOPE],
      ...(options.allowedEmails ? { allowedEmails: options.allowedEmails } : {}),
      ...(options.devUser ? { devUser: options.devUser } : {}),
      ...(mode === 'plugin' ? { stepUpPaths: [{ path: ADMIN_PATH, scopes: [ADMIN_SCOPE] }] } : {}),
      // Expiry tests wait for the token's own `exp`, not exp + the default 60 s leeway.
      ...(options.accessTokenTtl !== undefined ? { pluginOptions: { clockSkewSeconds: 0 } } : {}),
      sidecarEnv,
    });
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  const idp = running.idp!;
  return {
    urls: {
      mcp: running.urls.mcp,
      sse: running.urls.sse,
      adminMcp: `${running.urls.traefik}${ADMIN_PATH}`,
      authServer: running.urls.authServer,
      idp: idp.issuer,
    },
    setUser: (user) => idp.setUser(user),
    logs: (name) => running.logs(name, 60),
    async stop() {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
