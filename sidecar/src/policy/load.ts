/**
 * Loads the request policy (docs/policy-contract.md) from a JSON value or file: same option
 * names and leniency as the wasm plugin (case-insensitive keys, `"true"`/`"42"` strings,
 * comma-separated lists), the documented defaults, and errors that name the option.
 */
import { readFile } from 'node:fs/promises';

import {
  OptionReader,
  indexObjectToArray,
  isIndexObject,
  isPlainObject,
  readBool,
  readHttpUrl,
  readInt,
  readJsonish,
  readString,
  readStringList,
} from './coerce.js';
import { normalizeAllowlistEntry } from './email.js';
import { PolicyConfigError } from './errors.js';
import { isCleanPath } from './paths.js';
import { protectedResourceMetadataUrl } from './prm.js';
import { SIGNING_ALGS, type ForwardHeaders, type IssuerPolicy, type JWKS, type PolicyConfig, type SigningAlg } from './types.js';
import { importVerifyKey, isSigningAlg } from './verify-keys.js';

export const DEFAULTS = {
  protectedPaths: ['/'],
  forwardUserHeader: 'X-Forwarded-User',
  stripAuthorization: true,
  clockSkewSeconds: 60,
  maxTokenBytes: 8192,
  allowQueryToken: false,
  logLevel: 1 as const,
  issuerType: 'at+jwt',
  jwksRefreshSeconds: 30,
};

/** RFC 7230 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** RFC 6749 scope-token: %x21 / %x23-5B / %x5D-7E. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/** `typ` compared case-insensitively, with or without `application/` (RFC 8725 §3.11). */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

function readPaths(value: unknown, option: string): string[] | undefined {
  const list = readStringList(value, option);
  list?.forEach((p, i) => {
    if (!isCleanPath(p)) {
      throw new PolicyConfigError(`${option}[${i}]`, `"${p}" must start with / and contain no //, ., .., %, \\, ; or spaces`);
    }
  });
  return list;
}

function readScopes(value: unknown, option: string): string[] | undefined {
  const list = readStringList(value, option);
  list?.forEach((s, i) => {
    if (!SCOPE_TOKEN.test(s)) throw new PolicyConfigError(`${option}[${i}]`, `"${s}" is not a valid scope token`);
  });
  return list;
}

function readUrlList(value: unknown, option: string): string[] | undefined {
  return readStringList(value, option)?.map((u, i) => readHttpUrl(u, `${option}[${i}]`)!);
}

function readJwks(value: unknown, option: string): JWKS | undefined {
  if (value === undefined) return undefined;
  const parsed = readJsonish(value, option);
  if (!isPlainObject(parsed) || !Array.isArray(parsed.keys)) {
    throw new PolicyConfigError(option, 'must be a JWKS object {"keys": [...]} or its JSON string');
  }
  if (parsed.keys.length === 0) throw new PolicyConfigError(option, 'holds no keys');
  parsed.keys.forEach((jwk, i) => {
    const imported = importVerifyKey(jwk);
    if (!imported.ok) throw new PolicyConfigError(`${option}.keys[${i}]`, imported.problem);
  });
  return { keys: parsed.keys as JWKS['keys'] };
}

function readIssuer(raw: unknown, option: string, resource: string): IssuerPolicy {
  const value = readJsonish(raw, option);
  if (!isPlainObject(value)) throw new PolicyConfigError(option, 'must be an object');
  const r = new OptionReader(value, option);

  const issuer = readString(r.get('issuer'), r.name('issuer'));
  if (!issuer) throw new PolicyConfigError(r.name('issuer'), 'is required');

  const audiences = readStringList(r.get('audiences'), r.name('audiences')) ?? [resource];
  if (audiences.length === 0) throw new PolicyConfigError(r.name('audiences'), 'must not be empty');

  const algorithms = readStringList(r.get('algorithms'), r.name('algorithms')) ?? [...SIGNING_ALGS];
  if (algorithms.length === 0) throw new PolicyConfigError(r.name('algorithms'), 'must not be empty');
  algorithms.forEach((alg, i) => {
    if (!isSigningAlg(alg)) {
      throw new PolicyConfigError(`${r.name('algorithms')}[${i}]`, `"${alg}" is not one of ${SIGNING_ALGS.join(', ')}`);
    }
  });

  const type = readString(r.get('type'), r.name('type')) ?? DEFAULTS.issuerType;
  const jwks = readJwks(r.get('jwks'), r.name('jwks'));
  const jwksFile = readString(r.get('jwksFile'), r.name('jwksFile'));
  if (jwksFile === '') throw new PolicyConfigError(r.name('jwksFile'), 'must not be empty');
  const jwksRefreshSeconds = readInt(r.get('jwksRefreshSeconds'), r.name('jwksRefreshSeconds'), 1, 86400) ?? DEFAULTS.jwksRefreshSeconds;
  if (!jwks && !jwksFile) throw new PolicyConfigError(option, 'needs jwks or jwksFile');
  r.rejectUnknown();

  return {
    issuer,
    audiences,
    algorithms: [...new Set(algorithms as SigningAlg[])],
    type: normalizeTyp(type),
    ...(jwks ? { jwks } : {}),
    ...(jwksFile ? { jwksFile } : {}),
    jwksRefreshSeconds,
  };
}

function readIssuers(raw: unknown, resource: string): IssuerPolicy[] {
  if (raw === undefined) throw new PolicyConfigError('issuers', 'is required');
  let value = readJsonish(raw, 'issuers');
  if (isIndexObject(value)) value = indexObjectToArray(value);
  else if (isPlainObject(value)) value = [value];
  if (!Array.isArray(value) || value.length === 0) throw new PolicyConfigError('issuers', 'must be a non-empty list of issuer objects');
  const issuers = value.map((item, i) => readIssuer(item, `issuers[${i}]`, resource));
  const seen = new Set<string>();
  for (const [i, { issuer }] of issuers.entries()) {
    if (seen.has(issuer)) throw new PolicyConfigError(`issuers[${i}].issuer`, `"${issuer}" is listed twice`);
    seen.add(issuer);
  }
  return issuers;
}

