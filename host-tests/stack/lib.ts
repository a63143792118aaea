// Shared by the stack tests: fresh bundles once per file, a login through Traefik with the
// sidecar's headless client driver, and an SDK client holding a bearer token.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ClientDriver, type RegisteredClient } from '../../sidecar/test/as-lib/client-driver.js';
import { buildStack } from '../../scripts/stack/build.mjs';
import type { RunningStack } from '../../scripts/stack/stack.d.mts';
import { afterEach } from 'vitest';

export { ClientDriver };

let built: Promise<void> | undefined;
/** The sidecar and demo bundles from the current sources (the plugin comes from `npm run build`). */
export function buildBundles(): Promise<void> {
  built ??= buildStack({ plugin: false, sidecar: true, demo: true });
  return built;
}

const tempDirs: string[] = [];
export async function tempDir(name: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `mcpauth-stack-${name}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes every directory tempDir made (call after the stacks using them have stopped). */
export async function removeTempDirs(): Promise<void> {
  await Promise.all(tempDirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export const CLIENT_METADATA = {
  client_name: 'stack test client',
  redirect_uris: ['http://127.0.0.1:9/callback'],
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
};

export interface Login {
  accessToken: string;
  refreshToken?: string;
  scope: string;
  client: RegisteredClient;
  driver: ClientDriver;
}

/** Registration, login at the identity provider, consent and code exchange, all through Traefik. */
export async function login(authServer: string, resource: string, scope?: string, driver = new ClientDriver(authServer)): Promise<Login> {
  const client = await driver.registerOk(CLIENT_METADATA);
  const { outcome, tokens } = await driver.loginAndExchange({ client, resource, ...(scope === undefined ? {} : { scope }) });
  if (tokens.status !== 200) throw new Error(`token request failed: ${tokens.status} ${tokens.text} (visited ${outcome.visited.map((u) => u.href).join(' -> ')})`);
  return { accessToken: tokens.json.access_token, refreshToken: tokens.json.refresh_token, scope: tokens.json.scope, client, driver };
}

export type Kind = 'streamable-http' | 'sse';

/** An SDK client sending `headers` (e.g. Authorization) on every request. */
export async function connect(kind: Kind, url: string, headers: Record<string, string>): Promise<Client> {
  const client = new Client({ name: 'stack-test', version: '1.0.0' });
  const requestInit = { headers };
  await client.connect(
    kind === 'streamable-http' ? new StreamableHTTPClientTransport(new URL(url), { requestInit }) : new SSEClientTransport(new URL(url), { requestInit }),
  );
  return client;
}

export async function structured<T>(client: Client, name: string, args: Record<string, unknown> = {}): Promise<T> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

/** Whether a process is gone (or a zombie nobody will run again). */
export function processGone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** Every live descendant of `pid` (children, grandchildren, ...), from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // exited while we looked
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of parents.get(queue.shift()!) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** The command line of a process ("" once it is gone). */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/**
 * After a failed test, prints the last lines of every process's log of the stack (Traefik, the
 * sidecar, the demo server, the dev IdP): the temporary data directory holding them is deleted
 * when the suite ends.
 */
export function printStackLogsOnFailure(stack: () => RunningStack | undefined, lines = 40): void {
  afterEach(({ task }) => {
    const running = stack();
    if (task.result?.state !== 'fail' || !running) return;
    for (const name of Object.keys(running.logFiles) as Array<keyof RunningStack['logFiles']>) {
      console.error(`---- ${name} (last ${lines} lines of ${running.logFiles[name]}) ----\n${running.logs(name, lines)}`);
    }
  });
}
