/**
 * Two (or more) separate Node processes, each with its own storage connection, consume the same
 * ids at the same moment. Used by the SQLite and Redis race tests.
 */
import { fork } from 'node:child_process';
import path from 'node:path';

import { bundleChild, repoRoot } from './child-bundle.js';

const CHILD_SOURCE = `
import { openStorage } from ${JSON.stringify(path.join(repoRoot, 'sidecar/src/storage/index.ts'))};
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const [kind, target, idsJson, order] = process.argv.slice(2);
const ids: string[] = JSON.parse(idsJson);
// odd-numbered processes go backwards, so the processes collide on every id sooner or later
if (order === 'reverse') ids.reverse();
const storage = await openStorage(kind === 'redis' ? { redisUrl: target } : { dataDir: target }, silent);
const adapter = new storage.adapter('RefreshToken');
process.on('message', async (msg) => {
  if (msg !== 'go') return;
  const wins: string[] = [];
  const unexpected: string[] = [];
  // every id several times, interleaved, to keep both processes contending
  const attempts = ids.flatMap((id) => [id, id, id]);
  await Promise.all(attempts.map(async (id) => {
    try {
      await adapter.consume(id);
      wins.push(id);
    } catch (err: any) {
      if (err?.code !== 'ALREADY_CONSUMED') unexpected.push(String(err?.code) + ' ' + String(err?.message));
    }
  }));
  await storage.close();
  process.send!({ wins, unexpected }, () => process.exit(0));
});
process.send!('ready');
`;

export interface RaceResult {
  wins: string[][];
  unexpected: string[];
}

export async function consumeRace(kind: 'redis' | 'sqlite', target: string, ids: string[], processes = 2): Promise<RaceResult> {
  const bundle = await bundleChild('consume-race', CHILD_SOURCE);
  try {
    const children = Array.from({ length: processes }, (_, i) =>
      fork(bundle.file, [kind, target, JSON.stringify(ids), i % 2 === 1 ? 'reverse' : 'forward'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ready = children.map((c) => new Promise<void>((resolve, reject) => {
      c.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(`unexpected ${String(m)}`))));
      c.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    }));
    await Promise.all(ready);
    const done = children.map((c) => new Promise<{ wins: string[]; unexpected: string[] }>((resolve, reject) => {
      c.once('message', (m) => resolve(m as { wins: string[]; unexpected: string[] }));
      c.once('exit', (code) => code !== 0 && reject(new Error(`child exited with ${code}`)));
    }));
    for (const c of children) c.send('go');
    const results = await Promise.all(done);
    return { wins: results.map((r) => r.wins), unexpected: results.flatMap((r) => r.unexpected) };
  } finally {
    await bundle.cleanup();
  }
}

/** Checks: every id won exactly once across all processes. */
export function assertExactlyOneWinner(ids: string[], result: RaceResult): { perProcess: number[] } {
  const counts = new Map<string, number>();
  for (const wins of result.wins) for (const id of wins) counts.set(id, (counts.get(id) ?? 0) + 1);
  const bad = ids.filter((id) => counts.get(id) !== 1);
  if (bad.length > 0 || result.unexpected.length > 0) {
    throw new Error(`ids without exactly one winner: ${bad.slice(0, 5).join(', ')} (${bad.length}); unexpected errors: ${result.unexpected.slice(0, 3).join('; ')}`);
  }
  return { perProcess: result.wins.map((w) => w.length) };
}
