// A JavaScript http-wasm host for tests, faithful to how Traefik runs a wasm plugin:
// http-wasm-host-go v0.7 (handler/middleware.go, handler/nethttp) inside Traefik's
// pkg/plugins/middlewarewasm.go, on wazero v1.8. See /work/shared/docs/traefik-http-wasm-host.md.
//
// What is mirrored (each is a Traefik/host-go behaviour a guest can trip over):
// - only `http_handler` and `wasi_snapshot_preview1` imports link, with wazero's exact signatures;
//   handle_request () -> i64, handle_response (i32, i32) -> () and memory "memory" are required;
// - start functions `_start` then `_initialize`; one instance is created eagerly, so a guest that
//   fails to start fails `create`; instances are pooled and reused (memory and globals persist);
// - get_config is Go `json.Marshal` of the options; log_enabled always answers 1;
// - buffer rule: a value longer than `limit` is not written, its length is still returned;
// - request header names: Go-canonical keys plus a synthetic "Host", sorted, then lowercased;
// - Go ResponseWriter: set_status_code (or the first body write) sends the status line and
//   snapshots the headers, so later response header writes are dropped (recorded as warnings)
//   unless buffer_response is enabled; status codes outside 100..999 panic (trap);
// - after next (in handle_response) changing the request, or without buffer_response the status,
//   response headers or body, panics; so do get_status_code/read_body(1) without buffer_response;
// - a trap in handle_request answers 500 with the error text as body, and the instance goes back
//   to the pool; a trap in handle_response panics into Traefik's recovery middleware (500
//   "Internal Server Error" if nothing was sent yet, else the connection is aborted);
// - returning ctx != 0 with next = 0 leaks the instance (host-go only pools it in handle_response).
//
// Not mirrored: Go's Content-Type sniffing, Date/Content-Length headers, HTTP/2 specifics, the
// buffer_request bug that re-sends only the last chunk read, and wazero's exact random bytes.
import { readFile } from 'node:fs/promises';
import { HTTP_HANDLER_MODULE, WASI_MODULE } from './abiSignatures.js';
import { goJsonMarshal } from './goJson.js';
import { canonicalMIMEHeaderKey, GoHeader, type HeaderValue, toBytes } from './goHeader.js';
import { parseRequestUri, requestUriString } from './goUrl.js';
import { httpHandlerImports, type MiddlewareState } from './httpHandlerImports.js';
import { enableRequestFeatures, type GuestInstance, type LogEntry, type RequestState, TRAILER_PREFIX } from './requestState.js';
import { BufferingResponseWriter, HostPanic, RawResponseWriter } from './responseWriter.js';
import { type Mount, parseMount, ProcExit, TraefikWasi } from './traefikWasi.js';
import { GuestLoadError, validateGuest } from './validateGuest.js';

export { FEATURE_BUFFER_REQUEST, FEATURE_BUFFER_RESPONSE, FEATURE_TRAILERS, type LogEntry } from './requestState.js';
export { GuestLoadError, validateGuest } from './validateGuest.js';


export interface UpstreamRequest {
  method: string;
  /** What get_uri would return after the guest's changes. */
  uri: string;
  host: string;
  /** Lowercased names (Go-sorted), every value, Host excluded (see `host`). */
  headers: Array<[string, string]>;
  header(name: string): string | undefined;
  headerValues(name: string): string[];
  body: Buffer;
}

export interface UpstreamResponse {
  status?: number;
  headers?: Array<[string, string]>;
  body?: string | Uint8Array;
}

export type Upstream = (req: UpstreamRequest) => UpstreamResponse | Promise<UpstreamResponse>;

