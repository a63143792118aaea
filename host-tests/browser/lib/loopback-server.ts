// A tiny HTTP server on 127.0.0.1 standing in for the two things a browser test needs besides
// the gateway: a native client's loopback redirect URI (RFC 8252 §7.3), which records every
// query it receives, and a third-party page that tries to frame the gateway's pages.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LoopbackServer {
  origin: string;
  /** The redirect URI clients register: requests to it are recorded. */
  callbackUrl: string;
  /** Every request to the callback path, in order. */
  callbacks: URL[];
  /** Serves `html` at `path` (no CSP, no X-Frame-Options: it may frame anything). */
  publish(path: string, html: string): string;
  stop(): Promise<void>;
}

const CALLBACK_PATH = '/callback';

export async function startLoopbackServer(): Promise<LoopbackServer> {
  const pages = new Map<string, string>();
  const callbacks: URL[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    let html = pages.get(url.pathname);
    if (url.pathname === CALLBACK_PATH) {
      callbacks.push(url);
      html = '<!DOCTYPE html><title>Client callback</title><h1>Back at the client</h1>';
    }
    res.statusCode = html === undefined ? 404 : 200;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.end(html ?? 'not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    callbackUrl: `${origin}${CALLBACK_PATH}`,
    callbacks,
    publish(path, html) {
      pages.set(path, html);
      return `${origin}${path}`;
    },
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
