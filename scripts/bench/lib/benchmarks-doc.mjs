// Writes a benchmark's figures into docs/benchmarks.md, between its markers
// `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->`; the rest of the page (the
// hand-written introductions and findings) stays as it is.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS_DOC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/benchmarks.md');

/**
 * Replaces the section of benchmark `name`. When the page has neither marker and `intro` is given,
 * appends `intro` and a new marked section; a missing or broken marker pair is an error otherwise.
 */
export async function writeBenchmarkSection(name, section, intro) {
  const startMarker = `<!-- bench:${name}:start -->`;
  const endMarker = `<!-- bench:${name}:end -->`;
  const doc = await readFile(BENCHMARKS_DOC, 'utf8');
  const start = doc.indexOf(startMarker);
  const end = doc.indexOf(endMarker);
  let next;
  if (start >= 0 && end > start) {
    next = `${doc.slice(0, start + startMarker.length)}\n${section}\n${doc.slice(end)}`;
  } else if (start < 0 && end < 0 && intro !== undefined) {
    next = `${doc.replace(/\n*$/, '\n')}\n${intro}\n${startMarker}\n${section}\n${endMarker}\n`;
  } else {
    throw new Error(`docs/benchmarks.md has no (or a broken) bench:${name} marker pair`);
  }
  await writeFile(BENCHMARKS_DOC, next);
}
