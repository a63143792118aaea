/** The fixed reason phrases (docs/policy-contract.md). They never contain token material. */
export const REASON = {
  // 401 invalid_token
  tokenTooLarge: 'token too large',
  malformedToken: 'malformed token',
  issuerNotTrusted: 'issuer not trusted',
  algorithmNotAllowed: 'algorithm not allowed',
  typeNotAccepted: 'token type not accepted',
  unknownKeyId: 'unknown key id',
  signatureInvalid: 'signature invalid',
  audienceNotAccepted: 'audience not accepted',
  tokenExpired: 'token expired',
  tokenNotYetValid: 'token not yet valid',
  // 403
  missingScope: 'missing required scope',
  emailNotAllowed: 'email not allowed',
  emailNotVerified: 'email not verified',
  // 400 invalid_request
  multipleAuthorizationHeaders: 'multiple authorization headers',
  headerAndQueryToken: 'token in header and query',
  multipleQueryTokens: 'multiple query tokens',
  malformedAuthorizationHeader: 'malformed authorization header',
  queryTokenNotAllowed: 'query token not allowed',
  // 200
  publicPath: 'public path',
  notProtected: 'path not protected',
  tokenValid: 'token valid',
} as const;
