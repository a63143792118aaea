// Starts a real sidecar (in-process, on a free 127.0.0.1 port) against a mock upstream, with
// its JSON logs captured in memory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig, type RawSettings, type SidecarConfig } from '../../src/config.js';
import { startSidecar, type RunningSidecar } from '../../src/server.js';
import { ClientDriver } from './client-driver.js';
import type { MockUpstream } from './mock-upstream.js';
import { freePort } from '../../../scripts/stack/ports.mjs';

export const TEST_RESOURCE = 'https://mcp.example.test/mcp';
export const UPSTREAM_CLIENT_ID = 'mcpauth-upstream-client';
export const UPSTREAM_CLIENT_SECRET = 'upstream-client-secret-value-0123456789';

export { freePort };

export interface TestSidecar {
  sidecar: RunningSidecar;
  config: SidecarConfig;
  issuer: string;
  driver: ClientDriver;
  /** Every JSON log line written so far. */
  logs: string[];
  dataDir: string;
  /** A new browser (empty cookie jar) against the same sidecar. */
  newDriver(): ClientDriver;
  stop(): Promise<void>;
}

export function baseSettings(upstream: MockUpstream, port: number, dataDir: string, issuerPath = ''): RawSettings {
  return {
    PORT: String(port),
    HOST: '127.0.0.1',
    ISSUER: `http://127.0.0.1:${port}${issuerPath}`,
    OIDC_ISSUER: upstream.issuer,
    CLIENT_ID: UPSTREAM_CLIENT_ID,
    CLIENT_SECRET: UPSTREAM_CLIENT_SECRET,
    RESOURCE: TEST_RESOURCE,
    DATA_DIR: dataDir,
    LOG_LEVEL: '1',
    ALLOWED_SCOPES: 'mcp:tools mcp:admin',
    REQUIRED_SCOPES: 'mcp:tools',
  };
}

export async function startTestSidecar(
  upstream: MockUpstream,
  overrides: RawSettings = {},
  options: { issuerPath?: string; dataDir?: string } = {},
): Promise<TestSidecar> {
  const port = await freePort();
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'mcpauth-as-')));
  const settings = { ...baseSettings(upstream, port, dataDir, options.issuerPath), ...overrides };
  const config = loadConfig(settings);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(line);
      done();
    },
  });
  let sidecar: RunningSidecar;
  try {
    sidecar = await startSidecar(config, { logDestination: destination as never });
  } catch (err) {
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    sidecar,
    config,
    issuer: config.issuer,
    driver: new ClientDriver(config.issuer),
    logs,
    dataDir,
    newDriver: () => new ClientDriver(config.issuer),
    async stop() {
      await sidecar.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
