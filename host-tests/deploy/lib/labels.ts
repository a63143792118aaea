// How Traefik's docker provider reads `traefik.*` labels into a configuration tree (the paerser
// library: labels_decode.go and nodes_metadata.go squashNode). Keys split on dots, `name[0]`
// makes a list element, node names match case-insensitively, and every value stays a string:
// that is what a plugin receives as its options.

interface LabelNode {
  name: string;
  value?: string;
  children: LabelNode[];
}

const isIndex = (name: string): boolean => name.startsWith('[') && name.endsWith(']');

function keyParts(key: string): string[] {
  const parts: string[] = [];
  for (const part of key.split('.')) {
    if (part === '') throw new Error(`label ${key}: empty element`);
    if (part.startsWith('[')) throw new Error(`label ${key}: leading '[' in ${part}`);
    const bracket = part.indexOf('[');
    if (part.endsWith(']') && bracket > 0) parts.push(part.slice(0, bracket), part.slice(bracket));
    else parts.push(part);
  }
  return parts;
}

function insert(node: LabelNode, path: string[], value: string): void {
  if (path.length === 0) {
    node.value = value;
    return;
  }
  const [head, ...rest] = path as [string, ...string[]];
  let child = node.children.find((c) => c.name.toLowerCase() === head.toLowerCase());
  if (!child) {
    child = { name: head, children: [] };
    node.children.push(child);
  }
  insert(child, rest, value);
}

function squash(node: LabelNode): unknown {
  if (node.children.length === 0) return node.value ?? '';
  if (isIndex(node.children[0]!.name)) return node.children.map(squash);
  return Object.fromEntries(node.children.map((child) => [child.name, squash(child)]));
}

/**
 * The configuration under `traefik.` (e.g. `{ http: { routers: ..., middlewares: ... } }`) from a
 * container's labels; `traefik.enable` and `traefik.docker.*` are provider settings, left out.
 */
export function labelsToConfig(labels: Record<string, string>): Record<string, unknown> {
  const root: LabelNode = { name: 'traefik', children: [] };
  const keys = Object.keys(labels)
    .filter((key) => key.toLowerCase().startsWith('traefik.'))
    .filter((key) => key.toLowerCase() !== 'traefik.enable' && !key.toLowerCase().startsWith('traefik.docker.'))
    .sort();
  for (const key of keys) insert(root, keyParts(key).slice(1), labels[key]!);
  return (root.children.length ? squash(root) : {}) as Record<string, unknown>;
}

/**
 * A file-provider value in the form labels give it: keys lower-cased (Traefik and the plugin
 * match them case-insensitively), scalars as strings, lists of scalars comma-joined, lists of
 * objects kept as lists. Labels themselves go through the same function, so the two compare.
 */
export function labelForm(value: unknown): unknown {
  if (Array.isArray(value)) {
    if (value.every((item) => item === null || typeof item !== 'object')) return value.map(String).join(',');
    return value.map(labelForm);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key.toLowerCase(), labelForm(inner)]));
  }
  return String(value);
}
