/**
 * Strict base64url (RFC 4648 §5, as RFC 7515 uses it): alphabet A-Z a-z 0-9 - _ only, no
 * padding, no whitespace, and canonical trailing bits. Node's decoder accepts `+`, `/`, `=`,
 * whitespace and non-zero trailing bits, so a token altered in those ways would still decode;
 * this check runs first so such variants are refused instead of silently normalised.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export function isStrictBase64url(text: string): boolean {
  const rem = text.length % 4;
  if (rem === 1) return false; // no byte sequence encodes to 4k+1 characters
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || VALUE[c] < 0) return false;
  }
  if (rem === 0 || text.length === 0) return true;
  // The last character carries 4 (rem 2) or 2 (rem 3) bits beyond the data; they must be zero.
  const last = VALUE[text.charCodeAt(text.length - 1)];
  const unusedBits = rem === 2 ? 0b1111 : 0b11;
  return (last & unusedBits) === 0;
}

/** Decodes strict base64url, or returns undefined when the text is not strict base64url. */
export function decodeStrictBase64url(text: string): Buffer | undefined {
  return isStrictBase64url(text) ? Buffer.from(text, 'base64url') : undefined;
}
