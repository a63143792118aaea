// forwardAuth service for scenario (d) of `npm run bench:traefik`: the sidecar's own forwardAuth
// handler (sidecar/src/forward-auth/handler.ts, the code behind the sidecar's `/auth`) mounted
// alone on a plain Node HTTP server, with the same policy document the plugin gets. Nothing else
// of the sidecar (OIDC provider, storage) runs, so the figures are the forwardAuth path itself.
// Decisions are not logged (silent logger): allowed requests log at debug in the sidecar anyway.
//
//   node --import tsx scripts/bench/forward-auth-server.ts POLICY_JSON_FILE PORT
// Prints `listening <port>` once it accepts connections; exits on SIGTERM/SIGINT.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import { createForwardAuthHandler, FORWARD_AUTH_MAX_HEADER_BYTES } from '../../sidecar/src/forward-auth/handler.js';
import { loadPolicy } from '../../sidecar/src/policy/load.js';
import { silentLogger } from '../../sidecar/src/policy/logger.js';

const [policyFile, portText] = process.argv.slice(2);
if (!policyFile || !portText) {
  console.error('usage: forward-auth-server.ts POLICY_JSON_FILE PORT');
  process.exit(2);
}
const policy = loadPolicy(JSON.parse(readFileSync(policyFile, 'utf8')));
const forwardAuth = createForwardAuthHandler(policy, silentLogger);

const server = http.createServer({ maxHeaderSize: FORWARD_AUTH_MAX_HEADER_BYTES }, (req, res) => {
  const path = req.url?.split('?', 1)[0];
  if (path === '/auth') {
    forwardAuth(req, res);
    return;
  }
  res.writeHead(404, { 'Content-Length': '0' });
  res.end();
});
// Traefik's forwardAuth client keeps idle connections for 90 s; do not close them first.
server.keepAliveTimeout = 120_000;
server.listen(Number(portText), '127.0.0.1', () => console.log(`listening ${(server.address() as { port: number }).port}`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
