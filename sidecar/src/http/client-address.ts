// The address a request came from, for per-address limits. Behind a trusted proxy (Traefik,
// TRUST_PROXY) it is the last X-Forwarded-For hop: the one the proxy itself appended. Earlier
// hops are whatever the client claimed and are ignored.
import type { IncomingMessage } from 'node:http';

export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = req.headers['x-forwarded-for'];
    const joined = Array.isArray(header) ? header.join(',') : header;
    const hops = joined?.split(',').map((h) => h.trim()).filter(Boolean);
    if (hops?.length) return hops[hops.length - 1]!;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
