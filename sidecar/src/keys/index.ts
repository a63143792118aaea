export {
  ALG_CHANGE_OVERLAP_SECONDS,
  DEFAULT_ROTATION_OVERLAP_SECONDS,
  loadSigningKeys,
  rotateSigningKeys,
  runRotateKeysCommand,
  type RotateCommandIo,
  type SigningKeys,
} from './keystore.js';
export { startJwksFeed, writeJwksFileAtomic, BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, type JwksFeed, type JwksFeedOptions } from './jwks-file.js';
export { traefikDynamicSnippet, pluginOptions } from './traefik-snippet.js';
export { toPublicJwk, toPublicJwks } from './public-jwk.js';
export { refreshDelaySeconds, maxAgeSeconds, MIN_REFRESH_SECONDS, MAX_REFRESH_SECONDS, DEFAULT_REFRESH_SECONDS } from './cache-control.js';
