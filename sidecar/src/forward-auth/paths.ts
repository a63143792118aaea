/**
 * Which paths need a token. Matching uses the path of X-Forwarded-Uri, the form Traefik routed
 * on. Public matching is strict (clean path, case-sensitive, whole segments); protected matching
 * is generous (case-insensitive plain prefix), and any path we are unsure about (percent
 * encoding, `..`, `//`, `;`, `\`, non-ASCII ...) is treated as protected: confusion can only ever
 * cost a token, never skip one.
 */
import { isCleanPath } from '../policy/paths.js';
import type { PolicyConfig } from '../policy/types.js';

export type PathClass = 'public' | 'protected' | 'unprotected';

/** Path part of a request-target (everything before the first `?`). */
export function pathOf(uri: string): string {
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}

/** Query part (after the first `?`), or undefined when there is none. */
export function queryOf(uri: string): string | undefined {
  const q = uri.indexOf('?');
  return q === -1 ? undefined : uri.slice(q + 1);
}

function segmentPrefix(path: string, prefix: string): boolean {
  if (prefix.endsWith('/')) return path.startsWith(prefix);
  return path === prefix || path.startsWith(`${prefix}/`);
}

export function classifyPath(policy: Pick<PolicyConfig, 'publicPaths' | 'protectedPaths'>, uri: string | undefined): PathClass {
  if (uri === undefined) return 'protected';
  const path = pathOf(uri);
  if (!isCleanPath(path)) return 'protected';
  if (policy.publicPaths.some((p) => segmentPrefix(path, p))) return 'public';
  const lower = path.toLowerCase();
  // `/mcp/` also covers `/mcp`: the upstream may well serve both.
  if (policy.protectedPaths.some((p) => lower.startsWith(p.toLowerCase().replace(/\/+$/, '')))) return 'protected';
  return 'unprotected';
}