export interface HttpWasmHostOptions {
  /**
   * Plugin options, serialized with Go's json.Marshal. `undefined`: no GuestConfig at all
   * (get_config length 0). `null`: "null", which is what Traefik passes when the middleware has
   * no options map. Use `rawConfig` to pass exact bytes instead.
   */
  config?: Record<string, unknown> | null;
  rawConfig?: string | Uint8Array;
  /** Traefik `settings.mounts`: "hostDir", "hostDir:guestDir", optional ":ro", or objects. */
  mounts?: Array<string | Mount>;
  /** Traefik `settings.envs`: names copied from `envSource` (default process.env); unset -> "". */
  envs?: string[];
  envSource?: Record<string, string | undefined>;
  /** Next handler. Default: echo 200 JSON {method, uri, host, headers, body}. */
  upstream?: Upstream;
  /** REALTIME source in Unix milliseconds (default Date.now). */
  now?: () => number;
  /** Added to `now()` (ms): move the guest's wall clock without touching the process clock. */
  clockOffsetMs?: number;
  /** Simulate the pool dropping idle instances: every request gets a new instance. */
  freshInstancePerRequest?: boolean;
  /** Host used when a request gives none (default "localhost"). */
  defaultHost?: string;
  /** Called before every import the guest calls ("http_handler.get_uri", ...): for cost tests. */
  onHostCall?: (name: string) => void;
}

export interface GuestRequest {
  method?: string;
  /** Request target as sent by the client: "/path?query" (absolute-form allowed). */
  uri?: string;
  /** Host (":authority"); a `host` entry in `headers` is used when this is absent. */
  host?: string;
  headers?: Array<readonly [string, HeaderValue]>;
  body?: string | Uint8Array;
  /** Peer "ip:port" (default "127.0.0.1:40000"). */
  sourceAddr?: string;
  /** Default "HTTP/1.1". */
  protocol?: string;
}

export interface GuestResponse {
  status: number;
  /** Lowercased names (Go-sorted), every value in order. */
  headers: Array<[string, string]>;
  header(name: string): string | undefined;
  headerValues(name: string): string[];
  trailers: Array<[string, string]>;
  body: Buffer;
  text(): string;
  json<T = any>(): T;
  /** handle_request asked to call the next handler. */
  next: boolean;
  reqCtx: number;
  upstreamRequest?: UpstreamRequest;
  /** Logs the guest wrote while serving this request. */
  logs: LogEntry[];
  /** Host-side notes: dropped header writes, superfluous WriteHeader, leaked instance, ... */
  warnings: string[];
  /** A guest call trapped (or a host function panicked). */
  trapped: boolean;
  trapPhase?: 'handle_request' | 'handle_response';
  error?: string;
  /** Traefik's recovery middleware aborted the connection (panic after the status was sent). */
  aborted: boolean;
  /** Which pooled instance served the request (1 = the eager one). */
  instanceId: number;
}



function lookup(entries: Array<[string, string]>) {
  const lower = (n: string) => n.toLowerCase();
  return {
    header: (name: string) => entries.find(([k]) => k === lower(name))?.[1],
    headerValues: (name: string) => entries.filter(([k]) => k === lower(name)).map(([, v]) => v),
  };
}

function defaultUpstream(req: UpstreamRequest): UpstreamResponse {
  const headers: Record<string, string[]> = { host: [req.host] };
  for (const [k, v] of req.headers) (headers[k] ??= []).push(v);
  return {
    status: 200,
    headers: [['content-type', 'application/json']],
    body: JSON.stringify({ method: req.method, uri: req.uri, host: req.host, headers, body: req.body.toString('utf8') }),
  };
}

// wazero's wording for traps, from the JS engine's.
function trapText(e: unknown): string {
  if (e instanceof ProcExit) return e.message;
  const frames = e instanceof Error && e.stack
    ? e.stack.split('\n').filter((l) => l.includes('wasm')).map((l) => l.trim().replace(/^at /, '')).join('\n\t')
    : '';
  if (e instanceof HostPanic) return `${e.message} (recovered by wazero)\nwasm stack trace:\n\t${frames}`;
  if (e instanceof WebAssembly.RuntimeError || e instanceof RangeError) {
    const m = e.message;
    const msg = m.includes('memory access out of bounds') ? 'out of bounds memory access'
      : m.includes('divide by zero') ? 'integer divide by zero'
        : m.includes('Maximum call stack') ? 'stack overflow'
          : m;
    return `wasm error: ${msg}\nwasm stack trace:\n\t${frames}`;
  }
  return `${e instanceof Error ? e.message : String(e)} (recovered by wazero)\nwasm stack trace:\n\t${frames}`;
}

