// Entry point of the bundled demo server (`node demo-mcp-server/dist/demo-mcp-server.mjs`).
// PORT (default 3000) and HOST (default 127.0.0.1) choose where it listens; it prints one JSON
// line per event on stdout and stops cleanly on SIGINT/SIGTERM.
import { startDemoServer } from './server.js';

function fail(message: string): never {
  process.stderr.write(`demo-mcp-server: ${message}\n`);
  process.exit(1);
}

function port(value: string | undefined): number {
  if (value === undefined || value === '') return 3000;
  if (!/^\d+$/.test(value) || Number(value) > 65535) fail(`PORT must be an integer 0..65535, got ${JSON.stringify(value)}`);
  return Number(value);
}

const log = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);

const requestedPort = port(process.env.PORT);
const server = await startDemoServer({ port: requestedPort, host: process.env.HOST || '127.0.0.1', log }).catch((err: NodeJS.ErrnoException) =>
  fail(err.code === 'EADDRINUSE' ? `port ${requestedPort} is already in use (set PORT to another port)` : `failed to start: ${err.message}`),
);
log({ event: 'listening', url: server.url, mcp: `${server.url}/mcp`, sse: `${server.url}/sse` });

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log({ event: 'stopping', signal });
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
