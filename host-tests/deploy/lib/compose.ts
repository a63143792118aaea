// Just enough of Docker compose to check the deployment files without a Docker engine: variable
// interpolation (compose spec "Interpolation"), the short volume syntax, and how an override
// file merges into the base file (compose spec "Merge").

export type Env = Record<string, string | undefined>;

export class InterpolationError extends Error {
  constructor(readonly variable: string, message: string) {
    super(message);
    this.name = 'InterpolationError';
  }
}

// ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ${NAME:+alt},
// ${NAME+alt}, $NAME, and $$ for a literal dollar sign.
const REFERENCE = /\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** One string with compose's interpolation applied; throws for `${X:?msg}` when X is unset. */
export function interpolate(text: string, env: Env): string {
  return text.replace(REFERENCE, (_match, dollar: string | undefined, braced: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (dollar) return '$';
    const name = (braced ?? bare)!;
    const value = env[name];
    const unset = value === undefined;
    const empty = unset || value === '';
    switch (op) {
      case undefined:
        return value ?? '';
      case ':-':
        return empty ? arg! : value!;
      case '-':
        return unset ? arg! : value!;
      case ':?':
        if (empty) throw new InterpolationError(name, `${name}: ${arg}`);
        return value!;
      case '?':
        if (unset) throw new InterpolationError(name, `${name}: ${arg}`);
        return value!;
      case ':+':
        return empty ? '' : arg!;
      case '+':
        return unset ? '' : arg!;
      default:
        throw new Error(`unsupported interpolation ${op}`);
    }
  });
}

/** Interpolates every string value (not keys) of a parsed compose document, as compose does. */
export function interpolateTree<T>(node: T, env: Env): T {
  if (typeof node === 'string') return interpolate(node, env) as T;
  if (Array.isArray(node)) return node.map((item) => interpolateTree(item, env)) as T;
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateTree(value, env)])) as T;
  }
  return node;
}

export interface VolumeMount {
  /** a named volume's name, or a host path for a bind mount */
  source: string;
  target: string;
  readOnly: boolean;
  kind: 'volume' | 'bind';
}

/** The short syntax `source:target[:mode]` (mode a comma list such as `ro`). */
export function parseVolume(spec: string): VolumeMount {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) throw new Error(`volume ${JSON.stringify(spec)}: expected source:target[:mode]`);
  const [source, target, mode = ''] = parts as [string, string, string?];
  const kind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~') ? 'bind' : 'volume';
  return { source, target, readOnly: mode.split(',').includes('ro'), kind };
}

export interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string };
  environment?: Record<string, string>;
  volumes?: string[];
  labels?: Record<string, string>;
  expose?: string[];
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  [key: string]: unknown;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

function mergeMaps(base: unknown, over: unknown): unknown {
  return { ...(base as object | undefined), ...(over as object | undefined) };
}

/** Compose merge rules for the keys these files use: maps merge, volumes merge by target, the rest is replaced. */
export function mergeCompose(base: ComposeFile, override: ComposeFile): ComposeFile {
  const services: Record<string, ComposeService> = { ...base.services };
  for (const [name, over] of Object.entries(override.services ?? {})) {
    const merged: ComposeService = { ...services[name], ...over };
    for (const key of ['environment', 'labels', 'depends_on'] as const) {
      if (services[name]?.[key] !== undefined || over[key] !== undefined) {
        (merged as Record<string, unknown>)[key] = mergeMaps(services[name]?.[key], over[key]);
      }
    }
    if (over.volumes) {
      const byTarget = new Map((services[name]?.volumes ?? []).map((spec) => [parseVolume(spec).target, spec]));
      for (const spec of over.volumes) byTarget.set(parseVolume(spec).target, spec);
      merged.volumes = [...byTarget.values()];
    }
    services[name] = merged;
  }
  return { ...base, ...override, services, volumes: { ...base.volumes, ...override.volumes } };
}

/** The mount of `service` that holds `containerPath`, and the path inside it. */
export function mountHolding(service: ComposeService, containerPath: string): { mount: VolumeMount; relative: string } | undefined {
  let best: { mount: VolumeMount; relative: string } | undefined;
  for (const spec of service.volumes ?? []) {
    const mount = parseVolume(spec);
    const prefix = mount.target.endsWith('/') ? mount.target : `${mount.target}/`;
    if (containerPath !== mount.target && !containerPath.startsWith(prefix)) continue;
    if (best && best.mount.target.length >= mount.target.length) continue;
    best = { mount, relative: containerPath.slice(mount.target.length).replace(/^\//, '') };
  }
  return best;
}
