/**
 * Email addresses as the allowlist sees them, exactly as the wasm plugin does
 * (assembly/policy/email.ts). Comparison is ASCII-only on purpose: Unicode case folding or NFKC
 * would let look-alikes such as the dotless `ı`, the Kelvin sign `K` or full-width letters
 * collapse onto an allowed address, so any non-ASCII address is refused outright.
 */

function asciiLower(value: string): string {
  return value.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*$/;

/**
 * The address, ASCII-lowercased, or undefined when it is not an address we are willing to
 * compare (the plugin's rule, assembly/policy/email.ts): exactly one `@`; a dot-atom local part of
 * 1..64 characters; a domain of non-empty labels of letters, digits and `-` separated by single
 * dots; 3..320 characters in all. Quotes, comments, brackets, whitespace, control characters,
 * non-ASCII, a second `@` and a trailing dot are all refused.
 */
export function normalizeEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length < 3 || value.length > 320) return undefined;
  const at = value.indexOf('@');
  if (at <= 0 || at > 64) return undefined;
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  if (!LOCAL_PART.test(local) || !DOMAIN.test(domain)) return undefined;
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
