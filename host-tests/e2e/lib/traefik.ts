// Runs a real Traefik (binary from scripts/traefik/get-traefik.mjs) around the plugin for end-to-end
// tests, plus a tiny upstream that echoes what reached it.
//
// Traefik is started with cwd = workDir because it looks for local plugins in
// ./plugins-local/src/<moduleName>/ relative to its working directory. Its static configuration is
// generated (entrypoint `web` on a free port, an internal entrypoint `traefik` on another free port
// for ping + API, the file provider watching the dynamic configuration, DEBUG logs to a file) and
// the caller's staticConfig is merged over it. Config files are written as YAML; an object is
// written as JSON, which YAML reads unchanged.
import { spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, rename, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { freePort } from '../../../scripts/stack/ports.mjs';

export interface LocalPlugin {
  /** Plugin key: `experimental.localPlugins.<name>` and `middlewares.<mw>.plugin.<name>`. */
  name: string;
  /** Module name: Traefik reads the plugin from ./plugins-local/src/<moduleName>/. */
  moduleName: string;
  /** Directory holding `.traefik.yml` and the wasm file; copied into the plugin directory. */
  srcDir: string;
  /** Use this `.traefik.yml` instead of the one in srcDir (e.g. the repo-root manifest). */
  manifestFile?: string;
  /** settings.mounts: "hostDir", "hostDir:guestDir", optional ":ro". */
  mounts?: string[];
  /** settings.envs: names of environment variables the guest may see. */
  envs?: string[];
}

export interface StartTraefikOptions {
  binary: string;
  /** Traefik's working directory; config, logs and plugins-local/ are written here. */
  workDir: string;
  /** Merged over the generated static configuration (objects merge, other values replace). */
  staticConfig?: Record<string, unknown>;
  /** Dynamic configuration: YAML text, or an object written as JSON. */
  dynamicConfig: string | Record<string, unknown>;
  localPlugins?: LocalPlugin[];
  /** Environment for Traefik (merged over process.env), e.g. variables listed in envs. */
  env?: Record<string, string>;
  /**
   * Routers (names as in the dynamic configuration, without `@file`) that must be enabled before
   * startTraefik returns. Default: every router found in an object dynamicConfig; none for text.
   */
  waitForRouters?: string[];
  /** How long to wait for Traefik to be ready. */
  readyTimeoutMs?: number;
}

export interface RunningTraefik {
  /** Base URL of the `web` entrypoint, e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** Base URL of the internal `traefik` entrypoint (ping at /ping, API at /api/...). */
  adminUrl: string;
  dynamicConfigPath: string;
  logPath: string;
  /**
   * Rewrites the dynamic configuration and resolves once Traefik logs that it received it (the
   * file provider watches the file). Handlers are swapped right after that line, and every wasm
   * middleware gets fresh guest instances even if its own options did not change: poll for the
   * effect you expect rather than assuming it is already live.
   */
  writeDynamicConfig(config: string | Record<string, unknown>, timeoutMs?: number): Promise<void>;
  /** GET on the API (e.g. `/api/http/routers/web@file`); resolves to parsed JSON, or null on 404. */
  api<T = unknown>(apiPath: string): Promise<T | null>;
  /** Resolves once every named router (without `@file`) is enabled; rejects with their errors on timeout. */
  waitForRouters(names: string[], timeoutMs?: number): Promise<void>;
  /** Traefik's log file followed by whatever it printed on stdout/stderr. */
  logs(): string;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

const LOCALHOST = '127.0.0.1';
const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;

/** A free TCP port on 127.0.0.1 (one implementation for every test and script: scripts/stack/ports.mjs). */
export { freePort };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return out;
}

function toYaml(config: string | Record<string, unknown>): string {
  return typeof config === 'string' ? config : `${JSON.stringify(config, null, 2)}\n`;
}

// Writes through a temporary file and a rename so the file provider never reads half a file.
async function writeAtomically(file: string, text: string): Promise<void> {
  const partial = `${file}.partial`;
  await writeFile(partial, text);
  await rename(partial, file);
}

function routerNames(config: string | Record<string, unknown>): string[] {
  if (typeof config === 'string') return [];
  const httpSection = config.http;
  if (!isPlainObject(httpSection) || !isPlainObject(httpSection.routers)) return [];
  return Object.keys(httpSection.routers);
}

async function layOutPlugin(workDir: string, plugin: LocalPlugin): Promise<void> {
  const target = path.join(workDir, 'plugins-local', 'src', plugin.moduleName);
  await mkdir(target, { recursive: true });
  await cp(plugin.srcDir, target, { recursive: true });
  if (plugin.manifestFile) await cp(plugin.manifestFile, path.join(target, '.traefik.yml'));
}

function generatedStaticConfig(
  port: number,
  adminPort: number,
  dynamicConfigPath: string,
  logPath: string,
  plugins: LocalPlugin[],
): Record<string, unknown> {
  // A short grace period keeps stop() fast; tests never rely on in-flight requests surviving stop.
  const lifeCycle = { graceTimeOut: '1s', requestAcceptGraceTimeout: '0s' };
  const config: Record<string, unknown> = {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    entryPoints: {
      web: { address: `${LOCALHOST}:${port}`, transport: { lifeCycle } },
      traefik: { address: `${LOCALHOST}:${adminPort}`, transport: { lifeCycle } },
    },
    ping: { entryPoint: 'traefik' },
    api: { insecure: true, dashboard: false },
    providers: { file: { filename: dynamicConfigPath, watch: true } },
    log: { level: 'DEBUG', filePath: logPath, noColor: true },
  };
  if (plugins.length > 0) {
    const localPlugins: Record<string, unknown> = {};
    for (const plugin of plugins) {
      const settings: Record<string, unknown> = {};
      if (plugin.mounts) settings.mounts = plugin.mounts;
      if (plugin.envs) settings.envs = plugin.envs;
      localPlugins[plugin.name] = { moduleName: plugin.moduleName, ...(Object.keys(settings).length ? { settings } : {}) };
    }
    config.experimental = { localPlugins };
  }
  return config;
}

class RouterNotEnabled extends Error {}

interface ApiRouter {
  name: string;
  status?: string;
  error?: string[];
}

export async function startTraefik(options: StartTraefikOptions): Promise<RunningTraefik> {
  const { binary, workDir, localPlugins = [] } = options;
  await mkdir(workDir, { recursive: true });
  for (const plugin of localPlugins) await layOutPlugin(workDir, plugin);

  const port = await freePort();
  let adminPort = await freePort();
  while (adminPort === port) adminPort = await freePort();
  const dynamicConfigPath = path.join(workDir, 'dynamic.yml');
  const staticConfigPath = path.join(workDir, 'traefik.yml');
  const logPath = path.join(workDir, 'traefik.log');

  const staticConfig = deepMerge(
    generatedStaticConfig(port, adminPort, dynamicConfigPath, logPath, localPlugins),
    options.staticConfig ?? {},
  );
  await writeFile(staticConfigPath, toYaml(staticConfig));
  await writeAtomically(dynamicConfigPath, toYaml(options.dynamicConfig));

  let stdio = '';
  const child: ChildProcess = spawn(binary, [`--configFile=${staticConfigPath}`], {
    cwd: workDir,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (stdio += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stdio += chunk.toString()));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });
  let spawnError: Error | null = null;
  child.on('error', (error) => (spawnError = error));

  const url = `http://${LOCALHOST}:${port}`;
  const adminUrl = `http://${LOCALHOST}:${adminPort}`;

  const logs = (): string => {
    let file = '';
    try {
      file = readFileSync(logPath, 'utf8');
    } catch {
      // Not written yet.
    }
    return stdio ? `${file}\n--- stdout/stderr ---\n${stdio}` : file;
  };

  const stop = async (): Promise<void> => {
    if (spawnError || exited || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exitPromise;
    clearTimeout(killTimer);
  };

  const api = async <T>(apiPath: string): Promise<T | null> => {
    const response = await fetch(`${adminUrl}${apiPath}`);
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`Traefik API ${apiPath} answered ${response.status}`);
    return (await response.json()) as T;
  };

  // Error-level lines first (a plugin that fails to load says so early, long before the tail),
  // then the end of the log for context.
  const fail = (message: string): Error => {
    const text = logs();
    const errors = findLogLines(text, /\s(ERR|FTL|PNC)\s/).join('\n');
    return new Error(`${message}\n--- Traefik errors ---\n${errors}\n--- Traefik log tail ---\n${text.slice(-8000)}`);
  };

  const waitUntil = async (what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (spawnError) throw fail(`Traefik ${binary} did not start: ${(spawnError as Error).message}`);
      if (exited) throw fail(`Traefik exited (${JSON.stringify(exited)}) while waiting for ${what}`);
      // Connection errors mean "not yet"; RouterNotEnabled means "never", so it ends the wait.
      const done = await check().catch((error: unknown) => {
        if (error instanceof RouterNotEnabled) throw error;
        return false;
      });
      if (done) return;
      if (Date.now() > deadline) throw fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  // At startup a disabled router is final (there is no older configuration it could be left
  // over from), so the wait ends at once. After a rewrite the API may still show the previous
  // configuration's disabled router for a moment, so the public waitForRouters keeps polling.
  const waitForRoutersUntil = async (names: string[], timeoutMs: number, disabledIsFinal: boolean): Promise<void> => {
    let lastErrors: string[] = [];
    try {
      await waitUntil(`routers ${names.join(', ')}`, timeoutMs, async () => {
        const routers = (await api<ApiRouter[]>('/api/http/routers')) ?? [];
        const byName = new Map(routers.map((router) => [router.name, router]));
        lastErrors = [];
        let disabled = false;
        for (const name of names) {
          const router = byName.get(`${name}@file`);
          if (!router) return false;
          if (router.status !== 'enabled') lastErrors.push(`${name}: ${router.status} ${JSON.stringify(router.error ?? [])}`);
          if (router.status === 'disabled') disabled = true;
        }
        if (disabled && disabledIsFinal) throw new RouterNotEnabled();
        return lastErrors.length === 0;
      });
    } catch (error) {
      if (lastErrors.length) throw fail(`routers not enabled: ${lastErrors.join('; ')}`);
      throw error;
    }
  };

  const waitForRouters = (names: string[], timeoutMs = options.readyTimeoutMs ?? 30_000): Promise<void> =>
    waitForRoutersUntil(names, timeoutMs, false);

  const receivedConfigs = (): number => findLogLines(logs(), /Configuration received .*providerName=file/).length;
  const writeDynamicConfig = async (config: string | Record<string, unknown>, timeoutMs = 30_000): Promise<void> => {
    const before = receivedConfigs();
    await writeAtomically(dynamicConfigPath, toYaml(config));
    await waitUntil('the new dynamic configuration', timeoutMs, async () => receivedConfigs() > before);
  };

  try {
    const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    await waitUntil('ping', readyTimeoutMs, async () => (await fetch(`${adminUrl}/ping`)).ok);
    await waitForRoutersUntil(options.waitForRouters ?? routerNames(options.dynamicConfig), readyTimeoutMs, true);
  } catch (error) {
    await stop();
    throw error;
  }

  return { url, port, adminUrl, dynamicConfigPath, logPath, writeDynamicConfig, api, waitForRouters, logs, stop };
}

/** The lines of a Traefik log that match the pattern. */
export function findLogLines(logText: string, pattern: RegExp): string[] {
  return logText.split('\n').filter((line) => pattern.test(line));
}

/**
 * Turns the `testData:` entry of a `.traefik.yml` into YAML text for a middleware's plugin options
 * (`<pluginName>: ...`), indented by `indent` spaces, without parsing the YAML: the value is copied
 * verbatim (inline or as an indented block) and re-keyed, so Traefik parses it as the Catalog would.
 */
export function testDataAsPluginOptions(manifestText: string, pluginName: string, indent: number): string {
  const lines = manifestText.split(/\r?\n/);
  const start = lines.findIndex((line) => /^testData\s*:/.test(line));
  if (start < 0) throw new Error('.traefik.yml has no top-level testData');
  const inline = lines[start].replace(/^testData\s*:/, '');
  const block: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i];
    // The value ends at the next line that starts in column 0 (another top-level key or a document marker).
    if (line.trim() !== '' && !/^\s/.test(line)) break;
    block.push(line);
  }
  while (block.length && block[block.length - 1].trim() === '') block.pop();
  const pad = ' '.repeat(indent);
  return [`${pad}${pluginName}:${inline}`, ...block.map((line) => (line.trim() === '' ? '' : `${pad}${line}`))].join('\n');
}

export interface EchoedRequest {
  method: string;
  /** The request target exactly as received (path + query, still escaped). */
  path: string;
  /** Header names lowercased by Node; repeated headers joined as Node does. */
  headers: http.IncomingHttpHeaders;
  /** Name/value pairs in arrival order with the sender's casing. */
  rawHeaders: [string, string][];
  body: string;
}

export interface EchoServer {
  url: string;
  port: number;
  requests: EchoedRequest[];
  stop(): Promise<void>;
}

/** Upstream stand-in: answers 200 JSON {method, path, headers} and records every request. */
export async function startEchoServer(): Promise<EchoServer> {
  const requests: EchoedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawHeaders: [string, string][] = [];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) rawHeaders.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
      const echoed: EchoedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        rawHeaders,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(echoed);
      const body = JSON.stringify({ method: echoed.method, path: echoed.path, headers: echoed.headers });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOCALHOST, () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://${LOCALHOST}:${port}`,
    port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
