/**
 * How forwardAuth classifies the path of X-Forwarded-Uri: the plugin's rules
 * (../policy/paths.ts). A missing or repeated X-Forwarded-Uri is a path we cannot judge: it is
 * never public and never the metadata document.
 */
import { WELL_KNOWN_PRM } from '../policy/load.js';
import { isCleanPath, needsToken, pathOf } from '../policy/paths.js';
import type { PolicyConfig } from '../policy/types.js';

export type PathClass = 'metadata' | 'public' | 'protected';

export function classifyPath(policy: Pick<PolicyConfig, 'publicPaths' | 'protectedPaths' | 'resourceMetadataPath'>, uri: string | undefined): PathClass {
  if (uri === undefined) return 'protected';
  const path = pathOf(uri);
  if (isCleanPath(path) && (path === WELL_KNOWN_PRM || path === policy.resourceMetadataPath)) return 'metadata';
  return needsToken(path, policy.protectedPaths, policy.publicPaths) ? 'protected' : 'public';
}

export { pathOf };
