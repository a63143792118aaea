/**
 * Email addresses as the allowlist sees them: plain ASCII `local@domain`, compared after ASCII
 * lowercasing only. No Unicode case folding or normalisation on purpose: `ı` (dotless i), `K`
 * (Kelvin sign) and full-width letters fold or normalise onto ASCII letters and would let a
 * look-alike address match an allowlist entry. Anything outside the plain form is refused.
 */

/** Characters that only appear in quoted local parts, comments or address literals. */
const SPECIALS = new Set(['"', '(', ')', '<', '>', ',', ';', ':', '\\', '[', ']']);

function asciiLower(value: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    out += c >= 0x41 && c <= 0x5a ? String.fromCharCode(c + 0x20) : value[i];
  }
  return out;
}

/** Visible ASCII only (0x21..0x7e): no whitespace, control characters or non-ASCII. */
function isVisibleAsciiWithoutSpecials(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || SPECIALS.has(value[i])) return false;
  }
  return true;
}

/** Labels separated by single dots: no leading, trailing (`example.com.`) or doubled dot. */
export function isPlainDomain(domain: string): boolean {
  if (domain.length === 0 || domain.length > 253) return false;
  if (!isVisibleAsciiWithoutSpecials(domain) || domain.includes('@')) return false;
  return domain.split('.').every((label) => label.length > 0);
}

/**
 * The ASCII-lowercased address, or undefined when `value` is not a plain address: not a string,
 * not exactly one `@`, empty local part, quotes/specials, whitespace/control/non-ASCII
 * characters, or a domain with a trailing dot or empty label.
 */
export function normalizeEmail(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length > 320) return undefined;
  if (!isVisibleAsciiWithoutSpecials(value)) return undefined;
  const at = value.indexOf('@');
  if (at <= 0 || at !== value.lastIndexOf('@')) return undefined;
  if (!isPlainDomain(value.slice(at + 1))) return undefined;
  return asciiLower(value);
}

/**
 * Normalises one allowlist entry: an exact address, or `@domain` matching every address whose
 * part after the only `@` is exactly `domain` (subdomains do not match). Undefined if invalid.
 */
export function normalizeAllowlistEntry(entry: string): string | undefined {
  if (entry.startsWith('@')) {
    const domain = entry.slice(1);
    return isPlainDomain(domain) ? `@${asciiLower(domain)}` : undefined;
  }
  return normalizeEmail(entry);
}

/** True when the (already normalised) address matches an entry of the normalised allowlist. */
export function emailAllowed(normalizedEmail: string, allowlist: readonly string[]): boolean {
  const domain = normalizedEmail.slice(normalizedEmail.indexOf('@'));
  return allowlist.some((entry) => (entry.startsWith('@') ? entry === domain : entry === normalizedEmail));
}
