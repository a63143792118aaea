/**
 * Traefik forwardAuth endpoint (`/auth`, and the old protected path as an alias). Traefik asks
 * here before each request; a 2xx lets the request through and copies the headers named in
 * `authResponseHeaders` (X-Forwarded-User, ...) onto it — deleting them first, so list every
 * identity header there. Any other answer goes back to the client as is.
 *
 * Limits: Node refuses request heads over its `maxHeaderSize` (16 KiB by default) before this
 * handler runs. Traefik forwards URIs up to 64 KiB and tokens up to `maxTokenBytes`, so the
 * server must be created with `maxHeaderSize: FORWARD_AUTH_MAX_HEADER_BYTES` for forwardAuth to
 * answer those requests as the plugin does (414, 401 token too large) instead of Node's 431.
 *
 * Query tokens: with allowQueryToken the plugin removes `access_token` from the URI the upstream
 * receives. Traefik's forwardAuth cannot rewrite the forwarded URI, so the decision carries the
 * rewritten URI (`rewriteUri`, parity-tested) but the token does reach the upstream; a warning is
 * logged at start.
 *
 * The metadata document: the plugin answers it itself. A forwardAuth 2xx cannot answer a
 * request (Traefik forwards it upstream), so route `/.well-known/oauth-protected-resource*` to
 * `createMetadataHandler` instead of through forwardAuth; forwardAuth still answers it with the
 * plugin's status, headers and body, which only matters for the 405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { LoggerLike } from '../policy/logger.js';
import { pathOf } from '../policy/paths.js';
import type { PolicyConfig } from '../policy/types.js';
import { decide } from './decide.js';
import { metadataAnswer, serverError, type Decision } from './decision.js';
import { createKeySource, type KeySource } from './key-source.js';
import { forwardAuthRequestFrom, MAX_URI_BYTES, type ForwardAuthRequest } from './request.js';

/** Request head size forwardAuth needs: a 64 KiB URI, a 64 KiB token and room for the rest (Go allows 1 MiB). */
export const FORWARD_AUTH_MAX_HEADER_BYTES = 1024 * 1024;

export interface ForwardAuthOptions {
  /** where keys come from; default: the policy's inline jwks and jwksFile */
  keySource?: KeySource;
  /** clock in milliseconds (tests) */
  now?: () => number;
  /** called with every decision, e.g. to count denials by reason */
  onDecision?: (decision: Decision, request: ForwardAuthRequest) => void;
}

export type ForwardAuthHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Decides, retrying once after a (rate-limited) key reload when the token's kid was unknown. */
export async function decideWithReload(policy: PolicyConfig, request: ForwardAuthRequest, keys: KeySource, nowMs: () => number): Promise<Decision> {
  await keys.refreshIfDue();
  const ctx = () => ({ now: Math.floor(nowMs() / 1000), keysFor: (issuer: string) => keys.keysFor(issuer) });
  const first = decide(policy, request, ctx());
  if (first.reloadIssuer === undefined) return first;
  if (!(await keys.reloadForUnknownKid(first.reloadIssuer))) return first;
  return decide(policy, request, ctx());
}

/**
 * Header values are sent as the UTF-8 bytes the plugin would set (Node writes header strings
 * as latin1, one byte per character).
 */
const wireValue = (value: string): string => Buffer.from(value, 'utf8').toString('latin1');

function send(res: ServerResponse, decision: Decision, request: ForwardAuthRequest, policy: PolicyConfig): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(decision.headers)) headers[name] = wireValue(value);
  if (decision.outcome === 'allow' && !policy.stripAuthorization && request.authorization.length === 1) {
    // With `Authorization` in authResponseHeaders Traefik drops it unless we hand it back.
    headers.Authorization = wireValue(request.authorization[0]!);
  }
  headers['Content-Length'] = String(Buffer.byteLength(decision.body));
  res.writeHead(decision.status, headers);
  res.end(decision.body);
}

function logDecision(log: LoggerLike, decision: Decision, request: ForwardAuthRequest): void {
  const id = decision.identity;
  const entry = {
    decision: decision.allow ? 'allow' : 'deny',
    status: decision.status,
    reason: decision.reason,
    method: request.method,
    // the query may carry a token (?access_token=): log the path only, and not too much of it
    path: request.uri === undefined ? undefined : pathOf(request.uri).slice(0, 200),
    ...(id !== undefined ? { sub: id.subject, iss: id.issuer } : {}),
    ...(id !== undefined && id.clientId.length > 0 ? { client_id: id.clientId } : {}),
  };
  if (decision.allow) log.debug(entry, 'forwardAuth allow');
  else log.info(entry, 'forwardAuth deny');
}

export function createForwardAuthHandler(policy: PolicyConfig, log: LoggerLike, opts: ForwardAuthOptions = {}): ForwardAuthHandler {
  const now = opts.now ?? Date.now;
  if (policy.allowQueryToken && policy.stripAuthorization) {
    // The plugin removes `access_token` from the URI the upstream receives; forwardAuth cannot
    // change the forwarded request's URI, so the token travels on.
    log.warn({ option: 'allowQueryToken' }, 'forwardAuth cannot take a query token out of the URI the upstream receives; prefer the Authorization header');
  }
  const keys = opts.keySource ?? createKeySource(policy, log, { now });
  return (req, res) => {
    let request: ForwardAuthRequest;
    try {
      request = forwardAuthRequestFrom(req, policy.maxTokenBytes);
    } catch (err) {
      log.error({ err: (err as Error)?.message }, 'forwardAuth request unreadable');
      send(res, serverError('internal error'), { method: 'GET', uri: undefined, authorization: [], accept: '', preflight: false, crossOrigin: false, uriTooLong: false, authorizationTooLarge: false }, policy);
      return;
    }
    decideWithReload(policy, request, keys, now)
      .catch((err: unknown) => {
        log.error({ err: (err as Error)?.message }, 'forwardAuth failed');
        return serverError('internal error');
      })
      .then((decision) => {
        logDecision(log, decision, request);
        opts.onDecision?.(decision, request);
        send(res, decision, request, policy);
      })
      .catch((err: unknown) => {
        log.error({ err: (err as Error)?.message }, 'forwardAuth response failed');
        if (!res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      });
  };
}

/**
 * Serves the Protected Resource Metadata document of the policy's resource directly (mount it
 * at the well-known path(s) in forwardAuth setups): the plugin's status, headers and body.
 */
export function createMetadataHandler(policy: PolicyConfig): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const d = metadataAnswer(policy, req.method ?? 'GET');
    res.writeHead(d.status, { ...d.headers, 'Content-Length': String(Buffer.byteLength(d.body)) });
    res.end(d.body);
  };
}

export { MAX_URI_BYTES };
