// Ports for the local stack: free ones picked by the OS, or fixed ones checked before anything
// starts, so a busy port is reported by number and by what wanted it instead of surfacing later
// as a child process that died with EADDRINUSE.
import net from 'node:net';

export const LOCALHOST = '127.0.0.1';

export class PortInUseError extends Error {
  /**
   * @param {number} port
   * @param {string} role what wanted the port (e.g. "Traefik web entrypoint")
   */
  constructor(port, role) {
    super(`port ${port} on ${LOCALHOST} is already in use (wanted by the ${role})`);
    this.name = 'PortInUseError';
    this.code = 'EADDRINUSE';
    this.port = port;
    this.role = role;
  }
}

/** A port the OS reports free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, LOCALHOST, () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Resolves when `port` can be bound on 127.0.0.1; rejects with PortInUseError naming `role`
 * otherwise (any bind error other than "in use", e.g. EACCES, is rethrown with the role added).
 */
export function assertPortFree(port, role) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (err) => {
      if (err.code === 'EADDRINUSE') reject(new PortInUseError(port, role));
      else reject(new Error(`cannot listen on ${LOCALHOST}:${port} for the ${role}: ${err.message}`, { cause: err }));
    });
    server.listen({ port, host: LOCALHOST, exclusive: true }, () => server.close(() => resolve()));
  });
}

/**
 * Fixed ports are checked, missing ones (undefined or 0) are picked free; every port in the
 * result is distinct.
 * @param {Record<string, { port?: number, role: string }>} wanted
 * @returns {Promise<Record<string, number>>}
 */
export async function allocatePorts(wanted) {
  const out = {};
  const taken = new Map();
  for (const [key, { port, role }] of Object.entries(wanted)) {
    if (!port) continue;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${port} for the ${role}`);
    if (taken.has(port)) throw new Error(`port ${port} is given to both the ${taken.get(port)} and the ${role}`);
    await assertPortFree(port, role);
    taken.set(port, role);
    out[key] = port;
  }
  for (const [key, { port, role }] of Object.entries(wanted)) {
    if (port) continue;
    let candidate = await freePort();
    while (taken.has(candidate)) candidate = await freePort();
    taken.set(candidate, role);
    out[key] = candidate;
  }
  return out;
}
