// Child processes of the local stack: output captured line by line into a log file and a short
// in-memory tail (for error messages), readiness polling, and a stop that always ends in the
// process being gone (SIGTERM, then SIGKILL after a grace period).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

const TAIL_LINES = 200;
const STOP_GRACE_MS = 5_000;
const POLL_MS = 100;

/**
 * @typedef {object} ChildOptions
 * @property {string} name       short name used in logs and errors ("sidecar", "demo", "traefik")
 * @property {string} command
 * @property {string[]} args
 * @property {string} cwd
 * @property {Record<string, string>} env   the whole environment (nothing is inherited)
 * @property {string} logFile
 * @property {(name: string, line: string) => void} [onLog]
 * @property {(name: string, code: number | null, signal: string | null) => void} [onUnexpectedExit]
 */

/** @param {ChildOptions} options */
export function startChild(options) {
  const { name } = options;
  const tail = [];
  const log = createWriteStream(options.logFile, { flags: 'w' });
  let stopping = false;
  let spawnError = null;
  let exit = null;

  // Own process group: a terminal's Ctrl-C reaches only the launcher, which then stops the
  // children in order (Traefik first) instead of every process racing to exit at once.
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });

  const lineReader = () => {
    let partial = '';
    return (chunk) => {
      log.write(chunk);
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        options.onLog?.(name, line);
      }
    };
  };
  child.stdout.on('data', lineReader());
  child.stderr.on('data', lineReader());

  const exited = new Promise((resolve) => {
    child.once('error', (err) => {
      spawnError = err;
      exit ??= { code: null, signal: null };
      resolve(exit);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  // Close the log only after the pipes are drained ('close' follows 'exit' and the last 'data').
  child.once('close', () => log.end());
  void exited.then(({ code, signal }) => {
    if (!stopping) options.onUnexpectedExit?.(name, code, signal);
  });

  return {
    name,
    process: child,
    get pid() {
      return child.pid;
    },
    exited,
    /** Whether the process has ended (or never started). */
    hasExited: () => exit !== null,
    /** The last lines the process printed. */
    tail: (lines = 40) => tail.slice(-lines).join('\n'),
    describeFailure() {
      if (spawnError) return `${name} could not be started (${options.command}): ${spawnError.message}`;
      if (exit) return `${name} exited (${exit.signal ?? `code ${exit.code}`}); its last output:\n${tail.slice(-40).join('\n')}`;
      return `${name} is running; its last output:\n${tail.slice(-40).join('\n')}`;
    },
    /** SIGTERM, SIGKILL after the grace period; resolves once the process is gone. */
    async stop(graceMs = STOP_GRACE_MS) {
      stopping = true;
      if (exit) return;
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(killTimer);
    },
    /** For process 'exit' handlers: synchronous, no waiting. */
    killNow() {
      stopping = true;
      if (!exit) child.kill('SIGKILL');
    },
  };
}

/**
 * Polls `check` until it resolves true; fails early when the child exits, and after `timeoutMs`.
 * Errors thrown by `check` count as "not yet" (a server that is not listening yet), except those
 * marked `fatal: true`, which end the wait at once.
 * @param {ReturnType<typeof startChild>} child
 * @param {string} what
 * @param {() => Promise<boolean>} check
 * @param {number} timeoutMs
 */
export async function waitFor(child, what, check, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    if (child.hasExited()) throw new Error(`${child.describeFailure()}\n(while waiting for ${what})`);
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      if (err?.fatal) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}\n${child.describeFailure()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
