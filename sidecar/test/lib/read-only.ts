/**
 * Makes a file or directory unwritable for this process, also when it runs as root (chmod alone
 * does not stop root: the immutable attribute does). Returns the function that undoes it; call it
 * in a `finally`, or the temporary directory cannot be removed.
 *
 * Never use it on SQLite's `-shm` file: it is memory-mapped, and an immutable mapping kills the
 * process with SIGBUS on the next write.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';

export function makeReadOnly(target: string): () => void {
  const mode = statSync(target).mode & 0o7777;
  execFileSync('chmod', [statSync(target).isDirectory() ? '0555' : '0444', target]);
  try {
    accessSync(target, constants.W_OK);
  } catch {
    return () => execFileSync('chmod', [mode.toString(8), target]);
  }
  execFileSync('chattr', ['+i', target]);
  return () => {
    execFileSync('chattr', ['-i', target]);
    execFileSync('chmod', [mode.toString(8), target]);
  };
}
