// Shared setup for the end-to-end files: the built plugin (traefik-plugin/, from `npm run build`)
// as a local plugin in a real Traefik, keys in a mounted JWKS directory, tokens on the real clock,
// and the checks every file ends with (no guest trap in Traefik's log).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../lib/harness.js';
import { ISSUER, RESOURCE, baseClaims, jwks, type TestKey } from '../../lib/tokens.js';
import { trapAnswers } from './client.js';
import { startEchoServer, startTraefik, type EchoServer, type LocalPlugin, type RunningTraefik } from './traefik.js';

export const PLUGIN_NAME = 'mcpauth';
export const MODULE_NAME = 'github.com/mcpauth/mcpauth';
export const PLUGIN_DIR = path.join(repoRoot, 'traefik-plugin');
/** Where the guest sees the mounted key directory (settings.mounts `<keysDir>:/keys:ro`). */
export const GUEST_KEYS_DIR = '/keys';
export const GUEST_JWKS_FILE = `${GUEST_KEYS_DIR}/jwks.json`;
/** Protected Resource Metadata URL of RESOURCE (https://mcp.example.com/mcp). */
export const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
export { ISSUER, RESOURCE };

let binary: string | undefined;
/** The Traefik binary: TRAEFIK_BIN, `traefik` on PATH or the cached build (scripts/traefik/get-traefik.mjs). */
export function traefikBinary(): string {
  binary ??= execFileSync('node', ['scripts/traefik/get-traefik.mjs'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  return binary;
}

/** Token claims valid now on the real clock (Traefik's guest reads the real wall clock). */
export function liveClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return baseClaims({ iat: now, exp: now + 600, ...overrides });
}

/** Writes a key set through a temporary file and a rename, as the sidecar does. */
export async function writeJwksFile(keysDir: string, content: string | TestKey[]): Promise<void> {
  const text = typeof content === 'string' ? content : JSON.stringify(jwks(...content));
  const target = path.join(keysDir, 'jwks.json');
  await writeFile(`${target}.partial`, text);
  await rename(`${target}.partial`, target);
}

/** A router matching one Host, so one Traefik can carry several plugin configurations. */
export function hostRouter(host: string, middlewares: string[], service = 'echo'): Record<string, unknown> {
  return { rule: `Host(\`${host}\`)`, entryPoints: ['web'], service, middlewares };
}

export function pluginMiddleware(options: Record<string, unknown>): Record<string, unknown> {
  return { plugin: { [PLUGIN_NAME]: options } };
}

export function service(url: string): Record<string, unknown> {
  return { loadBalancer: { servers: [{ url }] } };
}

/** Plugin options reading keys from the mounted JWKS file. */
export function fileKeyOptions(overrides: Record<string, unknown> = {}, issuerOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resource: RESOURCE,
    issuers: [{ issuer: ISSUER, jwksFile: GUEST_JWKS_FILE, ...issuerOverrides }],
    ...overrides,
  };
}

export interface E2eEnvironment {
  traefik: RunningTraefik;
  echo: EchoServer;
  workDir: string;
  /** Host directory mounted read-only at /keys in the guest. */
  keysDir: string;
  stop(): Promise<void>;
}

export interface E2eOptions {
  /** Prefix of the temporary working directory. */
  name: string;
  /** Keys written to <keysDir>/jwks.json before Traefik starts. */
  keys: TestKey[];
  /** Dynamic configuration; gets the echo server's URL. */
  dynamicConfig(echoUrl: string): Record<string, unknown>;
}

/** Echo upstream + Traefik with the plugin as a local plugin and the key directory mounted. */
export async function startE2e(options: E2eOptions): Promise<E2eEnvironment> {
  if (!existsSync(path.join(PLUGIN_DIR, 'plugin.wasm'))) {
    throw new Error('traefik-plugin/plugin.wasm is missing: run `npm run build` first');
  }
  const workDir = await mkdtemp(path.join(os.tmpdir(), `mcpauth-e2e-${options.name}-`));
  const keysDir = path.join(workDir, 'keys');
  await mkdir(keysDir);
  await writeJwksFile(keysDir, options.keys);
  const echo = await startEchoServer();
  const plugin: LocalPlugin = { name: PLUGIN_NAME, moduleName: MODULE_NAME, srcDir: PLUGIN_DIR, mounts: [`${keysDir}:${GUEST_KEYS_DIR}:ro`] };
  let traefik: RunningTraefik;
  try {
    traefik = await startTraefik({ binary: traefikBinary(), workDir, dynamicConfig: options.dynamicConfig(echo.url), localPlugins: [plugin] });
  } catch (error) {
    await echo.stop();
    throw error;
  }
  return {
    traefik,
    echo,
    workDir,
    keysDir,
    stop: async () => {
      await traefik.stop();
      await echo.stop();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}

// What Traefik logs when a guest traps or a host function panics: wazero's "wasm error: ..." with
// "wasm stack trace:", Go's "panic"/"goroutine N [running]" from the recovery middleware.
const GUEST_FAILURE = /wasm error|wasm stack trace|recovered by wazero|\bpanic\b|goroutine \d+ \[/i;

/** Log lines that show a guest trap or a panic (should be none). */
export function guestFailureLines(logText: string): string[] {
  return logText.split('\n').filter((line) => GUEST_FAILURE.test(line));
}

/**
 * Signs of a guest trap seen so far by this test file: lines of Traefik's log and answers whose
 * body carries wazero's trap text (a trap in handle_request is answered, not necessarily logged).
 */
export function guestFailures(logText: string): { logLines: string[]; answers: string[] } {
  return { logLines: guestFailureLines(logText), answers: [...trapAnswers] };
}

/** Polls probe() until done(value) holds; rejects naming the last value once timeoutMs have passed. */
export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T>, done: (value: T) => boolean, pollMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
