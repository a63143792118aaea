// The whole gateway on 127.0.0.1: Traefik with the local mcpauth plugin (or forwardAuth), the
// sidecar (authorization server), the demo MCP server and, unless an upstream identity provider
// is given, the development identity provider. Used by `npm start` and by end-to-end tests.
//
// It builds nothing: run `buildStack()` (scripts/stack/build.mjs) or the npm builds first. It
// fails with the command to run when a build output is missing.
//
// Order: ports (fixed ones are checked first: a busy port fails before anything starts) ->
// dev IdP (in this process) -> sidecar and demo server (child processes, in parallel; the
// sidecar writes the JWKS file the plugin reads) -> Traefik (child process) -> checks through
// Traefik that the plugin answers and the discovery documents agree.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDevIdp, DEFAULT_DEV_USER } from './dev-idp.mjs';
import { allocatePorts, LOCALHOST } from './ports.mjs';
import { startChild, waitFor } from './processes.mjs';
import {
  checkStepUpPaths, dynamicConfig, JWKS_FILE_NAME, MODULE_NAME, MESSAGES_PATH, MCP_PATH, PRM_PATH, resourcesFor, SSE_PATH, staticConfig,
} from './traefik-config.mjs';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PLUGIN_DIR = path.join(repoRoot, 'traefik-plugin');
export const SIDECAR_BUNDLE = path.join(repoRoot, 'sidecar/dist/sidecar.mjs');
export const DEMO_BUNDLE = path.join(repoRoot, 'demo-mcp-server/dist/demo-mcp-server.mjs');

/** What each port is for, in the words a "port in use" error uses. */
export const PORT_ROLES = {
  traefik: 'Traefik web entrypoint (the public MCP and authorization server URLs)',
  traefikAdmin: 'Traefik API/dashboard entrypoint',
  sidecar: 'mcpauth sidecar (authorization server)',
  demo: 'demo MCP server',
  idp: 'development identity provider',
};

const DEFAULT_READY_TIMEOUT_MS = 60_000;
// Every test and every `npm start` client registers from 127.0.0.1; the sidecar's production
// default (30 per hour per address) would refuse a test suite.
const DEV_REGISTRATION_RATE_LIMIT = '1000/60';
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** The Traefik binary from scripts/traefik/get-traefik.mjs (TRAEFIK_BIN, PATH, or the cached build). */
export async function traefikBinary() {
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(repoRoot, 'scripts/traefik/get-traefik.mjs')], { cwd: repoRoot });
  return stdout.trim();
}

