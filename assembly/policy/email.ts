// The email allowlist. Comparison is ASCII-only on purpose: Unicode case folding or NFKC would let
// look-alikes such as the dotless `ı`, the Kelvin sign `K` or full-width letters collapse onto an
// allowed address, so any non-ASCII address is refused outright (security checklist, "Email allowlist").
import { asciiLower } from './ascii';

/** RFC 5322 dot-atom characters allowed in a local part besides letters, digits and `.`. */
const LOCAL_SPECIALS = "!#$%&'*+/=?^_`{|}~-";

function isAlnum(c: i32): bool {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * The address, ASCII-lowercased, or "" when it is not an address we are willing to compare:
 * exactly one `@`; a dot-atom local part of 1..64 characters (letters, digits,
 * !#$%&'*+/=?^_`{|}~- and single inner dots); a domain of non-empty labels of letters, digits and
 * `-` separated by single dots. So quotes, comments, brackets, whitespace, control characters,
 * non-ASCII, a second `@` and a trailing dot are all refused.
 */
export function canonicalEmail(address: string): string {
  const n = address.length;
  if (n < 3 || n > 320) return '';
  const at = address.indexOf('@');
  if (at <= 0 || at > 64 || at == n - 1) return '';
  for (let i = 0; i < at; i++) {
    const c = address.charCodeAt(i);
    if (c == 46) {
      if (i == 0 || i == at - 1 || address.charCodeAt(i - 1) == 46) return '';
    } else if (!isAlnum(c) && !LOCAL_SPECIALS.includes(String.fromCharCode(c))) {
      return '';
    }
  }
  for (let i = at + 1; i < n; i++) {
    const c = address.charCodeAt(i);
    if (c == 46) {
      if (i == at + 1 || i == n - 1 || address.charCodeAt(i - 1) == 46) return '';
    } else if (!isAlnum(c) && c != 45) {
      return '';
    }
  }
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
