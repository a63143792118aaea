/** Refresh delay for an upstream JWKS: Cache-Control max-age, bounded. */

export const MIN_REFRESH_SECONDS = 60;
export const MAX_REFRESH_SECONDS = 24 * 60 * 60;
/** when the upstream sends no usable max-age */
export const DEFAULT_REFRESH_SECONDS = 60 * 60;

/** max-age in seconds from a Cache-Control header; `no-cache`/`no-store` count as 0. */
export function maxAgeSeconds(cacheControl: string | null | undefined): number | undefined {
  if (!cacheControl) return undefined;
  let maxAge: number | undefined;
  for (const directive of cacheControl.split(',')) {
    const [name, value] = directive.trim().split('=', 2).map((s) => s.trim());
    const lower = name.toLowerCase();
    if (lower === 'no-cache' || lower === 'no-store') return 0;
    if (lower === 'max-age' && value !== undefined && /^"?\d{1,10}"?$/.test(value)) {
      maxAge = Number(value.replace(/"/g, ''));
    }
  }
  return maxAge;
}

export function refreshDelaySeconds(cacheControl: string | null | undefined): number {
  const maxAge = maxAgeSeconds(cacheControl) ?? DEFAULT_REFRESH_SECONDS;
  return Math.min(MAX_REFRESH_SECONDS, Math.max(MIN_REFRESH_SECONDS, maxAge));
}
