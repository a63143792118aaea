// The `http_handler` host module as http-wasm-host-go v0.7 implements it (handler/middleware.go
// over handler/nethttp/host.go), for one guest instance of the test host. Go panics become
// HostPanic, which traps the guest call like wazero does.
import { canonicalMIMEHeaderKey, type GoHeader } from './goHeader.js';
import { parseRequestUri, requestUriString } from './goUrl.js';
import {
  enableRequestFeatures, FEATURE_BUFFER_REQUEST, FEATURE_BUFFER_RESPONSE, type GuestInstance, LEVEL_NAMES,
  type LogEntry, type RequestState, TRAILER_PREFIX,
} from './requestState.js';
import { BufferingResponseWriter, HostPanic } from './responseWriter.js';

/** What the imports need from the middleware (shared by all its instances). */
export interface MiddlewareState {
  /** get_config bytes. */
  readonly config: Uint8Array;
  /** Every log line, from every instance. */
  readonly logs: LogEntry[];
  /** enable_features outside a request (during start): applies to every later request. */
  enableMiddlewareFeatures(features: number): number;
}

export function httpHandlerImports(g: GuestInstance, host: MiddlewareState): Record<string, (...args: any[]) => unknown> {
  const u32 = (n: number) => n >>> 0;
  const bytes = () => {
    // wazero can serve a host call made from the wasm start section; JS cannot (the exports,
    // memory included, exist only once instantiation returns). AssemblyScript guests avoid the
    // start section with --exportStart _start (run by every Traefik version).
    if (!g.memory) throw new HostPanic('guest memory not available yet: host function called from the wasm start section (build with --exportStart _start)');
    return new Uint8Array(g.memory.buffer);
  };
  const state = (): RequestState => {
    if (!g.request) throw new HostPanic('interface conversion: interface {} is nil, not *wasm.requestState (called outside a request)');
    return g.request;
  };
  const mustRead = (field: string, ptr: number, len: number): Buffer => {
    ptr = u32(ptr); len = u32(len);
    if (len === 0) return Buffer.alloc(0);
    const mem = bytes();
    if (ptr + len > mem.length) throw new HostPanic(`out of memory reading ${field}`);
    return Buffer.from(mem.subarray(ptr, ptr + len));
  };
  const mustReadString = (field: string, ptr: number, len: number) => mustRead(field, ptr, len).toString('utf8');
  const writeIfUnderLimit = (ptr: number, limit: number, v: Uint8Array): number => {
    ptr = u32(ptr); limit = u32(limit);
    if (v.length > limit || v.length === 0) return v.length;
    const mem = bytes();
    if (ptr + v.length <= mem.length) mem.set(v, ptr); // wazero's Memory.Write fails silently
    return v.length;
  };
  const writeNULTerminated = (ptr: number, limit: number, list: Uint8Array[]): bigint => {
    ptr = u32(ptr); limit = u32(limit);
    if (list.length === 0) return 0n;
    const byteCount = list.reduce((n, v) => n + v.length + 1, 0);
    const countLen = (BigInt(list.length) << 32n) | BigInt(byteCount);
    if (byteCount > limit) return countLen;
    const mem = bytes();
    if (ptr + byteCount > mem.length) throw new HostPanic('out of memory');
    let off = ptr;
    for (const v of list) {
      mem.set(v, off);
      off += v.length;
      mem[off++] = 0;
    }
    return countLen;
  };
  const mustBeforeNext = (s: RequestState, op: string, what: string) => {
    if (s.afterNext) throw new HostPanic(`can't ${op} ${what} after next handler`);
  };
  const mustBeforeNextOrFeature = (s: RequestState, feature: number, op: string, what: string) => {
    if (s.afterNext && !(s.features & feature)) {
      const name = feature === FEATURE_BUFFER_REQUEST ? 'buffer_request' : 'buffer_response';
      throw new HostPanic(`can't ${op} ${what} after next handler unless ${name} is enabled`);
    }
  };
  const badKind = (kind: number): never => {
    throw new HostPanic(`unsupported header kind: ${kind}`);
  };
  const mustHeaderMutable = (s: RequestState, op: string, kind: number) => {
    if (kind === 0) mustBeforeNext(s, op, 'request header');
    else if (kind === 2) mustBeforeNext(s, op, 'request trailer');
    else if (kind === 1) mustBeforeNextOrFeature(s, FEATURE_BUFFER_RESPONSE, op, 'response header');
    else if (kind === 3) mustBeforeNextOrFeature(s, FEATURE_BUFFER_RESPONSE, op, 'response trailer');
    else badKind(kind);
  };
  const requestHeaderNames = (s: RequestState): string[] => {
    const names = s.header.keys().filter((k) => !k.startsWith(TRAILER_PREFIX));
    if (s.host !== '') names.push('Host');
    if (names.length === 0) return [];
    return names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  };
  const trailerNames = (h: GoHeader) => h.keys().filter((k) => k.startsWith(TRAILER_PREFIX)).map((k) => k.slice(TRAILER_PREFIX.length));
  // Response header writes after the status went out are lost: record it (unless buffering).
  const noteResponseHeaderChange = (s: RequestState, kind: number, op: string, name: string) => {
    if ((kind === 1 || kind === 3) && s.w === s.raw) s.raw.noteHeaderChange(op, name);
  };

  return {
    enable_features: (features: number): number => {
      const f = u32(features);
      if (g.request) {
        enableRequestFeatures(g.request, f);
        return g.request.features;
      }
      return host.enableMiddlewareFeatures(f);
    },
    get_config: (buf: number, limit: number): number => writeIfUnderLimit(buf, limit, host.config),
    log_enabled: (): number => 1,
    log: (level: number, ptr: number, len: number): void => {
      const message = u32(len) > 0 ? mustReadString('message', ptr, len) : '';
      const entry = { level, levelName: LEVEL_NAMES[level] ?? `level(${level})`, message };
      host.logs.push(entry);
      g.request?.logs.push(entry);
    },
    get_method: (buf: number, limit: number): number => writeIfUnderLimit(buf, limit, Buffer.from(state().method)),
    set_method: (ptr: number, len: number): void => {
      const s = state();
      mustBeforeNext(s, 'set', 'method');
      if (u32(len) === 0) throw new HostPanic('HTTP method cannot be empty');
      s.method = mustReadString('method', ptr, len);
    },
    get_uri: (buf: number, limit: number): number => writeIfUnderLimit(buf, limit, Buffer.from(requestUriString(state().uri))),
    set_uri: (ptr: number, len: number): void => {
      const s = state();
      const uri = u32(len) > 0 ? mustReadString('uri', ptr, len) : '';
      if (uri === '') {
        s.uri = { rawPath: '/', rawQuery: '', forceQuery: false };
        return;
      }
      try {
        s.uri = parseRequestUri(uri);
      } catch (e) {
        throw new HostPanic((e as Error).message);
      }
    },
    get_protocol_version: (buf: number, limit: number): number => {
      const p = state().protocol;
      if (p === '') throw new HostPanic('HTTP protocol version cannot be empty');
      return writeIfUnderLimit(buf, limit, Buffer.from(p));
    },
    get_source_addr: (buf: number, limit: number): number => writeIfUnderLimit(buf, limit, Buffer.from(state().sourceAddr)),
    get_header_names: (kind: number, buf: number, limit: number): bigint => {
      const s = state();
      let names: string[];
      if (kind === 0) names = requestHeaderNames(s);
      else if (kind === 1) names = s.w.header().keys().filter((k) => !k.startsWith(TRAILER_PREFIX));
      else if (kind === 2 || kind === 3) names = trailerNames(s.w.header());
      else return badKind(kind);
      return writeNULTerminated(buf, limit, names.map((n) => Buffer.from(n.toLowerCase())));
    },
    get_header_values: (kind: number, namePtr: number, nameLen: number, buf: number, limit: number): bigint => {
      const s = state();
      if (u32(nameLen) === 0) throw new HostPanic('HTTP header name cannot be empty');
      const name = mustReadString('name', namePtr, nameLen);
      let values: Buffer[];
      if (kind === 0) {
        values = canonicalMIMEHeaderKey(name) === 'Host' ? [Buffer.from(s.host)] : s.header.values(name);
      } else if (kind === 1) values = s.w.header().values(name);
      else if (kind === 2 || kind === 3) values = s.w.header().values(TRAILER_PREFIX + name);
      else return badKind(kind);
      return writeNULTerminated(buf, limit, values);
    },
    set_header_value: (kind: number, namePtr: number, nameLen: number, valPtr: number, valLen: number): void => {
      const s = state();
      if (u32(nameLen) === 0) throw new HostPanic('HTTP header name cannot be empty');
      mustHeaderMutable(s, 'set', kind);
      const name = mustReadString('name', namePtr, nameLen);
      const value = mustRead('value', valPtr, valLen);
      if (kind === 0) s.header.set(name, value);
      else if (kind === 1) s.w.header().set(name, value);
      else s.w.header().set(TRAILER_PREFIX + name, value);
      noteResponseHeaderChange(s, kind, 'set', name);
    },
    add_header_value: (kind: number, namePtr: number, nameLen: number, valPtr: number, valLen: number): void => {
      const s = state();
      if (u32(nameLen) === 0) throw new HostPanic('HTTP header name cannot be empty');
      mustHeaderMutable(s, 'add', kind);
      const name = mustReadString('name', namePtr, nameLen);
      const value = mustRead('value', valPtr, valLen);
      if (kind === 0) s.header.add(name, value);
      else if (kind === 1) s.w.header().add(name, value);
      else s.w.header().set(TRAILER_PREFIX + name, value); // host-go's addTrailer calls Set
      noteResponseHeaderChange(s, kind, 'add', name);
    },
    remove_header: (kind: number, namePtr: number, nameLen: number): void => {
      const s = state();
      if (u32(nameLen) === 0) throw new HostPanic('HTTP header name cannot be empty');
      mustHeaderMutable(s, 'remove', kind);
      const name = mustReadString('name', namePtr, nameLen);
      if (kind === 0) s.header.del(name);
      else if (kind === 1) s.w.header().del(name);
      else s.w.header().del(TRAILER_PREFIX + name);
      noteResponseHeaderChange(s, kind, 'remove', name);
    },
    read_body: (kind: number, buf: number, limit: number): bigint => {
      const s = state();
      let source: Buffer;
      let pos: number;
      if (kind === 0) {
        mustBeforeNextOrFeature(s, FEATURE_BUFFER_REQUEST, 'read', 'request body');
        source = s.body;
        pos = s.bodyReadPos;
      } else if (kind === 1) {
        mustBeforeNextOrFeature(s, FEATURE_BUFFER_RESPONSE, 'read', 'response body');
        if (!(s.w instanceof BufferingResponseWriter)) {
          throw new HostPanic('interface conversion: http.ResponseWriter is *http.response, not *wasm.bufferingResponseWriter');
        }
        source = s.w.body;
        pos = s.responseBodyReadPos;
      } else {
        throw new HostPanic(`unsupported body kind: ${kind}`);
      }
      const lim = u32(limit);
      if (lim === 0) throw new HostPanic('buf_limit==0 reading body');
      const dst = mustRead('body', buf, lim); // bounds check like host-go
      void dst;
      const n = Math.min(lim, source.length - pos);
      bytes().set(source.subarray(pos, pos + n), u32(buf));
      if (kind === 0) s.bodyReadPos += n;
      else s.responseBodyReadPos += n;
      const eof = n < lim; // host-go reads until the buffer is full or EOF
      return (BigInt(eof ? 1 : 0) << 32n) | BigInt(n);
    },
    write_body: (kind: number, ptr: number, len: number): void => {
      const s = state();
      if (kind === 0) {
        mustBeforeNext(s, 'write', 'request body');
        const b = mustRead('body', ptr, len);
        s.bodyOverride = s.bodyOverride ? Buffer.concat([s.bodyOverride, b]) : b;
      } else if (kind === 1) {
        mustBeforeNextOrFeature(s, FEATURE_BUFFER_RESPONSE, 'write', 'response body');
        const b = mustRead('body', ptr, len);
        if (!s.responseBodyWriterStarted) {
          s.responseBodyWriterStarted = true;
          if (s.w instanceof BufferingResponseWriter) s.w.body = Buffer.alloc(0); // ResponseBodyWriter resets
        }
        s.w.write(b);
      } else {
        throw new HostPanic(`unsupported body kind: ${kind}`);
      }
    },
    get_status_code: (): number => {
      const s = state();
      mustBeforeNextOrFeature(s, FEATURE_BUFFER_RESPONSE, 'get', 'status code');
      if (!(s.w instanceof BufferingResponseWriter)) {
        throw new HostPanic('interface conversion: http.ResponseWriter is *http.response, not *wasm.bufferingResponseWriter');
      }
      return s.w.statusCode === 0 ? 200 : s.w.statusCode;
    },
    set_status_code: (code: number): void => {
      const s = state();
      mustBeforeNextOrFeature(s, FEATURE_BUFFER_RESPONSE, 'set', 'status code');
      s.w.writeHeader(code);
    },
  };
}
