// ASCII-only helpers: security comparisons must not use Unicode case mapping.

/** Lowercases A-Z only; every other code unit is kept as it is. */
export function asciiLower(s: string): string {
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) { changed = true; break; }
  }
  if (!changed) return s;
  const codes = new Array<i32>(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    codes[i] = c >= 65 && c <= 90 ? c + 32 : c;
  }
  return String.fromCharCodes(codes);
}
