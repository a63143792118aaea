/**
 * Finds the bearer token of a request, as the plugin does (assembly/policy/decision.ts pickToken):
 * one Authorization header, or (only when allowed) one `access_token` query parameter — never
 * both, never two. A header with another scheme (Basic, ...) carries no bearer token.
 */
import type { PolicyConfig } from '../policy/types.js';
import { queryOf } from '../policy/paths.js';
import { REASON } from './reasons.js';
import type { ForwardAuthRequest } from './request.js';

/** A token, no token, or the 400 reason. */
export type Located = { token: string } | { token: undefined; error?: string };

const paramName = (part: string): string => {
  const eq = part.indexOf('=');
  return eq < 0 ? part : part.slice(0, eq);
};

/** The raw values of every `access_token` parameter (no percent-decoding), in order. */
export function queryTokens(query: string): string[] {
  if (query.length === 0) return [];
  return query
    .split('&')
    .filter((part) => paramName(part) === 'access_token')
    .map((part) => (part.includes('=') ? part.slice(part.indexOf('=') + 1) : ''));
}

/** The request URI without its `access_token` parameters: a query token must not travel upstream. */
export function uriWithoutAccessToken(uri: string): string {
  const q = uri.indexOf('?');
  if (q < 0) return uri;
  const kept = uri.slice(q + 1).split('&').filter((part) => paramName(part) !== 'access_token');
  return kept.length === 0 ? uri.slice(0, q) : `${uri.slice(0, q + 1)}${kept.join('&')}`;
}

/** "Bearer" in any casing (RFC 7235 §2.1: the auth-scheme is case-insensitive). */
function isBearerScheme(scheme: string): boolean {
  return scheme.length === 6 && scheme.replace(/[A-Z]/g, (c) => c.toLowerCase()) === 'bearer';
}

export function locateToken(policy: Pick<PolicyConfig, 'allowQueryToken'>, request: Pick<ForwardAuthRequest, 'uri' | 'authorization'>): Located {
  const uri = request.uri;
  const fromQuery = uri !== undefined && uri.includes('?') ? queryTokens(queryOf(uri)) : [];
  const q = fromQuery[0];
  if (request.authorization.length > 1) return { token: undefined, error: REASON.multipleAuthorizationHeaders };
  if (request.authorization.length === 1) {
    if (q !== undefined) return { token: undefined, error: REASON.headerAndQueryToken };
    const value = request.authorization[0]!.trim();
    const space = value.indexOf(' ');
    if (!isBearerScheme(space < 0 ? value : value.slice(0, space))) return { token: undefined };
    const token = space < 0 ? '' : value.slice(space + 1).trim();
    if (token.length === 0) return { token: undefined, error: REASON.emptyBearerToken };
    return { token };
  }
  if (q !== undefined) {
    if (!policy.allowQueryToken) return { token: undefined, error: REASON.queryTokenNotAllowed };
    if (fromQuery.length > 1) return { token: undefined, error: REASON.multipleQueryTokens };
    if (q.length === 0) return { token: undefined, error: REASON.emptyQueryToken };
    return { token: q };
  }
  return { token: undefined };
}
