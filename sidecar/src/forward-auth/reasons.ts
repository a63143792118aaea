/** The fixed reason phrases (docs/policy-contract.md), the plugin's words. They never contain token material. */
export const REASON = {
  // 401 invalid_token
  bearerTokenRequired: 'bearer token required',
  tokenTooLarge: 'token too large',
  malformedToken: 'malformed token',
  malformedHeader: 'malformed token header',
  malformedClaims: 'malformed token claims',
  unsupportedCritical: 'unsupported critical header',
  issuerNotTrusted: 'issuer not trusted',
  algorithmNotAllowed: 'algorithm not allowed',
  typeNotAccepted: 'token type not accepted',
  unknownKeyId: 'unknown key id',
  noKeyId: 'token has no key id',
  signatureInvalid: 'signature invalid',
  audienceNotAccepted: 'audience not accepted',
  noExpiry: 'token has no expiry',
  tokenExpired: 'token expired',
  tokenNotYetValid: 'token not yet valid',
  issuedInFuture: 'token issued in the future',
  // 403
  missingScope: 'missing required scope',
  emailNotAllowed: 'email not allowed',
  emailNotVerified: 'email not verified',
  // 400 invalid_request
  multipleAuthorizationHeaders: 'more than one Authorization header',
  headerAndQueryToken: 'token given in both the header and the query',
  emptyBearerToken: 'empty bearer token',
  queryTokenNotAllowed: 'tokens in the query string are not accepted',
  emptyQueryToken: 'empty access_token parameter',
  multipleQueryTokens: 'more than one access_token parameter',
  // 414
  uriTooLong: 'request URI too long',
  // no token needed / answered here
  publicPath: 'public path',
  corsPreflight: 'cors preflight',
  metadata: 'protected resource metadata',
  loginRedirect: 'login redirect',
  tokenValid: 'token valid',
} as const;
