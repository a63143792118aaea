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
 * Several resources: the sidecar holds one policy per resource and picks one per request, by the
 * forwardAuth address (`/auth?resource=<URL>`) or by X-Forwarded-Uri and -Host
 * (resource-policies.ts).
 *
 * The metadata document: the plugin answers it itself. A forwardAuth 2xx cannot answer a
 * request (Traefik forwards it upstream), so route `/.well-known/oauth-protected-resource*` to
 * `createMetadataHandler` instead of through forwardAuth; forwardAuth still answers it with the
 * plugin's status, headers and body, which only matters for the 405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { LoggerLike } from '../policy/logger.js';
import { pathOf } from '../policy/paths.js';
import type { IssuerPolicy, PolicyConfig } from '../policy/types.js';
import { decide } from './decide.js';
import { metadataAnswer, serverError, type Decision } from './decision.js';
import { createKeySource, type KeySource } from './key-source.js';
import { forwardAuthRequestFrom, forwardedTarget, MAX_URI_BYTES, singleHeader, type ForwardAuthRequest } from './request.js';
import { pinnedResource, resourcePolicies } from './resource-policies.js';

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

function logDecision(log: LoggerLike, decision: Decision, request: ForwardAuthRequest, resource: string | undefined): void {
  const id = decision.identity;
  const entry = {
    decision: decision.allow ? 'allow' : 'deny',
    status: decision.status,
    reason: decision.reason,
    method: request.method,
    // the query may carry a token (?access_token=): log the path only, and not too much of it
    path: request.uri === undefined ? undefined : pathOf(request.uri).slice(0, 200),
    // which policy judged it, when there is more than one
    ...(resource !== undefined ? { resource } : {}),
    ...(id !== undefined ? { sub: id.subject, iss: id.issuer } : {}),
    ...(id !== undefined && id.clientId.length > 0 ? { client_id: id.clientId } : {}),
  };
  if (decision.allow) log.debug(entry, 'forwardAuth allow');
  else log.info(entry, 'forwardAuth deny');
}

/** The answer when the forwardAuth address names no configured resource (a Traefik misconfiguration). */
export const UNKNOWN_RESOURCE_REASON = 'forwardAuth address names no configured resource';

const NO_REQUEST: ForwardAuthRequest = { method: 'GET', uri: undefined, authorization: [], accept: '', preflight: false, crossOrigin: false, uriTooLong: false, authorizationTooLarge: false };

const asList = (policies: PolicyConfig | readonly PolicyConfig[]): readonly PolicyConfig[] =>
  Array.isArray(policies) ? policies : [policies as PolicyConfig];

/**
 * The issuers of every policy, once each, for one key source: the policies of one sidecar share
 * their issuer (and its keys); only the audiences differ. Two policies giving one issuer different
 * keys would make the keys depend on the path, so that is refused.
 */
function sharedIssuers(policies: readonly PolicyConfig[]): Pick<PolicyConfig, 'issuers'> {
  const byName = new Map<string, IssuerPolicy>();
  for (const policy of policies) {
    for (const issuer of policy.issuers) {
      const seen = byName.get(issuer.issuer);
      if (seen === undefined) {
        byName.set(issuer.issuer, issuer);
      } else if (seen.jwksFile !== issuer.jwksFile || seen.jwksRefreshSeconds !== issuer.jwksRefreshSeconds || JSON.stringify(seen.jwks) !== JSON.stringify(issuer.jwks)) {
        throw new Error(`forwardAuth: issuer ${issuer.issuer} has different keys in two policies`);
      }
    }
  }
  return { issuers: [...byName.values()] };
}

/**
 * The forwardAuth handler for one policy, or one per resource (see resource-policies.ts for how a
 * request finds its policy; with one policy every request gets it).
 */
export function createForwardAuthHandler(policies: PolicyConfig | readonly PolicyConfig[], log: LoggerLike, opts: ForwardAuthOptions = {}): ForwardAuthHandler {
  const now = opts.now ?? Date.now;
  const set = resourcePolicies(asList(policies));
  const several = set.all.length > 1;
  if (set.all.some((p) => p.allowQueryToken && p.stripAuthorization)) {
    // The plugin removes `access_token` from the URI the upstream receives; forwardAuth cannot
    // change the forwarded request's URI, so the token travels on.
    log.warn({ option: 'allowQueryToken' }, 'forwardAuth cannot take a query token out of the URI the upstream receives; prefer the Authorization header');
  }
  const keys = opts.keySource ?? createKeySource(sharedIssuers(set.all), log, { now });

  function refuse(res: ServerResponse, decision: Decision): void {
    opts.onDecision?.(decision, NO_REQUEST);
    send(res, decision, NO_REQUEST, set.first);
  }

  return (req, res) => {
    let policy: PolicyConfig;
    let request: ForwardAuthRequest;
    try {
      const pin = pinnedResource(req.url);
      const pinned = pin.ok && pin.resource !== undefined ? set.byResource(pin.resource) : undefined;
      if (!pin.ok || (pin.resource !== undefined && pinned === undefined)) {
        // Traefik's configuration is wrong; answering with some other resource's policy would
        // accept that resource's tokens here.
        log.error(
          { event: 'forward_auth.address_invalid', problem: pin.ok ? 'unknown resource' : pin.problem, ...(pin.ok ? { resource: pin.resource!.slice(0, 200) } : {}), configured: set.all.map((p) => p.resource) },
          'forwardAuth address must be /auth or /auth?resource=<one of the configured resources>',
        );
        refuse(res, serverError(UNKNOWN_RESOURCE_REASON));
        return;
      }
      policy = pinned ?? (several ? set.forRequest(forwardedTarget(req)) : set.first);
      request = forwardAuthRequestFrom(req, policy.maxTokenBytes);
    } catch (err) {
      log.error({ err: (err as Error)?.message }, 'forwardAuth request unreadable');
      send(res, serverError('internal error'), NO_REQUEST, set.first);
      return;
    }
    decideWithReload(policy, request, keys, now)
      .catch((err: unknown) => {
        log.error({ err: (err as Error)?.message }, 'forwardAuth failed');
        return serverError('internal error');
      })
      .then((decision) => {
        logDecision(log, decision, request, several ? policy.resource : undefined);
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
 * Serves the Protected Resource Metadata documents directly (mount it at the well-known paths in
 * forwardAuth setups): the plugin's status, headers and body. With several resources the request
 * path picks the document (`/.well-known/oauth-protected-resource<path of the resource>`), a
 * resource on the request's host (X-Forwarded-Host, else Host) first; the bare well-known path
 * gets the resource without a path, or else the first resource. Any other path gets the first.
 */
export function createMetadataHandler(policies: PolicyConfig | readonly PolicyConfig[]): (req: IncomingMessage, res: ServerResponse) => void {
  const set = resourcePolicies(asList(policies));
  return (req, res) => {
    const path = pathOf(req.url ?? '/');
    const host = singleHeader(req, 'x-forwarded-host') ?? req.headers.host;
    const policy = set.forMetadataPath(path, host) ?? set.first;
    const d = metadataAnswer(policy, req.method ?? 'GET');
    res.writeHead(d.status, { ...d.headers, 'Content-Length': String(Buffer.byteLength(d.body)) });
    res.end(d.body);
  };
}

export { MAX_URI_BYTES };
