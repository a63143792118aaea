// An HTTP client that sends requests exactly as written: the request target is put on the wire
// unchanged (fetch and URL would normalize `/x/../sse`, `//sse`, `#`), headers go out in the given
// order and spelling, repeated names stay separate lines, and no Host or Connection magic beyond
// what Node's http.request adds (`Connection: close`, one connection per request).
import http from 'node:http';

export type HeaderList = Array<[string, string]>;

export interface RawRequest {
  method?: string;
  /** Request target, sent byte for byte (Node refuses only spaces and control characters). */
  path: string;
  /** Host header (default "localhost"); pass `null` to send none. */
  host?: string | null;
  headers?: HeaderList;
  body?: string;
  /** Abort if no complete answer arrives in this time (default 15 s). */
  timeoutMs?: number;
}

export interface RawResponse {
  status: number;
  /** Lowercased names, repeated values joined as Node does. */
  headers: http.IncomingHttpHeaders;
  /** Name/value pairs in arrival order with the sender's casing. */
  rawHeaders: HeaderList;
  body: string;
  json<T = any>(): T;
}

// How a guest trap reaches the client: http-wasm-host-go answers 500 with the error text as the
// body ("wasm error: unreachable\nwasm stack trace: ..."); Traefik itself may not log it.
const TRAP_TEXT = /wasm error|wasm stack trace|recovered by wazero/i;

/** Every answer (of any request sent by this module) whose body shows a guest trap. */
export const trapAnswers: string[] = [];

/** Records the answer if it shows a trap; call for bodies read outside sendRaw too. */
export function noteTrapAnswer(what: string, status: number, body: string): void {
  if (TRAP_TEXT.test(body)) trapAnswers.push(`${what}: ${status} ${body.slice(0, 500)}`);
}

export function pairs(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

export function sendRaw(port: number, request: RawRequest): Promise<RawResponse> {
  const flat: string[] = [];
  if (request.host !== null) flat.push('Host', request.host ?? 'localhost');
  for (const [name, value] of request.headers ?? []) flat.push(name, value);
  if (request.body !== undefined) flat.push('Content-Length', String(Buffer.byteLength(request.body)));
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: request.method ?? 'GET', path: request.path, agent: false, setHost: false, headers: flat },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          noteTrapAnswer(`${request.method ?? 'GET'} ${request.path}`, res.statusCode ?? 0, body);
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: pairs(res.rawHeaders),
            body,
            json: () => JSON.parse(body),
          });
        });
      },
    );
    req.setTimeout(request.timeoutMs ?? 15_000, () => req.destroy(new Error(`no answer to ${request.method ?? 'GET'} ${request.path} in time`)));
    req.on('error', reject);
    req.end(request.body);
  });
}

/** Header names compared the way a spoofing check must: lowercased, `_` read as `-`. */
export function looseHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Every value of a header in the list, whatever its casing or underscore spelling. */
export function valuesOfLoose(headers: HeaderList, name: string): string[] {
  const wanted = looseHeaderName(name);
  return headers.filter(([n]) => looseHeaderName(n) === wanted).map(([, v]) => v);
}
