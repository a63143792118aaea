/**
 * Traefik forwardAuth endpoint (`/auth`, and the old protected path as an alias). Traefik asks
 * here before each request; 2xx lets the request through and copies the headers named in
 * `authResponseHeaders` (X-Forwarded-User, ...) onto it — deleting them first, so list every
 * identity header there. Any other answer goes back to the client as is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { LoggerLike } from '../policy/logger.js';
import type { PolicyConfig } from '../policy/types.js';
import { decide } from './decide.js';
import { serverError, type Decision } from './decision.js';
import { createKeySource, type KeySource } from './key-source.js';
import { pathOf } from './paths.js';
import { REASON } from './reasons.js';
import { forwardAuthRequestFrom, type ForwardAuthRequest } from './request.js';

export interface ForwardAuthOptions {
  /** where keys come from; default: the policy's inline jwks and jwksFile */
  keySource?: KeySource;
  /** clock in milliseconds (tests) */
  now?: () => number;
  /** called with every decision, e.g. to count denials by reason */
  onDecision?: (decision: Decision, request: ForwardAuthRequest) => void;
}

export type ForwardAuthHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** Decides, retrying once after a (rate-limited) key reload when the kid was unknown. */
export async function decideWithReload(policy: PolicyConfig, request: ForwardAuthRequest, keys: KeySource, nowMs: () => number): Promise<Decision> {
  await keys.refreshIfDue();
  const ctx = () => ({ now: Math.floor(nowMs() / 1000), keysFor: (issuer: string) => keys.keysFor(issuer) });
  const first = await decide(policy, request, ctx());
  if (first.reason !== REASON.unknownKeyId || first.issuer === undefined) return first;
  if (!(await keys.reloadForUnknownKid(first.issuer))) return first;
  return decide(policy, request, ctx());
}

function send(res: ServerResponse, decision: Decision, request: ForwardAuthRequest, policy: PolicyConfig): void {
  const headers: Record<string, string> = { ...decision.headers };
  if (decision.allow && !policy.stripAuthorization && request.authorization.length === 1) {
    // With `Authorization` in authResponseHeaders Traefik drops it unless we hand it back.
    headers.Authorization = request.authorization[0];
  }
  let body = '';
  if (decision.body) {
    body = JSON.stringify(decision.body);
    headers['Content-Type'] = 'application/json';
    headers['Cache-Control'] = 'no-store';
  }
  headers['Content-Length'] = String(Buffer.byteLength(body));
  res.writeHead(decision.status, headers);
  res.end(body);
}

function logDecision(log: LoggerLike, decision: Decision, request: ForwardAuthRequest): void {
  const entry = {
    decision: decision.allow ? 'allow' : 'deny',
    status: decision.status,
    reason: decision.reason,
    method: request.method,
    // the query may carry a token (?access_token=): log the path only
    path: request.uri === undefined ? undefined : pathOf(request.uri),
    ...(decision.subject !== undefined ? { sub: decision.subject } : {}),
    ...(decision.clientId !== undefined ? { client_id: decision.clientId } : {}),
    ...(decision.issuer !== undefined ? { iss: decision.issuer } : {}),
  };
  if (decision.allow) log.debug(entry, 'forwardAuth allow');
  else log.info(entry, 'forwardAuth deny');
}

export function createForwardAuthHandler(policy: PolicyConfig, log: LoggerLike, opts: ForwardAuthOptions = {}): ForwardAuthHandler {
  const now = opts.now ?? Date.now;
  const keys = opts.keySource ?? createKeySource(policy, log, { now });
  return (req, res) => {
    const request = forwardAuthRequestFrom(req);
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
