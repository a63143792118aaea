/**
 * What forwardAuth knows about the original request. Traefik sends the client's headers plus
 * X-Forwarded-Method/-Proto/-Host/-Uri/-For; the path to judge is the one in X-Forwarded-Uri.
 */
import type { IncomingMessage } from 'node:http';

export interface ForwardAuthRequest {
  /** original method (X-Forwarded-Method, else the method of the auth request) */
  method: string;
  /** original request-target, path plus query (X-Forwarded-Uri); undefined when not exactly one */
  uri: string | undefined;
  /** every Authorization header value, in order (Node keeps only the first in req.headers) */
  authorization: string[];
  accept?: string;
}

function single(values: string[] | undefined): string | undefined {
  return values !== undefined && values.length === 1 ? values[0] : undefined;
}

export function forwardAuthRequestFrom(req: IncomingMessage): ForwardAuthRequest {
  const h = req.headersDistinct;
  return {
    method: single(h['x-forwarded-method']) ?? req.method ?? 'GET',
    uri: single(h['x-forwarded-uri']),
    authorization: h.authorization ?? [],
    accept: h.accept?.join(', '),
  };
}