function checkBuilt() {
  const missing = [
    [path.join(PLUGIN_DIR, 'plugin.wasm'), 'npm run build'],
    [path.join(PLUGIN_DIR, '.traefik.yml'), 'npm run build'],
    [SIDECAR_BUNDLE, 'npm run build:sidecar'],
    [DEMO_BUNDLE, 'node demo-mcp-server/build.mjs'],
  ].filter(([file]) => !existsSync(file));
  if (missing.length) {
    throw new Error(`build outputs missing: ${missing.map(([file, cmd]) => `${path.relative(repoRoot, file)} (run \`${cmd}\`)`).join(', ')}`);
  }
}

function list(name, value) {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.trim() !== '')) throw new Error(`${name} must be a list of strings`);
  return [...new Set(value.map((v) => v.trim()))];
}

function scopes(name, value) {
  const out = list(name, value);
  for (const s of out) if (!SCOPE.test(s)) throw new Error(`${name}: invalid scope ${JSON.stringify(s)}`);
  return out;
}

/** The environment children get: nothing of ours leaks in except what they need to run. */
function baseEnv() {
  const env = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'TZ', 'SYSTEMROOT']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

async function fetchJson(url) {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/**
 * @param {import('./stack.d.mts').StackOptions} options
 * @returns {Promise<import('./stack.d.mts').RunningStack>}
 */
export async function startStack(options) {
  if (!options || typeof options.dataDir !== 'string' || options.dataDir === '') throw new Error('startStack: dataDir is required');
  const mode = options.mode ?? 'plugin';
  if (mode !== 'plugin' && mode !== 'forwardAuth') throw new Error(`startStack: mode must be "plugin" or "forwardAuth", got ${JSON.stringify(mode)}`);
  const idpOption = options.idp ?? 'dev';
  if (idpOption !== 'dev' && (typeof idpOption !== 'object' || typeof idpOption.clientId !== 'string' || idpOption.clientId === '')) {
    throw new Error('startStack: idp must be "dev" or { issuer?, clientId, clientSecret? }');
  }
  if (idpOption !== 'dev' && options.devUser) throw new Error('startStack: devUser only applies to the dev identity provider');
  const logLevel = options.logLevel ?? 1;
  if (![0, 1, 2].includes(logLevel)) throw new Error('startStack: logLevel must be 0, 1 or 2');
  const requiredScopes = scopes('requiredScopes', options.requiredScopes);
  const allowedEmails = list('allowedEmails', options.allowedEmails);
  const stepUpPaths = options.stepUpPaths ?? [];
  checkStepUpPaths(stepUpPaths);
  if (mode === 'forwardAuth' && stepUpPaths.length) throw new Error('startStack: stepUpPaths need mode "plugin" (forwardAuth has one policy per resource, with the same scopes)');
  const allowedScopes = [...new Set([...scopes('allowedScopes', options.allowedScopes), ...requiredScopes, ...stepUpPaths.flatMap((s) => s.scopes)])];
  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  checkBuilt();

  const wanted = Object.fromEntries(
    Object.entries(PORT_ROLES)
      .filter(([key]) => key !== 'idp' || idpOption === 'dev')
      .map(([key, role]) => [key, { port: options.ports?.[key], role }]),
  );
  const ports = await allocatePorts(wanted);
  const binary = options.traefikBinary ?? (await traefikBinary());

  const dataDir = path.resolve(options.dataDir);
  const dirs = {
    sidecar: path.join(dataDir, 'sidecar'),
    jwks: path.join(dataDir, 'jwks'),
    traefik: path.join(dataDir, 'traefik'),
    logs: path.join(dataDir, 'logs'),
  };
  for (const dir of Object.values(dirs)) await mkdir(dir, { recursive: true });
  const jwksFile = path.join(dirs.jwks, JWKS_FILE_NAME);

  const origin = `http://${LOCALHOST}:${ports.traefik}`;
  const resources = resourcesFor(origin);
  const sidecarUrl = `http://${LOCALHOST}:${ports.sidecar}`;
  const demoUrl = `http://${LOCALHOST}:${ports.demo}`;
  const adminUrl = `http://${LOCALHOST}:${ports.traefikAdmin}`;

  const children = [];
  let idp;
  const killOnExit = () => children.forEach((child) => child.killNow());
  process.on('exit', killOnExit);
  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      // Traefik first (no new requests), then the services behind it.
      const traefik = children.find((c) => c.name === 'traefik');
      await traefik?.stop();
      await Promise.all(children.filter((c) => c !== traefik).map((c) => c.stop()));
      await idp?.stop().catch(() => {});
      process.off('exit', killOnExit);
    })());

  const childOptions = (name) => ({
    name,
    cwd: name === 'traefik' ? dirs.traefik : repoRoot,
    logFile: path.join(dirs.logs, `${name}.log`),
    onLog: options.onLog,
    onUnexpectedExit: (n, code, signal) => {
      if (!stopping) options.onUnexpectedExit?.(n, code, signal);
    },
  });

  try {
    // (a) the development identity provider, unless an upstream is given
    let upstream;
    if (idpOption === 'dev') {
      idp = await startDevIdp({ port: ports.idp, user: options.devUser ?? DEFAULT_DEV_USER });
      upstream = { issuer: idp.issuer, clientId: idp.clientId, clientSecret: idp.clientSecret };
    } else {
      upstream = idpOption;
    }

    // (b) the sidecar, (c) the demo server
    const sidecarEnv = {
      ...baseEnv(),
      PORT: String(ports.sidecar),
      HOST: LOCALHOST,
      ISSUER: origin,
      CLIENT_ID: upstream.clientId,
      ...(upstream.clientSecret ? { CLIENT_SECRET: upstream.clientSecret } : {}),
      ...(upstream.issuer ? { OIDC_ISSUER: upstream.issuer } : {}),
      RESOURCE: [resources.mcp, resources.sse].join(','),
      DATA_DIR: dirs.sidecar,
      JWKS_FILE: jwksFile,
      LOG_LEVEL: String(logLevel),
      TRUST_PROXY: 'true',
      REGISTRATION_RATE_LIMIT: DEV_REGISTRATION_RATE_LIMIT,
      ...(requiredScopes.length ? { REQUIRED_SCOPES: requiredScopes.join(' ') } : {}),
      ...(allowedScopes.length ? { ALLOWED_SCOPES: allowedScopes.join(' ') } : {}),
      ...(allowedEmails.length ? { ALLOWED_EMAILS: allowedEmails.join(',') } : {}),
      ...options.sidecarEnv,
    };
    const sidecar = startChild({ ...childOptions('sidecar'), command: process.execPath, args: [SIDECAR_BUNDLE], env: sidecarEnv });
    children.push(sidecar);
    const demo = startChild({
      ...childOptions('demo'),
      command: process.execPath,
      args: [DEMO_BUNDLE],
      env: { ...baseEnv(), PORT: String(ports.demo), HOST: LOCALHOST },
    });
    children.push(demo);
    await Promise.all([
      waitFor(sidecar, `the sidecar's /health and ${jwksFile}`, async () => (await fetch(`${sidecarUrl}/health`)).status === 200 && existsSync(jwksFile), readyTimeoutMs),
      waitFor(demo, "the demo server's /health", async () => (await fetch(`${demoUrl}/health`)).status === 200, readyTimeoutMs),
    ]);

    // (d) Traefik with the local plugin
    const pluginTarget = path.join(dirs.traefik, 'plugins-local', 'src', MODULE_NAME);
    await rm(path.join(dirs.traefik, 'plugins-local'), { recursive: true, force: true });
    await mkdir(pluginTarget, { recursive: true });
    await cp(PLUGIN_DIR, pluginTarget, { recursive: true });
    const dynamicConfigFile = path.join(dirs.traefik, 'dynamic.yml');
    const dynamic = dynamicConfig({
      mode, origin, demoUrl, sidecarUrl, requiredScopes, allowedEmails, stepUpPaths, logLevel, pluginOptions: options.pluginOptions ?? {},
    });
    await writeFile(dynamicConfigFile, `${JSON.stringify(dynamic, null, 2)}\n`);
    const staticConfigFile = path.join(dirs.traefik, 'traefik.yml');
    await writeFile(
      staticConfigFile,
      `${JSON.stringify(staticConfig({ webPort: ports.traefik, adminPort: ports.traefikAdmin, dynamicConfigFile, jwksDir: dirs.jwks, logLevel }), null, 2)}\n`,
    );
    const traefik = startChild({ ...childOptions('traefik'), command: binary, args: [`--configFile=${staticConfigFile}`], env: baseEnv() });
    children.push(traefik);
    const routerNames = Object.keys(dynamic.http.routers);
    await waitFor(traefik, 'Traefik to answer /ping', async () => (await fetch(`${adminUrl}/ping`)).ok, readyTimeoutMs);
    await waitFor(traefik, `Traefik routers ${routerNames.join(', ')}`, async () => {
      const routers = await fetchJson(`${adminUrl}/api/http/routers`);
      const byName = new Map(routers.map((r) => [r.name, r]));
      for (const name of routerNames) {
        const router = byName.get(`${name}@file`);
        if (!router) return false;
        // A disabled router stays disabled until the configuration changes: no point waiting.
        if (router.status === 'disabled') throw Object.assign(new Error(`router ${name} is disabled: ${JSON.stringify(router.error ?? [])}`), { fatal: true });
        if (router.status !== 'enabled') return false;
      }
      return true;
    }, readyTimeoutMs).catch((err) => {
      throw new Error(`Traefik did not enable its routers: ${err.message}`);
    });

    // Through Traefik: the plugin (or forwardAuth) challenges, and the discovery documents agree.
    const urls = {
      traefik: origin,
      mcp: resources.mcp,
      sse: resources.sse,
      messages: `${origin}${MESSAGES_PATH}`,
      authServer: origin,
      asMetadata: `${origin}/.well-known/oauth-authorization-server`,
      prm: { mcp: `${origin}${PRM_PATH}${MCP_PATH}`, sse: `${origin}${PRM_PATH}${SSE_PATH}` },
      traefikAdmin: adminUrl,
      sidecar: sidecarUrl,
      demo: demoUrl,
      ...(idp ? { idp: idp.issuer } : {}),
    };
    await waitFor(traefik, `a 401 challenge at ${urls.mcp}`, async () => {
      const res = await fetch(urls.mcp, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await res.arrayBuffer();
      return res.status === 401 && /resource_metadata=/.test(res.headers.get('www-authenticate') ?? '');
    }, readyTimeoutMs);
    const asMetadata = await fetchJson(urls.asMetadata);
    if (asMetadata.issuer !== origin) throw new Error(`the authorization server metadata names issuer ${asMetadata.issuer}, expected ${origin}`);

    return {
      mode,
      urls,
      resources,
      idp,
      jwksFile,
      dataDir,
      ports,
      pids: { sidecar: sidecar.pid, demo: demo.pid, traefik: traefik.pid },
      logFiles: Object.fromEntries(children.map((c) => [c.name, path.join(dirs.logs, `${c.name}.log`)])),
      logs: (name, lines) => children.find((c) => c.name === name)?.tail(lines) ?? '',
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
