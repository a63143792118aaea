/**
 * Starts a real `redis-server` (Debian package) on a free loopback port for one test file and
 * stops it again. No persistence unless asked for (`dir`), so nothing is left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from '../../../scripts/stack/ports.mjs';

export { freePort };

export interface RedisProcess {
  port: number;
  url: string;
  process: ChildProcess;
  /** stops the server (SIGTERM, then SIGKILL after 5 s) and waits for it to exit */
  stop(): Promise<void>;
}


export interface StartRedisOptions {
  /** reuse a port (restart on the same address) */
  port?: number;
  /** enable append-only persistence into this directory */
  dir?: string;
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisProcess> {
  const port = opts.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', ''];
  if (opts.dir) args.push('--dir', opts.dir, '--appendonly', 'yes', '--appendfsync', 'always');
  else args.push('--appendonly', 'no');
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${port}:\n${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(kill);
    },
  };
}
