/** Signature algorithms the contract allows; nothing else is ever accepted. */
export type SigningAlg = 'RS256' | 'ES256' | 'EdDSA';
export const SIGNING_ALGS: readonly SigningAlg[] = ['RS256', 'ES256', 'EdDSA'];

/** A JSON Web Key as found in a JWKS document (members we do not know stay untyped). */
export interface JWK {
  kty?: string;
  kid?: string;
  alg?: string;
  use?: string;
  key_ops?: string[];
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
  [member: string]: unknown;
}

export interface JWKS {
  keys: JWK[];
}

/** One trusted token issuer, normalised (defaults applied). */
export interface IssuerPolicy {
  /** exact `iss` */
  issuer: string;
  /** `aud` must contain one of these */
  audiences: string[];
  /** algorithms accepted for this issuer */
  algorithms: SigningAlg[];
  /** required `typ`, lowercased without `application/`; `''` switches the check off */
  type: string;
  /** inline keys as configured (a single JWK is given here as a one-key set) */
  jwks?: JWKS;
  /** keys file re-read at most every `jwksRefreshSeconds` and on an unknown `kid` */
  jwksFile?: string;
  jwksRefreshSeconds: number;
}

/** Header names set for the upstream on success; a missing entry means "not forwarded". */
export interface ForwardHeaders {
  user?: string;
  email?: string;
  subject?: string;
  scopes?: string;
  clientId?: string;
}

/** The request policy contract (docs/policy-contract.md), validated and with defaults applied. */
export interface PolicyConfig {
  issuers: IssuerPolicy[];
  resource: string;
  authorizationServers: string[];
  scopesSupported: string[];
  resourceName?: string;
  protectedPaths: string[];
  publicPaths: string[];
  requiredScopes: string[];
  /** ASCII-lowercased exact addresses and `@domain` entries, in configuration order; empty = allowlist off */
  allowedEmails: string[];
  requireEmailVerified: boolean;
  forwardHeaders: ForwardHeaders;
  stripAuthorization: boolean;
  clockSkewSeconds: number;
  maxTokenBytes: number;
  allowQueryToken: boolean;
  logLevel: 0 | 1 | 2;
  loginRedirect?: string;
  /** derived: `<origin>/.well-known/oauth-protected-resource<path of resource>` */
  resourceMetadataUrl: string;
  /** derived: the path of resourceMetadataUrl (served like the bare well-known path) */
  resourceMetadataPath: string;
}
