// Shared setup for plugin tests: the built plugin.wasm in the Traefik-faithful JS host, with the
// guest's wall clock frozen at NOW unless a test moves it.
import path from 'node:path';
import { existsSync } from 'node:fs';
import { HttpWasmHost, type GuestRequest, type GuestResponse, type HttpWasmHostOptions } from '../host/index.js';
import { repoRoot } from '../lib/harness.js';
import { NOW } from '../lib/tokens.js';

export const PLUGIN_WASM = path.join(repoRoot, 'build/plugin.wasm');

export async function startPlugin(config: Record<string, unknown> | undefined, options: HttpWasmHostOptions = {}): Promise<HttpWasmHost> {
  if (!existsSync(PLUGIN_WASM)) throw new Error(`${PLUGIN_WASM} is missing: run npm run build`);
  return HttpWasmHost.create(PLUGIN_WASM, { config, now: () => NOW * 1000, ...options });
}

export function bearer(token: string): GuestRequest['headers'] {
  return [['Authorization', `Bearer ${token}`]];
}

/** Asserts no trap happened and returns the response (a trap is Traefik's 500 with a stack trace). */
export function noTrap(res: GuestResponse): GuestResponse {
  if (res.trapped) throw new Error(`guest trapped: ${res.error}`);
  return res;
}
