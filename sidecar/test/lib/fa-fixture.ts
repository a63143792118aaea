/**
 * Shared forwardAuth fixture: one trusted issuer with an RSA, an EC and an Ed25519 key, a
 * frozen clock, and helpers that run the pure decision function.
 */
import { decide, decideToken } from '../../src/forward-auth/decide.js';
import type { Decision } from '../../src/forward-auth/decision.js';
import { requestFacts, type RawRequest } from '../../src/forward-auth/request.js';
import { loadPolicy } from '../../src/policy/load.js';
import type { PolicyConfig } from '../../src/policy/types.js';
import { importVerifyKeys } from '../../src/policy/verify-keys.js';
import { makeKey, rawToken, type RawTokenInput, type TestKey } from './tokens.js';

export const ISS = 'https://auth.example.com';
export const RESOURCE = 'https://mcp.example.com/mcp';
export const PRM = 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp';
export const NOW = 1_750_000_000;

export const keys = {
  rsa: makeKey('RS256', 'rsa-1'),
  ec: makeKey('ES256', 'ec-1'),
  ed: makeKey('EdDSA', 'ed-1'),
};

export function basePolicyInput(overrides: Record<string, unknown> = {}, issuerOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    resource: RESOURCE,
    issuers: [{ issuer: ISS, jwks: { keys: [keys.rsa.jwk, keys.ec.jwk, keys.ed.jwk] }, ...issuerOverrides }],
    requiredScopes: ['mcp:tools'],
    ...overrides,
  };
}

export function makePolicy(overrides: Record<string, unknown> = {}, issuerOverrides: Record<string, unknown> = {}): PolicyConfig {
  return loadPolicy(basePolicyInput(overrides, issuerOverrides));
}

export function claims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: ISS,
    sub: 'user-123',
    aud: RESOURCE,
    scope: 'openid mcp:tools',
    client_id: 'client-abc',
    email: 'alice@example.com',
    email_verified: true,
    iat: NOW - 10,
    exp: NOW + 600,
    jti: 'jti-1',
    ...overrides,
  };
}

/** A well-formed token signed by `key` (default RSA) with `claims(overrides)`. */
export function token(overrides: Record<string, unknown> = {}, opts: { key?: TestKey; header?: Record<string, unknown> | string } = {}): string {
  const key = opts.key ?? keys.rsa;
  return rawToken({ key, payload: claims(overrides), header: opts.header ?? { alg: key.alg, typ: 'at+jwt', kid: key.kid } });
}

export function tokenFrom(input: RawTokenInput): string {
  return rawToken(input);
}

export function keysFor(policy: PolicyConfig) {
  const byIssuer = new Map(policy.issuers.map((i) => [i.issuer, importVerifyKeys(i.jwks ?? { keys: [] }).keys]));
  return (issuer: string) => byIssuer.get(issuer) ?? [];
}

/** Decision for a bearer token (steps 3-9), at NOW unless told otherwise. */
export function check(tok: string, policy: PolicyConfig = makePolicy(), now = NOW): Decision {
  return decideToken(policy, tok, { now, keysFor: keysFor(policy) });
}

/** Full decision for a request (GET /mcp without Authorization unless told otherwise). */
export function request(policy: PolicyConfig, req: Partial<RawRequest>, now = NOW): Decision {
  return decide(policy, requestFacts({ method: 'GET', uri: '/mcp', authorization: [], ...req }, policy.maxTokenBytes), { now, keysFor: keysFor(policy) });
}

/** The JSON body of an answer. */
export function bodyOf(d: Decision): unknown {
  return JSON.parse(d.body);
}
