/**
 * Email addresses as the allowlist sees them, exactly as the wasm plugin does
 * (assembly/policy/email.ts). Comparison is ASCII-only on purpose: Unicode case folding or NFKC
 * would let look-alikes such as the dotless `ı`, the Kelvin sign `K` or full-width letters
 * collapse onto an allowed address, so any non-ASCII address is refused outright.
 */

function asciiLower(value: string): string {
  return value.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/**
 * The address, ASCII-lowercased, or undefined when it is not an address we are willing to
 * compare: a string of 3..320 printable ASCII characters without quotes, backslash, comma or
 * angle brackets, exactly one `@` with a non-empty local part and domain, no trailing dot and no
 * dot right after the `@`.
 */
export function normalizeEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const n = value.length;
  if (n < 3 || n > 320) return undefined;
  let at = -1;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return undefined;
    if (c === 0x22 || c === 0x27 || c === 0x5c || c === 0x2c || c === 0x3c || c === 0x3e) return undefined;
    if (c === 0x40) {
      if (at >= 0) return undefined;
      at = i;
    }
  }
  if (at <= 0 || at === n - 1) return undefined;
  if (value.charCodeAt(n - 1) === 0x2e || value.charCodeAt(at + 1) === 0x2e) return undefined;
  return asciiLower(value);
}

/** One allowlist entry: an exact address, or `@domain` for every address at exactly that domain. */
export function normalizeAllowlistEntry(entry: string): string | undefined {
  if (entry.startsWith('@')) {
    const probe = normalizeEmail(`x${entry}`);
    return probe === undefined ? undefined : probe.slice(1);
  }
  return normalizeEmail(entry);
}

/** True when the (already normalised) address matches an entry of the normalised allowlist. */
export function emailAllowed(normalizedEmail: string, allowlist: readonly string[]): boolean {
  const domain = normalizedEmail.slice(normalizedEmail.indexOf('@'));
  return allowlist.some((entry) => entry === normalizedEmail || entry === domain);
}

/** The plugin's check on a raw `email` claim: a comparable address that is on the list. */
export function emailOnAllowlist(allowlist: readonly string[], address: unknown): boolean {
  const email = normalizeEmail(address);
  return email !== undefined && emailAllowed(email, allowlist);
}
