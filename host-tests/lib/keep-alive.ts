// Whether a server keeps an idle keep-alive connection open: two GETs on one socket with an idle
// gap between them. Behind Traefik (which keeps idle backend connections for 90 s) a backend that
// closes idle connections sooner races the requests Traefik sends on them.
import net from 'node:net';

/** Status of each of the two requests; `second` is null when the server closed the socket meanwhile. */
export async function twoRequestsOnOneSocket(url: string, path: string, idleMs: number): Promise<{ first: number; second: number | null }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  let buffered = '';
  let closed = false;
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => { buffered += chunk; wake(); });
  socket.on('close', () => { closed = true; wake(); });
  socket.on('error', () => { closed = true; wake(); });
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });

  const request = `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: keep-alive\r\n\r\n`;
  /** Reads one response (headers + Content-Length body); null when the socket closed first. */
  async function response(): Promise<number | null> {
    for (;;) {
      const head = buffered.indexOf('\r\n\r\n');
      if (head >= 0) {
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(buffered.slice(0, head))?.[1] ?? '0');
        if (buffered.length >= head + 4 + length) {
          const status = Number(buffered.slice(9, 12));
          buffered = buffered.slice(head + 4 + length);
          return status;
        }
      }
      if (closed) return null;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  }
  try {
    socket.write(request);
    const first = await response();
    if (first === null) throw new Error(`${url}${path}: no answer to the first request`);
    await new Promise((resolve) => setTimeout(resolve, idleMs));
    if (!closed) socket.write(request);
    return { first, second: closed ? null : await response() };
  } finally {
    socket.destroy();
  }
}
