// The email allowlist. Comparison is ASCII-only on purpose: Unicode case folding or NFKC would let
// look-alikes such as the dotless `ı`, the Kelvin sign `K` or full-width letters collapse onto an
// allowed address, so any non-ASCII address is refused outright (security checklist, "Email allowlist").
import { asciiLower } from './ascii';

/**
 * The address, ASCII-lowercased, or "" when it is not an address we are willing to compare:
 * exactly one `@`, a non-empty local part and domain, printable ASCII only, no quotes, no
 * whitespace or control characters, no trailing dot.
 */
export function canonicalEmail(address: string): string {
  const n = address.length;
  if (n < 3 || n > 320) return '';
  let at = -1;
  for (let i = 0; i < n; i++) {
    const c = address.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return '';
    if (c == 0x22 /* " */ || c == 0x27 /* ' */ || c == 0x5c /* \ */ || c == 0x2c /* , */ || c == 0x3c || c == 0x3e) return '';
    if (c == 0x40) {
      if (at >= 0) return '';
      at = i;
    }
  }
  if (at <= 0 || at == n - 1) return '';
  if (address.charCodeAt(n - 1) == 0x2e /* . */ || address.charCodeAt(at + 1) == 0x2e) return '';
  return asciiLower(address);
}

/** An allowlist entry is an exact address or `@domain`. Returns "" for an unusable entry. */
export function canonicalAllowEntry(entry: string): string {
  if (entry.startsWith('@')) {
    const probe = canonicalEmail('x' + entry);
    return probe.length == 0 ? '' : probe.substring(1);
  }
  return canonicalEmail(entry);
}

/** True when `address` is on the list (entries already canonical). */
export function emailAllowed(allowList: string[], address: string): bool {
  const email = canonicalEmail(address);
  if (email.length == 0) return false;
  const at = email.indexOf('@');
  const domainEntry = email.substring(at); // "@example.com"
  for (let i = 0; i < allowList.length; i++) {
    const entry = allowList[i];
    if (entry == email || entry == domainEntry) return true;
  }
  return false;
}
