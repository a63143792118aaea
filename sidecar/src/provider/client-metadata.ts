// Client metadata policy, applied through oidc-provider's documented `extraClientMetadata`
// extension point: its validator runs for every Client construction (dynamic registration,
// Client ID Metadata Documents, clients loaded from storage) BEFORE the library validates the
// standard properties, and may modify the metadata it is given.
//
// Three things happen here:
// - `application_type` is inferred when the client omitted it (the registration body shows
//   whether it did), so Cursor's custom-scheme + https + localhost set and VS Code's loopback
//   URIs register as one native client instead of being refused as `web`.
// - redirect URIs the library would accept but we do not (non-loopback http, userinfo,
//   wildcards, too many URIs) are refused with `invalid_redirect_uri`.
// - the client's own `scope` metadata is dropped (see below).
import { errors } from 'oidc-provider';
import { MAX_REDIRECT_URIS, inferApplicationType, redirectUriProblem } from './redirect-uris.js';

/** RFC 7591 §2 properties the library does not know; declaring them gives us the validator hook. */
export const EXTRA_CLIENT_PROPERTIES = ['software_id', 'software_version'] as const;

type Metadata = Record<string, unknown>;

/**
 * The `extraClientMetadata.validator`. A client's own `scope` metadata is dropped: it would make
 * the library refuse registrations naming scopes we do not offer (`openid profile email` is
 * common) and refuse later requests outside it, where the rule here is that scopes not allowed
 * are dropped, never an error. ALLOWED_SCOPES is the one restriction.
 */
export function createClientMetadataValidator() {
  return function validateClientMetadata(ctx: unknown, key: string, value: unknown, metadata: Metadata): void {
    if (value !== undefined && typeof value !== 'string') {
      throw new errors.InvalidClientMetadata(`${key} must be a string`);
    }
    // The validator runs once per extra property; apply the whole-client policy once.
    if (key !== EXTRA_CLIENT_PROPERTIES[0]) return;

    delete metadata.scope;

    const uris = metadata.redirect_uris;
    // Shape errors (not an array, non-strings) are left to the library's own messages.
    if (!Array.isArray(uris) || !uris.every((u) => typeof u === 'string')) {
      return;
    }

    if (uris.length > MAX_REDIRECT_URIS) {
      // A description starting with "redirect_uris" makes the library answer invalid_redirect_uri.
      throw new errors.InvalidClientMetadata(`redirect_uris must contain at most ${MAX_REDIRECT_URIS} members`);
    }
    for (const uri of uris as string[]) {
      const problem = redirectUriProblem(uri);
      if (problem) throw new errors.InvalidClientMetadata(`redirect_uris: ${JSON.stringify(uri.slice(0, 200))} ${problem}`);
    }
    const inferred = inferApplicationType(uris as string[]);
    const registration = registrationBody(ctx);
    if (registration) {
      if (registration.application_type === undefined) metadata.application_type = inferred;
    } else if (ctx === undefined && isHttpsUrl(metadata.client_id) && metadata.application_type === 'web') {
      // A Client ID Metadata Document: the library has already put its `web` default in, so
      // an omission cannot be told from an explicit `web`. A document whose redirect URIs only
      // a native client may use (custom scheme, loopback http) is read as native.
      metadata.application_type = inferred;
    }
  };
}

/** The raw JSON body of a dynamic registration request (what the client really sent). */
function registrationBody(ctx: unknown): Metadata | undefined {
  const oidc = (ctx as { oidc?: { route?: string; body?: unknown } } | undefined)?.oidc;
  if (oidc?.route !== 'registration' || typeof oidc.body !== 'object' || oidc.body === null) return undefined;
  return oidc.body as Metadata;
}

function isHttpsUrl(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith('https://');
}
