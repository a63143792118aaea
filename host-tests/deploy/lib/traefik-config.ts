// Reading Traefik configuration the way Traefik acts on it, for the deployment checks.

export interface RedirectRegex {
  regex: string;
  replacement: string;
}

/**
 * Where Traefik's redirectRegex sends `url`, or undefined when it lets the request pass
 * (Go: regexp.MatchString, then ReplaceAllString with `$1` / `${1}` references). The patterns
 * used here are in the subset where Go's RE2 and JavaScript agree.
 */
export function applyRedirectRegex(config: RedirectRegex, url: string): string | undefined {
  const regex = new RegExp(config.regex, 'g');
  if (!new RegExp(config.regex).test(url)) return undefined;
  return url.replace(regex, (...match: unknown[]) =>
    config.replacement.replace(/\$\{(\d+)\}|\$(\d+)/g, (_ref, braced: string | undefined, bare: string | undefined) => {
      const group = match[Number(braced ?? bare)];
      return typeof group === 'string' ? group : '';
    }),
  );
}

export interface PluginMount {
  /** the directory as Traefik sees it */
  host: string;
  /** the directory as the plugin sees it */
  guest: string;
  readOnly: boolean;
}

/** `settings.mounts` entries: `dir`, `hostDir:guestDir`, with an optional `:ro` (Traefik's middlewarewasm.go). */
export function parsePluginMount(entry: string): PluginMount {
  const readOnly = entry.endsWith(':ro');
  const parts = (readOnly ? entry.slice(0, -3) : entry).split(':');
  if (parts.length === 1) return { host: parts[0]!, guest: parts[0]!, readOnly };
  if (parts.length === 2) return { host: parts[0]!, guest: parts[1]!, readOnly };
  throw new Error(`invalid mount ${JSON.stringify(entry)}`);
}

const under = (path: string, dir: string): string | undefined => {
  if (path === dir) return '';
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return path.startsWith(prefix) ? path.slice(prefix.length) : undefined;
};

/** The path the plugin sees for a file Traefik sees at `hostPath`, through the mounts. */
export function guestPathOf(mounts: PluginMount[], hostPath: string): string | undefined {
  for (const mount of mounts) {
    const rest = under(hostPath, mount.host);
    if (rest !== undefined) return rest === '' ? mount.guest : `${mount.guest.replace(/\/$/, '')}/${rest}`;
  }
  return undefined;
}

/** The path Traefik sees for a file the plugin reads at `guestPath`. */
export function hostPathOf(mounts: PluginMount[], guestPath: string): string | undefined {
  for (const mount of mounts) {
    const rest = under(guestPath, mount.guest);
    if (rest !== undefined) return rest === '' ? mount.host : `${mount.host.replace(/\/$/, '')}/${rest}`;
  }
  return undefined;
}

/** Every argument of a matcher in a router rule, e.g. the hosts of Host(`a`) || Host(`b`). */
export function ruleArguments(rule: string, matcher: string): string[] {
  const out: string[] = [];
  const pattern = new RegExp(`(!?)\\b${matcher}\\(\`([^\`]*)\`\\)`, 'g');
  for (const match of rule.matchAll(pattern)) out.push(`${match[1]}${match[2]}`);
  return out;
}
