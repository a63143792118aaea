export { createForwardAuthHandler, decideWithReload, type ForwardAuthHandler, type ForwardAuthOptions } from './handler.js';
export { decide, decideToken, type DecideContext } from './decide.js';
export type { Decision, ErrorBody } from './decision.js';
export { createKeySource, UNKNOWN_KID_RELOAD_INTERVAL_MS, type KeySource } from './key-source.js';
export { forwardAuthRequestFrom, type ForwardAuthRequest } from './request.js';
export { classifyPath, type PathClass } from './paths.js';
export { REASON } from './reasons.js';
export { parseStrictJson, StrictJsonError } from './strict-json.js';
export type { LoggerLike } from '../policy/logger.js';