const FORWARD_HEADER_FIELDS = ['user', 'email', 'subject', 'scopes', 'clientId'] as const;

function readForwardHeaders(raw: unknown): ForwardHeaders {
  const defaults: ForwardHeaders = { user: DEFAULTS.forwardUserHeader };
  if (raw === undefined) return defaults;
  const value = readJsonish(raw, 'forwardHeaders');
  if (!isPlainObject(value)) throw new PolicyConfigError('forwardHeaders', 'must be an object {user, email, subject, scopes, clientId}');
  const r = new OptionReader(value, 'forwardHeaders');
  const out: ForwardHeaders = {};
  const used = new Map<string, string>();
  for (const field of FORWARD_HEADER_FIELDS) {
    const name = readString(r.get(field), r.name(field));
    // `user` keeps its default unless explicitly set; "" switches a header off.
    const effective = name === undefined ? (field === 'user' ? DEFAULTS.forwardUserHeader : undefined) : name.trim();
    if (!effective) continue;
    if (!HEADER_NAME.test(effective)) throw new PolicyConfigError(r.name(field), `"${effective}" is not a valid header name`);
    const lower = effective.toLowerCase();
    if (lower === 'authorization' || lower === 'host' || lower === 'content-length' || lower === 'cookie') {
      throw new PolicyConfigError(r.name(field), `"${effective}" cannot carry identity`);
    }
    if (used.has(lower)) throw new PolicyConfigError(r.name(field), `header "${effective}" is already used for ${used.get(lower)}`);
    used.set(lower, field);
    out[field] = effective;
  }
  r.rejectUnknown();
  return out;
}

/** Validates a policy given as a parsed JSON value; throws PolicyConfigError naming the option. */
export function loadPolicy(raw: unknown): PolicyConfig {
  if (!isPlainObject(raw)) throw new PolicyConfigError('(policy)', 'must be a JSON object');
  const r = new OptionReader(raw, '');

  const resource = readHttpUrl(r.get('resource'), 'resource');
  if (!resource) throw new PolicyConfigError('resource', 'is required');
  const issuers = readIssuers(r.get('issuers'), resource);

  const requiredScopes = readScopes(r.get('requiredScopes'), 'requiredScopes') ?? [];
  const scopesSupported = readScopes(r.get('scopesSupported'), 'scopesSupported') ?? requiredScopes;
  const authorizationServers = readUrlList(r.get('authorizationServers'), 'authorizationServers') ?? issuers.map((i) => i.issuer);
  const resourceName = readString(r.get('resourceName'), 'resourceName');

  const protectedPaths = readPaths(r.get('protectedPaths'), 'protectedPaths') ?? [...DEFAULTS.protectedPaths];
  const publicPaths = readPaths(r.get('publicPaths'), 'publicPaths') ?? [];

  const allowedEmails = (readStringList(r.get('allowedEmails'), 'allowedEmails') ?? []).map((entry, i) => {
    const normalized = normalizeAllowlistEntry(entry);
    if (!normalized) {
      throw new PolicyConfigError(`allowedEmails[${i}]`, `"${entry}" is not a plain ASCII address or @domain`);
    }
    return normalized;
  });
  const requireEmailVerified = readBool(r.get('requireEmailVerified'), 'requireEmailVerified') ?? allowedEmails.length > 0;

  const forwardHeaders = readForwardHeaders(r.get('forwardHeaders'));
  const stripAuthorization = readBool(r.get('stripAuthorization'), 'stripAuthorization') ?? DEFAULTS.stripAuthorization;
  const clockSkewSeconds = readInt(r.get('clockSkewSeconds'), 'clockSkewSeconds', 0, 600) ?? DEFAULTS.clockSkewSeconds;
  const maxTokenBytes = readInt(r.get('maxTokenBytes'), 'maxTokenBytes', 256, 65536) ?? DEFAULTS.maxTokenBytes;
  const allowQueryToken = readBool(r.get('allowQueryToken'), 'allowQueryToken') ?? DEFAULTS.allowQueryToken;
  const logLevel = (readInt(r.get('logLevel'), 'logLevel', 0, 2) ?? DEFAULTS.logLevel) as 0 | 1 | 2;
  const loginRedirect = readHttpUrl(r.get('loginRedirect'), 'loginRedirect');
  r.rejectUnknown();

  return {
    issuers,
    resource,
    authorizationServers,
    scopesSupported,
    ...(resourceName !== undefined ? { resourceName } : {}),
    protectedPaths,
    publicPaths,
    requiredScopes,
    allowedEmails: [...new Set(allowedEmails)],
    requireEmailVerified,
    forwardHeaders,
    stripAuthorization,
    clockSkewSeconds,
    maxTokenBytes,
    allowQueryToken,
    logLevel,
    ...(loginRedirect !== undefined ? { loginRedirect } : {}),
    resourceMetadataUrl: protectedResourceMetadataUrl(resource),
  };
}

/** Reads and validates a JSON policy file (POLICY_FILE); errors name the file and the option. */
export async function loadPolicyFile(file: string): Promise<PolicyConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new PolicyConfigError('(policy file)', `cannot read ${file}: ${(err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new PolicyConfigError('(policy file)', `${file} is not valid JSON (${(err as Error).message})`);
  }
  return loadPolicy(raw);
}
