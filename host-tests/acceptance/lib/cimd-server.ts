// Serves Client ID Metadata Documents over https on 127.0.0.1 (a CIMD client_id must be an https
// URL) with a self-signed certificate made by openssl for IP:127.0.0.1. The sidecar trusts it
// through NODE_EXTRA_CA_CERTS=<caFile> and fetches from loopback only with the test-only
// CIMD_ALLOW_LOOPBACK=1 (its SSRF guard refuses loopback otherwise).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface CimdServer {
  /** https://127.0.0.1:<port> */
  origin: string;
  /** The certificate to trust (it is its own CA). */
  caFile: string;
  /** Publishes a document at `path`; returns its URL (the client_id it must contain). */
  publish(documentPath: string, document: (url: string) => Record<string, unknown>): string;
  /** Paths requested so far. */
  requests: string[];
  stop(): Promise<void>;
}

export async function startCimdServer(): Promise<CimdServer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-cimd-'));
  const caFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  await promisify(execFile)('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', caFile, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
  ]);
  const documents = new Map<string, string>();
  const requests: string[] = [];
  const server = https.createServer({ key: await readFile(keyFile), cert: await readFile(caFile) }, (req, res) => {
    requests.push(req.url ?? '');
    const body = documents.get(req.url ?? '');
    if (body === undefined) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    caFile,
    requests,
    publish(documentPath, document) {
      const url = `${origin}${documentPath}`;
      documents.set(documentPath, JSON.stringify(document(url)));
      return url;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
