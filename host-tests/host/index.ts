// Test-only http-wasm host that behaves like Traefik's (see httpWasmHost.ts for what is mirrored).
export {
  FEATURE_BUFFER_REQUEST, FEATURE_BUFFER_RESPONSE, FEATURE_TRAILERS, GuestLoadError, HttpWasmHost, validateGuest,
  type GuestRequest, type GuestResponse, type HttpWasmHostOptions, type LogEntry, type Upstream,
  type UpstreamRequest, type UpstreamResponse,
} from './httpWasmHost.js';
export { goJsonMarshal, GoJsonError } from './goJson.js';
export { canonicalMIMEHeaderKey, GoHeader } from './goHeader.js';
export { parseMount, ProcExit, type Mount } from './traefikWasi.js';
export { readModuleInfo, type ModuleInfo } from './wasmModuleInfo.js';
export { buildTestModule } from './wasmFixtures.js';
