// A Traefik process for one benchmark scenario: static configuration close to Traefik's defaults
// (log level ERROR, no access log, no file watch), the plugin laid out as a local plugin the way
// users install it, one `web` entrypoint for the load and an internal `traefik` entrypoint for
// ping and the API. Every scenario gets a fresh process so RSS figures belong to one scenario.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import { NOOP_MANIFEST, noopGuestWasm } from './noop-guest.js';
import { FETCH_TIMEOUT_MS, freePort, GiveUp, LOCALHOST, startProcess, waitUntil, type ManagedProcess } from './processes.js';

export const PLUGIN_NAME = 'mcpauth';
export const MODULE_NAME = 'github.com/mcpauth/mcpauth';
/** The control guest (lib/noop-guest.ts), declared next to the plugin in every scenario. */
export const NOOP_PLUGIN_NAME = 'benchnoop';
const NOOP_MODULE_NAME = 'github.com/mcpauth/benchnoop';

export interface BenchTraefikOptions {
  binary: string;
  workDir: string;
  /** Directory holding plugin.wasm; manifestFile is copied next to it as .traefik.yml. */
  pluginDir: string;
  manifestFile: string;
  dynamicConfig: Record<string, unknown>;
  /** Routers (names without @file) that must be enabled before the scenario starts. */
  routers: string[];
  readyTimeoutMs?: number;
  /** Traefik's log level (default ERROR, Traefik's own default). */
  logLevel?: string;
  /** Serve Go's pprof under /debug/pprof on the internal entrypoint (api.debug), for --profile. */
  debug?: boolean;
}

export interface BenchTraefik {
  url: string;
  /** Internal entrypoint: /ping, /api, and /debug/pprof with `debug`. */
  adminUrl: string;
  pid: number;
  process: ManagedProcess;
  logPath: string;
  stop(): Promise<void>;
}

interface ApiRouter {
  name: string;
  status?: string;
  error?: string[];
}

export async function startBenchTraefik(options: BenchTraefikOptions): Promise<BenchTraefik> {
  const { binary, workDir } = options;
  const pluginTarget = path.join(workDir, 'plugins-local', 'src', MODULE_NAME);
  await mkdir(pluginTarget, { recursive: true });
  await cp(path.join(options.pluginDir, 'plugin.wasm'), path.join(pluginTarget, 'plugin.wasm'));
  await cp(options.manifestFile, path.join(pluginTarget, '.traefik.yml'));
  const noopTarget = path.join(workDir, 'plugins-local', 'src', NOOP_MODULE_NAME);
  await mkdir(noopTarget, { recursive: true });
  await writeFile(path.join(noopTarget, 'plugin.wasm'), noopGuestWasm());
  await writeFile(path.join(noopTarget, '.traefik.yml'), NOOP_MANIFEST);

  const port = await freePort();
  let adminPort = await freePort();
  while (adminPort === port) adminPort = await freePort();
  const dynamicPath = path.join(workDir, 'dynamic.yml');
  const staticPath = path.join(workDir, 'traefik.yml');
  const logPath = path.join(workDir, 'traefik.log');
  const lifeCycle = { graceTimeOut: '1s', requestAcceptGraceTimeout: '0s' };
  // Every scenario declares both plugins, so all of them load the same static configuration; only
  // the router's middlewares differ. YAML reads JSON unchanged.
  const staticConfig = {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    entryPoints: {
      web: { address: `${LOCALHOST}:${port}`, transport: { lifeCycle } },
      traefik: { address: `${LOCALHOST}:${adminPort}`, transport: { lifeCycle } },
    },
    ping: { entryPoint: 'traefik' },
    api: { insecure: true, dashboard: false, ...(options.debug ? { debug: true } : {}) },
    providers: { file: { filename: dynamicPath, watch: false } },
    log: { level: options.logLevel ?? 'ERROR', filePath: logPath, noColor: true },
    experimental: { localPlugins: { [PLUGIN_NAME]: { moduleName: MODULE_NAME }, [NOOP_PLUGIN_NAME]: { moduleName: NOOP_MODULE_NAME } } },
  };
  await writeFile(staticPath, `${JSON.stringify(staticConfig, null, 2)}\n`);
  await writeFile(dynamicPath, `${JSON.stringify(options.dynamicConfig, null, 2)}\n`);

  const proc = startProcess('traefik', binary, [`--configFile=${staticPath}`], { cwd: workDir });
  const adminUrl = `http://${LOCALHOST}:${adminPort}`;
  const timeout = options.readyTimeoutMs ?? 60_000;
  try {
    await waitUntil('Traefik ping', timeout, async () => (await fetch(`${adminUrl}/ping`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })).ok, proc);
    let problems = '';
    await waitUntil(`routers ${options.routers.join(', ')}`, timeout, async () => {
      const routers = (await (await fetch(`${adminUrl}/api/http/routers`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) })).json()) as ApiRouter[];
      const byName = new Map(routers.map((r) => [r.name, r]));
      problems = '';
      for (const name of options.routers) {
        const router = byName.get(`${name}@file`);
        if (router?.status === 'disabled') throw new GiveUp(`router ${name} disabled: ${JSON.stringify(router.error ?? [])}`);
        if (router?.status !== 'enabled') problems += `${name}: ${router?.status ?? 'missing'}; `;
      }
      return problems === '';
    }, proc);
  } catch (error) {
    await proc.stop();
    throw error;
  }
  return { url: `http://${LOCALHOST}:${port}`, adminUrl, pid: proc.pid, process: proc, logPath, stop: () => proc.stop() };
}
