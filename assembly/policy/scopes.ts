// Scope checks (RFC 6749 §3.3): `scope` is a space-delimited list; matching is whole-token and
// case-sensitive, so `mcp:tools:admin` never satisfies `mcp:tools`.

/** Splits a `scope` claim on single spaces, dropping empty tokens. */
export function splitScopes(scope: string): string[] {
  const out = new Array<string>();
  const parts = scope.split(' ');
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) out.push(parts[i]);
  return out;
}

/** The required scopes missing from `granted`, in configuration order. */
export function missingScopes(required: string[], granted: string[]): string[] {
  const missing = new Array<string>();
  for (let i = 0; i < required.length; i++) {
    if (!granted.includes(required[i])) missing.push(required[i]);
  }
  return missing;
}
