// The sidecar as docker-compose.yml configures it, run in-process: loadConfig reads the compose
// environment unchanged; only where it listens and the container paths differ, each path moved
// into a temporary directory standing in for the named volume that holds it.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type SidecarConfig } from '../../../sidecar/src/config.js';
import { startSidecar, type RunningSidecar } from '../../../sidecar/src/server.js';
import { mountHolding, type ComposeService } from './compose.js';
import { PLUGIN_KEY, SERVICES, type DeployFiles, type Tree } from './deploy-files.js';
import { accessTokenClaims, sidecarSigner, type SignAccessToken } from './sidecar-token.js';
import { parsePluginMount } from './traefik-config.js';

export interface ComposeSidecar {
  sidecar: RunningSidecar;
  /** the configuration loadConfig reads from the compose environment (container paths, port) */
  config: SidecarConfig;
  /** temporary directory of each named volume of the compose file */
  volumeDirs: Map<string, string>;
  /** the JSON lines the sidecar logged */
  logs: string[];
  workDir: string;
  /** where a path inside a named volume of `service` is on this machine */
  hostPathFor(service: ComposeService, containerPath: string): string;
  /** Traefik's settings.mounts with the directories Traefik sees replaced by the volumes' stand-ins */
  pluginMounts(staticConfig: Tree, volumeOverrides?: Map<string, string>): string[];
  signAccessToken: SignAccessToken;
  /** a token the sidecar would issue to an allowed user: `alice@<first @domain of ALLOWED_EMAILS>` */
  allowedUserToken(overrides?: Record<string, unknown>): Promise<{ token: string; email: string }>;
  stop(): Promise<void>;
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startComposeSidecar(files: DeployFiles, name: string): Promise<ComposeSidecar> {
  const sidecarService = files.compose.services[SERVICES.sidecar]!;
  const traefikService = files.compose.services[SERVICES.traefik]!;
  const config = loadConfig(sidecarService.environment!);
  const workDir = await mkdtemp(path.join(os.tmpdir(), `mcpauth-deploy-${name}-`));
  const volumeDirs = new Map<string, string>();
  for (const volume of Object.keys(files.compose.volumes ?? {})) {
    const dir = path.join(workDir, 'volumes', volume);
    await mkdir(dir, { recursive: true });
    volumeDirs.set(volume, dir);
  }

  const hostPathFor = (service: ComposeService, containerPath: string): string => {
    const held = mountHolding(service, containerPath);
    if (!held) throw new Error(`${containerPath} is on no volume of the service (it would not survive a restart)`);
    if (held.mount.kind !== 'volume') throw new Error(`${containerPath} is on a bind mount, expected a named volume`);
    const dir = volumeDirs.get(held.mount.source);
    if (!dir) throw new Error(`volume ${held.mount.source} is not declared in docker-compose.yml`);
    return path.join(dir, held.relative);
  };

  const pluginMounts = (staticConfig: Tree, volumeOverrides = new Map<string, string>()): string[] =>
    (staticConfig.experimental.localPlugins[PLUGIN_KEY].settings.mounts as string[]).map(parsePluginMount).map((mount) => {
      const held = mountHolding(traefikService, mount.host);
      if (!held || held.mount.kind !== 'volume') throw new Error(`plugin mount ${mount.host} is not on a volume of the Traefik container`);
      const dir = volumeOverrides.get(held.mount.source) ?? volumeDirs.get(held.mount.source)!;
      return `${path.join(dir, held.relative)}:${mount.guest}${mount.readOnly ? ':ro' : ''}`;
    });

  const logs: string[] = [];
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  let sidecar: RunningSidecar;
  try {
    sidecar = await startSidecar(
      { ...config, host: '127.0.0.1', port: 0, dataDir: hostPathFor(sidecarService, config.dataDir), jwksFile: hostPathFor(sidecarService, config.jwksFile!) },
      { logDestination: logDestination as never },
    );
  } catch (error) {
    await rm(workDir, { recursive: true, force: true });
    throw error;
  }
  const jwksOnDisk = hostPathFor(sidecarService, config.jwksFile!);
  await waitFor(`the sidecar writing ${jwksOnDisk}`, () => existsSync(jwksOnDisk));
  const signAccessToken = await sidecarSigner(sidecar, config);

  return {
    sidecar,
    config,
    volumeDirs,
    logs,
    workDir,
    hostPathFor,
    pluginMounts,
    signAccessToken,
    async allowedUserToken(overrides = {}) {
      const domain = config.allowedEmails.find((entry) => entry.startsWith('@'));
      if (!domain) throw new Error('ALLOWED_EMAILS has no @domain entry');
      const email = `alice${domain}`;
      return { email, token: await signAccessToken(accessTokenClaims(config, email, overrides)) };
    },
    async stop() {
      await sidecar.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