export class HttpWasmHost {
  /** Everything every instance logged, including logs written by start functions. */
  readonly logs: LogEntry[] = [];
  private readonly pool: GuestInstance[] = [];
  private instanceCounter = 0;
  private lastUsed: GuestInstance | null = null;
  private features = 0;
  private readonly config: Buffer;
  private readonly mounts: Mount[];
  private readonly env: Record<string, string>;
  private now: () => number;
  clockOffsetMs: number;

  private constructor(private readonly module: WebAssembly.Module, private readonly options: HttpWasmHostOptions) {
    if (options.rawConfig !== undefined) this.config = toBytes(options.rawConfig);
    else if (options.config === undefined) this.config = Buffer.alloc(0);
    else this.config = Buffer.from(goJsonMarshal(options.config), 'utf8');
    this.mounts = (options.mounts ?? []).map(parseMount);
    const source = options.envSource ?? process.env;
    this.env = Object.fromEntries((options.envs ?? []).map((n) => [n, source[n] ?? '']));
    this.now = options.now ?? Date.now;
    this.clockOffsetMs = options.clockOffsetMs ?? 0;
  }

  /** Compiles, validates and starts one instance (eagerly, like Traefik). Rejects like Traefik would. */
  static async create(wasm: string | Uint8Array, options: HttpWasmHostOptions = {}): Promise<HttpWasmHost> {
    const bytes = typeof wasm === 'string' ? await readFile(wasm) : wasm;
    validateGuest(bytes);
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(new Uint8Array(bytes) as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new GuestLoadError(`wasm: error compiling guest: ${(e as Error).message}`);
    }
    const host = new HttpWasmHost(module, options);
    host.pool.push(host.instantiate());
    return host;
  }

  /** Replace the REALTIME source (Unix ms). */
  setClock(now: () => number): void {
    this.now = now;
  }

  /** The bytes get_config returns. */
  configBytes(): Buffer {
    return Buffer.from(this.config);
  }

  /** Drop every pooled instance (as a GC would) and start a fresh one eagerly. */
  newInstance(): void {
    this.pool.length = 0;
    this.pool.push(this.instantiate());
  }

  /** Instances created so far (the eager one included). */
  get instancesCreated(): number {
    return this.instanceCounter;
  }

  /** Linear memory size in bytes of the instance that served the last request (or the eager one). */
  memoryBytes(): number {
    const g = this.lastUsed ?? this.pool[this.pool.length - 1];
    if (!g) throw new Error('no guest instance yet');
    return g.memory.buffer.byteLength;
  }

  private middlewareState(): MiddlewareState {
    return {
      config: this.config,
      logs: this.logs,
      enableMiddlewareFeatures: (f) => (this.features |= f),
    };
  }

  // ---- instances ----------------------------------------------------------------------------

