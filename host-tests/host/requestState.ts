// Per-request and per-instance state shared by the test host and its http_handler imports.
import type { GoHeader } from './goHeader.js';
import type { RequestUri } from './goUrl.js';
import { BufferingResponseWriter, type RawResponseWriter, type ResponseWriter } from './responseWriter.js';
import type { ProcExit } from './traefikWasi.js';

export const FEATURE_BUFFER_REQUEST = 1;
export const FEATURE_BUFFER_RESPONSE = 2;
export const FEATURE_TRAILERS = 4;
export const TRAILER_PREFIX = 'Trailer:';

// Traefik logs level+1 as a zerolog level, so http-wasm "none" (3) comes out as zerolog "fatal".
export const LEVEL_NAMES: Record<number, string> = { [-1]: 'debug', 0: 'info', 1: 'warn', 2: 'error', 3: 'fatal' };

export interface LogEntry {
  level: number;
  levelName: string;
  message: string;
}

export interface RequestState {
  method: string;
  uri: RequestUri;
  host: string;
  protocol: string;
  sourceAddr: string;
  header: GoHeader;
  body: Buffer;
  bodyReadPos: number;
  bodyOverride: Buffer | null;
  features: number;
  afterNext: boolean;
  raw: RawResponseWriter;
  w: ResponseWriter;
  responseBodyWriterStarted: boolean;
  responseBodyReadPos: number;
  logs: LogEntry[];
  warnings: string[];
}

export interface GuestInstance {
  id: number;
  instance: WebAssembly.Instance;
  memory: WebAssembly.Memory;
  request: RequestState | null;
  closedWith: ProcExit | null;
}

/** host-go's requestState.enableFeatures: buffer_response swaps in a buffering writer from now on. */
export function enableRequestFeatures(s: RequestState, features: number): void {
  s.features |= features;
  if ((s.features & FEATURE_BUFFER_RESPONSE) && !(s.w instanceof BufferingResponseWriter)) {
    s.w = new BufferingResponseWriter(s.raw);
  }
}
