// The JS test host (host-tests/host/) running the same plugin.wasm with the same options and mounts
// as a real Traefik, so an end-to-end test can put one request to both and name every difference
// in what the guest answered. Traefik's own additions to a response (Date, Content-Length, ...)
// are not the guest's and are left out of the comparison.
import path from 'node:path';
import { HttpWasmHost, type GuestResponse } from '../../host/index.js';
import type { RawRequest, RawResponse } from './client.js';
import { PLUGIN_DIR } from './mcpauth.js';

/** Headers Go's net/http adds to every answer; the JS host does not model them. */
const TRANSPORT_HEADERS = new Set(['date', 'content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export async function startHostTwin(options: Record<string, unknown>, mounts: string[]): Promise<HttpWasmHost> {
  return HttpWasmHost.create(path.join(PLUGIN_DIR, 'plugin.wasm'), { config: options, mounts, now: Date.now });
}

export async function handleInTwin(twin: HttpWasmHost, request: RawRequest): Promise<GuestResponse> {
  return twin.handle({
    method: request.method ?? 'GET',
    uri: request.path,
    host: request.host ?? 'localhost',
    headers: request.headers ?? [],
    body: request.body,
  });
}

function headerMap(entries: Array<[string, string]>): Map<string, string> {
  const map = new Map<string, string[]>();
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    if (TRANSPORT_HEADERS.has(key)) continue;
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return new Map([...map].map(([k, v]) => [k, v.join(', ')]));
}

/**
 * Differences between Traefik's answer and the JS host's for one request the guest answered
 * itself (status, guest-set headers, body). Empty when they agree.
 */
export function answerDifferences(traefik: RawResponse, host: GuestResponse): string[] {
  const out: string[] = [];
  if (host.trapped) out.push(`JS host: guest trapped: ${host.error}`);
  if (host.next) out.push('JS host: the guest passed the request upstream');
  if (traefik.status !== host.status) out.push(`status: Traefik ${traefik.status}, JS host ${host.status}`);
  const t = headerMap(traefik.rawHeaders);
  const h = headerMap(host.headers);
  for (const name of new Set([...t.keys(), ...h.keys()])) {
    if (t.get(name) !== h.get(name)) out.push(`header ${name}: Traefik ${JSON.stringify(t.get(name))}, JS host ${JSON.stringify(h.get(name))}`);
  }
  if (traefik.body !== host.text()) out.push(`body: Traefik ${JSON.stringify(traefik.body)}, JS host ${JSON.stringify(host.text())}`);
  return out;
}