  private observed<T extends object>(module: string, functions: T): T {
    const onHostCall = this.options.onHostCall;
    if (!onHostCall) return functions;
    const wrapped: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(functions)) {
      wrapped[name] = typeof fn === 'function'
        ? (...args: unknown[]) => {
            onHostCall(`${module}.${name}`);
            return (fn as (...a: unknown[]) => unknown)(...args);
          }
        : fn;
    }
    return wrapped as T;
  }

  private instantiate(): GuestInstance {
    const g: GuestInstance = {
      id: ++this.instanceCounter, instance: undefined as unknown as WebAssembly.Instance,
      memory: undefined as unknown as WebAssembly.Memory, request: null, closedWith: null,
    };
    const wasi = new TraefikWasi({
      mounts: this.mounts, env: this.env, realtimeMs: () => this.now() + this.clockOffsetMs,
    });
    const imports = {
      [HTTP_HANDLER_MODULE]: this.observed(HTTP_HANDLER_MODULE, httpHandlerImports(g, this.middlewareState())),
      [WASI_MODULE]: this.observed(WASI_MODULE, wasi.imports),
    };
    try {
      g.instance = new WebAssembly.Instance(this.module, imports as WebAssembly.Imports);
    } catch (e) {
      throw new GuestLoadError(`wasm: error instantiating guest: ${trapText(e)}`);
    }
    g.memory = g.instance.exports.memory as WebAssembly.Memory;
    wasi.bind(g.memory);
    for (const name of ['_start', '_initialize']) {
      const fn = g.instance.exports[name];
      if (typeof fn !== 'function') continue;
      try {
        fn();
      } catch (e) {
        // wazero: proc_exit(0) from a start function is not an error, but the module is closed.
        if (e instanceof ProcExit && e.exitCode === 0) {
          g.closedWith = e;
          break;
        }
        throw new GuestLoadError(`wasm: error instantiating guest: module[${g.id}] function[${name}] failed: ${trapText(e)}`);
      }
    }
    return g;
  }

  private acquire(): GuestInstance {
    if (this.options.freshInstancePerRequest) return this.instantiate();
    return this.pool.pop() ?? this.instantiate();
  }

  private release(g: GuestInstance): void {
    if (!this.options.freshInstancePerRequest) this.pool.push(g);
  }

  // ---- requests -----------------------------------------------------------------------------

  /** Serves one request through the guest (and the upstream when the guest says next). */
  async handle(req: GuestRequest = {}): Promise<GuestResponse> {
    const state = this.newRequestState(req);
    const g = this.acquire();
    this.lastUsed = g;
    const exports = g.instance.exports as { handle_request: () => bigint; handle_response: (ctx: number, isError: number) => void };

    let ctxNext = 0n;
    let requestError: unknown = null;
    g.request = state;
    try {
      if (g.closedWith) throw g.closedWith;
      ctxNext = BigInt.asUintN(64, exports.handle_request());
    } catch (e) {
      requestError = e;
      ctxNext = 0n;
    } finally {
      g.request = null;
    }

    const base = { logs: state.logs, warnings: state.warnings, instanceId: g.id, trapped: false, aborted: false } as const;
    let trap: Pick<GuestResponse, 'trapped' | 'trapPhase' | 'error'> = { trapped: false };
    if (requestError !== null) {
      const text = trapText(requestError);
      trap = { trapped: true, trapPhase: 'handle_request', error: text };
      // nethttp's handleErr writes on the original writer, not the buffering one.
      state.raw.writeHeader(500);
      state.raw.write(Buffer.from(text, 'utf8'));
    }
    const next = Number(ctxNext & 0xffffffffn);
    const reqCtx = Number(ctxNext >> 32n);

    if (ctxNext === 0n) {
      this.release(g);
    } else if (next === 0) {
      state.warnings.push(`handle_request returned reqCtx=${reqCtx} with next=0: http-wasm-host-go only returns the instance to the pool in handle_response, so this instance is leaked`);
    }
    if (next === 0) {
      this.releaseBuffered(state);
      return this.finish(state, { ...base, ...trap, next: false, reqCtx });
    }

    // next = 1: call upstream with the request as the guest left it, then handle_response.
    const upstreamRequest = this.upstreamRequestOf(state);
    let upstreamError = false;
    try {
      const up = await (this.options.upstream ?? defaultUpstream)(upstreamRequest);
      const h = state.w.header();
      const seen = new Set<string>();
      for (const [k, v] of up.headers ?? []) {
        const key = canonicalMIMEHeaderKey(k);
        if (seen.has(key)) h.add(k, v);
        else { h.set(k, v); seen.add(key); }
        if (state.w === state.raw) state.raw.noteHeaderChange('set by upstream', k);
      }
      // An upstream that sets no status and no body has written nothing yet (Go sends 200 when
      // the whole chain returns), which matters if handle_response then panics.
      if (up.status !== undefined) state.w.writeHeader(up.status);
      if (up.body !== undefined) state.w.write(toBytes(up.body));
    } catch (e) {
      upstreamError = true;
      state.warnings.push(`upstream failed: ${(e as Error).message}`);
    }

    state.afterNext = true;
    g.request = state;
    let responseError: unknown = null;
    try {
      if (g.closedWith) throw g.closedWith;
      exports.handle_response(reqCtx, upstreamError ? 1 : 0);
    } catch (e) {
      responseError = e;
    } finally {
      g.request = null;
      this.release(g);
    }
    this.releaseBuffered(state);

    let aborted = false;
    if (responseError !== null) {
      trap = { trapped: true, trapPhase: 'handle_response', error: trapText(responseError) };
      // Traefik's recovery middleware: a fresh 500 if nothing was sent, else abort the connection.
      if (state.raw.headerWritten) {
        aborted = true;
      } else {
        state.raw.header().set('Content-Type', 'text/plain; charset=utf-8');
        state.raw.header().set('X-Content-Type-Options', 'nosniff');
        state.raw.writeHeader(500);
        state.raw.write(Buffer.from('Internal Server Error\n'));
      }
    }
    return this.finish(state, { ...base, ...trap, aborted, next: true, reqCtx, upstreamRequest });
  }

  // bufferingResponseWriter.release runs outside the guest; a panic there (e.g. a buffered
  // status outside 100..999 reaching Go's WriteHeader) would crash into Traefik's recovery.
  private releaseBuffered(s: RequestState): void {
    if (!(s.w instanceof BufferingResponseWriter)) return;
    try {
      s.w.release();
    } catch (e) {
      s.warnings.push(`panic while releasing the buffered response: ${(e as Error).message}`);
    }
  }

  private newRequestState(req: GuestRequest): RequestState {
    const header = new GoHeader();
    let host = req.host;
    for (const [k, v] of req.headers ?? []) {
      // Go's server moves Host out of the header map into r.Host.
      if (canonicalMIMEHeaderKey(k) === 'Host') {
        host ??= toBytes(v).toString('utf8');
        continue;
      }
      header.add(k, v);
    }
    const warnings: string[] = [];
    const raw = new RawResponseWriter(warnings);
    const state: RequestState = {
      method: req.method ?? 'GET',
      uri: parseRequestUri(req.uri ?? '/'),
      host: host ?? this.options.defaultHost ?? 'localhost',
      protocol: req.protocol ?? 'HTTP/1.1',
      sourceAddr: req.sourceAddr ?? '127.0.0.1:40000',
      header,
      body: req.body === undefined ? Buffer.alloc(0) : toBytes(req.body),
      bodyReadPos: 0,
      bodyOverride: null,
      features: 0,
      afterNext: false,
      raw,
      w: raw,
      responseBodyWriterStarted: false,
      responseBodyReadPos: 0,
      logs: [],
      warnings,
    };
    enableRequestFeatures(state, this.features);
    return state;
  }


  private upstreamRequestOf(s: RequestState): UpstreamRequest {
    // Go's client writes r.Host and ignores a "Host" key in the header map, so upstream never sees it.
    const headers = s.header.entries().filter(([k]) => k !== 'host' && !k.startsWith(TRAILER_PREFIX.toLowerCase()));
    return {
      method: s.method,
      uri: requestUriString(s.uri),
      host: s.host,
      headers,
      ...lookup(headers),
      body: s.bodyOverride ?? s.body.subarray(s.bodyReadPos),
    };
  }

  private finish(s: RequestState, rest: Omit<GuestResponse, 'status' | 'headers' | 'header' | 'headerValues' | 'trailers' | 'body' | 'text' | 'json'>): GuestResponse {
    const { status, header, body } = s.raw.result();
    const all = header.entries();
    const prefix = TRAILER_PREFIX.toLowerCase();
    const headers = all.filter(([k]) => !k.startsWith(prefix));
    const trailers = all.filter(([k]) => k.startsWith(prefix)).map(([k, v]): [string, string] => [k.slice(prefix.length), v]);
    return {
      status, headers, ...lookup(headers), trailers, body,
      text: () => body.toString('utf8'),
      json: () => JSON.parse(body.toString('utf8')),
      ...rest,
    };
  }

  // ---- http_handler -------------------------------------------------------------------------

}
