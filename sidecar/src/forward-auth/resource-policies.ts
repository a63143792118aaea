/**
 * Which policy judges a forwardAuth request when the sidecar protects several MCP resources.
 *
 * Each resource has its own policy, and each policy accepts only tokens minted for its own
 * resource (RFC 8707; MCP: "a token whose aud does not name this resource MUST be rejected"), so
 * a token for /mcp does not open /sse. The choice, in this order:
 *
 *  1. Pinned: the forwardAuth address names the resource, `/auth?resource=<resource URL>`. Traefik
 *     builds that address from its own configuration, so clients cannot choose it; this is how a
 *     router that serves paths outside the resource's path (/messages for the /sse resource) gets
 *     the right policy. A name that is not a configured resource is a configuration error: the
 *     handler answers 500 instead of guessing (see pinnedResource).
 *  2. By the forwarded request: among the resources on the request's host (X-Forwarded-Host; all
 *     of them when none is on that host or the header is missing), the one whose own metadata path
 *     is the request path, else the one whose path is the longest segment prefix of the request
 *     path: `/mcp` covers `/mcp` and `/mcp/x`, never `/mcpx`; a resource without a path covers
 *     everything. The request path is read the loose way the plugin reads protected prefixes
 *     (percent-decoded, dot segments resolved, slashes collapsed, ASCII case ignored), which is
 *     how a lenient upstream would resolve it. The scheme (X-Forwarded-Proto) is not used: TLS
 *     often ends before Traefik.
 *  3. Otherwise: the first of those resources (the first of RESOURCE), the policy a single-policy
 *     sidecar applied to every request.
 *
 * With one policy (one RESOURCE, or POLICY_FILE) every request gets it, exactly as before.
 */
import { WELL_KNOWN_PRM } from '../policy/load.js';
import { isCleanPath, loosePath, pathOf } from '../policy/paths.js';
import type { PolicyConfig } from '../policy/types.js';

/** What selection reads of the forwarded request. */
export interface ForwardedTarget {
  /** X-Forwarded-Uri (path and query), undefined when missing or repeated */
  uri: string | undefined;
  /** X-Forwarded-Host, undefined when missing or repeated */
  host: string | undefined;
}

export interface ResourcePolicies {
  /** the policies in configuration order (never empty) */
  readonly all: readonly PolicyConfig[];
  /** the policy for a request that no resource's path covers */
  readonly first: PolicyConfig;
  /** the policy of a resource named exactly (one trailing slash of the name is ignored) */
  byResource(resource: string): PolicyConfig | undefined;
  /** the policy for a forwarded request (steps 2 and 3 above) */
  forRequest(target: ForwardedTarget): PolicyConfig;
  /** whether `path` is a metadata document path the sidecar serves (the bare one included) */
  isMetadataPath(path: string): boolean;
  /**
   * The policy whose Protected Resource Metadata lives at `path`, preferring a resource on
   * `host`; the bare well-known path without a resource there gets the first policy (of `host`).
   */
  forMetadataPath(path: string, host: string | undefined): PolicyConfig | undefined;
}

interface Entry {
  policy: PolicyConfig;
  /** `host[:port]` as the URL serialises it (no default port) */
  host: string;
  /** `host:port` with the scheme's default port written out */
  hostWithPort: string;
  /** the resource's path, read loosely (`/` for none) */
  path: string;
}

function entryOf(policy: PolicyConfig): Entry {
  const url = new URL(policy.resource);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return { policy, host: url.host, hostWithPort: `${url.hostname}:${port}`, path: loosePath(url.pathname) };
}

/** `prefix` covers `path` on segment boundaries (both loose, without trailing slash). */
function covers(prefix: string, path: string): boolean {
  return prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);
}

export function resourcePolicies(policies: readonly PolicyConfig[]): ResourcePolicies {
  if (policies.length === 0) throw new Error('forwardAuth needs at least one policy');
  const entries = policies.map(entryOf);
  const metadataPaths = new Set([WELL_KNOWN_PRM, ...policies.map((p) => p.resourceMetadataPath)]);

  /** The entries on `host`, or all of them when none is (or the host is unknown). */
  function onHost(host: string | undefined): Entry[] {
    if (host === undefined || entries.length === 1) return entries;
    const h = host.trim().toLowerCase();
    const matching = entries.filter((e) => e.host === h || e.hostWithPort === h);
    return matching.length > 0 ? matching : entries;
  }

  return {
    all: policies,
    first: policies[0]!,
    byResource(resource) {
      const trimmed = resource.length > 1 && resource.endsWith('/') ? resource.slice(0, -1) : resource;
      return policies.find((p) => p.resource === resource || p.resource === trimmed);
    },
    forRequest({ uri, host }) {
      const pool = onHost(host);
      if (entries.length === 1 || uri === undefined) return pool[0]!.policy;
      const path = pathOf(uri);
      if (isCleanPath(path)) {
        const metadata = pool.find((e) => e.policy.resourceMetadataPath === path);
        if (metadata) return metadata.policy;
      }
      const loose = loosePath(path);
      let best: Entry | undefined;
      for (const e of pool) {
        if (covers(e.path, loose) && (best === undefined || e.path.length > best.path.length)) best = e;
      }
      return (best ?? pool[0]!).policy;
    },
    isMetadataPath(path) {
      return metadataPaths.has(path);
    },
    forMetadataPath(path, host) {
      const pool = onHost(host);
      const found = pool.find((e) => e.policy.resourceMetadataPath === path) ?? entries.find((e) => e.policy.resourceMetadataPath === path);
      if (found) return found.policy;
      return path === WELL_KNOWN_PRM ? pool[0]!.policy : undefined;
    },
  };
}

/** The query parameter of the forwardAuth address that pins the resource. */
export const RESOURCE_PARAMETER = 'resource';

export type Pin = { ok: true; resource: string | undefined } | { ok: false; problem: string };

/**
 * The resource the forwardAuth address names (`/auth?resource=<URL>`), undefined when it names
 * none. Any other parameter, a repeated or empty one, is refused: a typo must not silently fall
 * back to choosing by path.
 */
export function pinnedResource(requestUrl: string | undefined): Pin {
  const q = requestUrl?.indexOf('?') ?? -1;
  if (requestUrl === undefined || q < 0) return { ok: true, resource: undefined };
  const params = new URLSearchParams(requestUrl.slice(q + 1));
  const names = new Set(params.keys());
  for (const name of names) {
    if (name !== RESOURCE_PARAMETER) return { ok: false, problem: `unknown parameter ${JSON.stringify(name.slice(0, 100))}` };
  }
  const values = params.getAll(RESOURCE_PARAMETER);
  if (values.length === 0) return { ok: true, resource: undefined };
  if (values.length > 1) return { ok: false, problem: 'more than one resource parameter' };
  if (values[0]!.length === 0) return { ok: false, problem: 'empty resource parameter' };
  return { ok: true, resource: values[0]! };
}
