// A fetch for the SDK transports (their `fetch` option, which the SDK also uses for discovery,
// registration and token requests) that records every exchange, so a test can read back the
// protocol the client actually ran: 401 -> metadata -> registration -> token -> 200.
export interface Exchange {
  method: string;
  url: URL;
  status: number;
  wwwAuthenticate: string | null;
  /** The Authorization header sent, if any (token values are compared, never printed). */
  authorization: string | null;
}

export interface RecordingFetch {
  fetch: typeof fetch;
  exchanges: Exchange[];
  /** Exchanges [from, to) as "METHOD path status" lines (for readable assertions). */
  lines(from?: number, to?: number): string[];
}

export function recordingFetch(): RecordingFetch {
  const exchanges: Exchange[] = [];
  const recorder = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const response = await fetch(input, init);
    exchanges.push({
      method: request.method,
      url: new URL(request.url),
      status: response.status,
      wwwAuthenticate: response.headers.get('www-authenticate'),
      authorization: request.headers.get('authorization'),
    });
    return response;
  };
  return {
    fetch: recorder as typeof fetch,
    exchanges,
    lines: (from = 0, to = exchanges.length) => exchanges.slice(from, to).map((e) => `${e.method} ${e.url.pathname} ${e.status}`),
  };
}
