/**
 * Loads the request policy (docs/policy-contract.md, docs/configuration.md) from a policy file or a
 * JS value. It reads the options exactly as the wasm plugin does (assembly/policy/config.ts): the
 * same names, defaults and leniency, the same checks in the same order, and the same message for
 * the first problem, so a document is accepted by both enforcement points or by neither.
 */
import { readFile } from 'node:fs/promises';

import { OptionReader, indexObjectItems, isIndexObject, type OptionProblem } from './coerce.js';
import { normalizeAllowlistEntry } from './email.js';
import { PolicyConfigError } from './errors.js';
import { fromJs, parseJson, toJsonText, type JsonNode } from './json.js';
import { isValidPathPrefix } from './paths.js';
import { protectedResourceMetadataUrl } from './prm.js';
import type { ForwardHeaders, IssuerPolicy, JWKS, PolicyConfig, SigningAlg } from './types.js';
import { parseKeySet } from './verify-keys.js';

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

export const WELL_KNOWN_PRM = '/.well-known/oauth-protected-resource';

/** Largest policy document read, and its nesting limit (the plugin's limits for its options). */
const MAX_POLICY_BYTES = 1 << 20;
const MAX_POLICY_DEPTH = 16;

const TOP_LEVEL_OPTIONS = [
  'issuers', 'resource', 'authorizationServers', 'scopesSupported', 'resourceName', 'protectedPaths', 'publicPaths',
  'requiredScopes', 'allowedEmails', 'requireEmailVerified', 'forwardHeaders', 'stripAuthorization', 'clockSkewSeconds',
  'maxTokenBytes', 'allowQueryToken', 'logLevel', 'loginRedirect',
];
const ISSUER_OPTIONS = ['issuer', 'audiences', 'algorithms', 'type', 'jwks', 'jwksFile', 'jwksRefreshSeconds'];
const FORWARD_HEADER_OPTIONS = ['user', 'email', 'subject', 'scopes', 'clientId'] as const;

/** `typ` per RFC 8725 §3.11 / RFC 7515 §4.1.9: case-insensitive, `application/` optional. */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase();
  return lower.startsWith('application/') ? lower.slice('application/'.length) : lower;
}

/** An http(s) URL with a host and no fragment, userinfo, backslash or whitespace. */
export function isAbsoluteHttpUrl(s: string): boolean {
  let rest: string;
  if (s.startsWith('https://')) rest = s.slice(8);
  else if (s.startsWith('http://')) rest = s.slice(7);
  else return false;
  if (rest.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 0x23 || c === 0x5c) return false;
  }
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  return authority.length > 0 && !authority.includes('@');
}

/** RFC 6749 §3.3 scope-token: %x21 / %x23-5B / %x5D-7E. */
export function isScopeToken(s: string): boolean {
  return /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s);
}

function isValidHeaderName(name: string): boolean {
  return name.length > 0 && name.length <= 128 && /^[0-9A-Za-z-]+$/.test(name);
}


function parseAlgorithms(r: OptionReader, names: string[]): SigningAlg[] {
  const out: SigningAlg[] = [];
  for (const n of names) {
    if (n !== 'RS256' && n !== 'ES256' && n !== 'EdDSA') {
      r.fail('algorithms', `unsupported algorithm "${n}" (supported: RS256, ES256, EdDSA)`);
      return [];
    }
    if (!out.includes(n)) out.push(n);
  }
  if (out.length === 0) r.fail('algorithms', 'must name at least one algorithm');
  return out;
}

interface ParsedIssuer {
  policy: IssuerPolicy;
  inline: JsonNode | undefined;
}

function parseIssuer(value: JsonNode, index: number, resource: string): ParsedIssuer | OptionProblem {
  if (value.kind !== 'object') return { option: `issuers[${index}]`, problem: 'must be an object' };
  const r = new OptionReader(value, `issuers[${index}].`);
  r.checkKnown(ISSUER_OPTIONS);
  const issuer = r.string('issuer', '');
  if (!r.failed && issuer.length === 0) r.fail('issuer', 'is required');
  const audiences = r.list('audiences', [resource]);
  if (!r.failed && audiences.length === 0) r.fail('audiences', 'must name at least one audience');
  const algNames = r.list('algorithms', ['RS256', 'ES256', 'EdDSA']);
  const algorithms = r.failed ? [] : parseAlgorithms(r, algNames);
  const type = normalizeTyp(r.string('type', DEFAULTS.issuerType).trim());
  const jwksFile = r.string('jwksFile', '');
  if (!r.failed && jwksFile.length > 0 && !jwksFile.startsWith('/')) {
    r.fail('jwksFile', 'must be an absolute path inside a Traefik plugin mount');
  }
  const jwksRefreshSeconds = r.integer('jwksRefreshSeconds', DEFAULTS.jwksRefreshSeconds, 1, 86400);
  let inline: JsonNode | undefined;
  const jwks = r.find('jwks');
  if (jwks !== undefined && jwks.kind !== 'null') {
    if (jwks.kind === 'object') {
      inline = jwks;
    } else if (jwks.kind === 'string') {
      const parsed = parseJson(jwks.value, 8, MAX_POLICY_BYTES);
      if (!parsed.ok) r.fail('jwks', `is not valid JSON: ${parsed.error}`);
      else if (parsed.value.kind !== 'object') r.fail('jwks', 'must be a JWKS object');
      else inline = parsed.value;
    } else {
      r.fail('jwks', 'must be a JWKS object or its JSON text');
    }
  }
  if (!r.failed && inline === undefined && jwksFile.length === 0) r.fail('jwks', 'each issuer needs "jwks" or "jwksFile"');
  if (r.error) return r.error;
  return {
    policy: {
      issuer,
      audiences,
      algorithms,
      type,
      ...(inline !== undefined ? { jwks: inlineJwks(inline) } : {}),
      ...(jwksFile.length > 0 ? { jwksFile } : {}),
      jwksRefreshSeconds,
    },
    inline,
  };
}

/** The configured key set as JS data, always in `{keys: [...]}` form. */
function inlineJwks(doc: JsonNode): JWKS {
  const js = JSON.parse(toJsonText(doc)) as Record<string, unknown>;
  const keys = js.keys;
  if (keys !== undefined) return { keys: (Array.isArray(keys) ? keys : []) as JWKS['keys'] };
  return { keys: [js as JWKS['keys'][number]] };
}

function parseForwardHeaders(r: OptionReader): ForwardHeaders {
  const out = { user: DEFAULTS.forwardUserHeader, email: '', subject: '', scopes: '', clientId: '' };
  const v = r.find('forwardHeaders');
  if (v === undefined || v.kind === 'null') return { user: out.user };
  if (v.kind !== 'object') {
    r.fail('forwardHeaders', 'must be an object with user, email, subject, scopes, clientId');
    return { user: out.user };
  }
  const fr = new OptionReader(v, 'forwardHeaders.');
  fr.checkKnown(FORWARD_HEADER_OPTIONS);
  out.user = fr.string('user', out.user).trim();
  for (const field of ['email', 'subject', 'scopes', 'clientId'] as const) out[field] = fr.string(field, '').trim();
  for (const field of FORWARD_HEADER_OPTIONS) {
    const name = out[field];
    if (name.length > 0 && !isValidHeaderName(name)) fr.fail(field, 'is not a valid header name');
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'host' || lower === 'cookie') fr.fail(field, `may not replace the ${name} header`);
  }
  if (fr.error && !r.error) r.error = fr.error;
  const result: ForwardHeaders = {};
  for (const field of FORWARD_HEADER_OPTIONS) if (out[field].length > 0) result[field] = out[field];
  return result;
}

/** Validates a policy given as a JS value (an object parsed from JSON, or built in code). */
export function loadPolicy(raw: unknown): PolicyConfig {
  return loadPolicyTree(fromJs(raw));
}

/** Validates a policy document tree (see parsePolicyText); throws PolicyConfigError. */
export function loadPolicyTree(root: JsonNode): PolicyConfig {
  // Traefik marshals a middleware without options as `null`.
  if (root.kind === 'null') throw new PolicyConfigError('(policy)', 'no options given: "issuers" and "resource" are required');
  if (root.kind !== 'object') throw new PolicyConfigError('(policy)', 'options must be an object');

  const r = new OptionReader(root, '');
  r.checkKnown(TOP_LEVEL_OPTIONS);

  const resource = r.string('resource', '').trim();
  if (!r.failed) {
    if (resource.length === 0) r.fail('resource', 'is required (the canonical URL of the MCP server)');
    else if (!isAbsoluteHttpUrl(resource) || resource.includes('?')) r.fail('resource', 'must be an absolute http(s) URL without query, fragment or userinfo');
  }
  let resourceMetadataPath = '';
  let resourceMetadataUrl = '';
  if (!r.failed) {
    resourceMetadataUrl = protectedResourceMetadataUrl(resource);
    resourceMetadataPath = resourceMetadataUrl.slice(resourceMetadataUrl.indexOf(WELL_KNOWN_PRM));
  }

  const issuers: ParsedIssuer[] = [];
  const issuersValue = r.find('issuers');
  if (!r.failed) {
    if (issuersValue === undefined || issuersValue.kind === 'null') {
      r.fail('issuers', 'is required: list the trusted token issuers');
    } else {
      let items: JsonNode[] = [];
      if (issuersValue.kind === 'array') items = issuersValue.items;
      else if (isIndexObject(issuersValue)) items = indexObjectItems(issuersValue);
      else r.fail('issuers', 'must be a list of issuer objects');
      if (!r.failed && items.length === 0) r.fail('issuers', 'must name at least one issuer');
      for (let i = 0; i < items.length && !r.failed; i++) {
        const parsed = parseIssuer(items[i]!, i, resource);
        if ('problem' in parsed) r.error = parsed;
        else issuers.push(parsed);
      }
      for (let i = 0; i < issuers.length && !r.failed; i++) {
        for (let j = 0; j < i; j++) {
          if (issuers[i]!.policy.issuer === issuers[j]!.policy.issuer) r.fail('issuers', `issuer "${issuers[i]!.policy.issuer}" is listed twice`);
        }
      }
    }
  }

  const authorizationServers = r.list('authorizationServers', issuers.map((i) => i.policy.issuer));
  const requiredScopes = r.nonEmptyList('requiredScopes', [], 'remove the option to require no scope');
  for (const s of requiredScopes) {
    if (r.failed) break;
    if (!isScopeToken(s)) r.fail('requiredScopes', `scope "${s}" has characters RFC 6749 does not allow`);
  }
  const scopesSupported = r.list('scopesSupported', requiredScopes);
  const resourceName = r.string('resourceName', '');
  const protectedPaths = r.nonEmptyList('protectedPaths', [...DEFAULTS.protectedPaths], 'remove the option to protect every path');
  const publicPaths = r.list('publicPaths', []);
  for (const p of protectedPaths) {
    if (r.failed) break;
    if (!isValidPathPrefix(p)) r.fail('protectedPaths', `"${p}" must be a clean path starting with /`);
  }
  for (const p of publicPaths) {
    if (r.failed) break;
    if (!isValidPathPrefix(p)) r.fail('publicPaths', `"${p}" must be a clean path starting with /`);
  }
  const allowedEmails = r.nonEmptyList('allowedEmails', [], 'remove the option to allow every verified token');
  for (let i = 0; i < allowedEmails.length && !r.failed; i++) {
    const entry = normalizeAllowlistEntry(allowedEmails[i]!);
    if (entry === undefined) r.fail('allowedEmails', `"${allowedEmails[i]}" is not an email address or @domain entry (ASCII only)`);
    else allowedEmails[i] = entry;
  }
  const requireEmailVerified = r.bool('requireEmailVerified', allowedEmails.length > 0);
  const forwardHeaders = parseForwardHeaders(r);
  const stripAuthorization = r.bool('stripAuthorization', DEFAULTS.stripAuthorization);
  const clockSkewSeconds = r.integer('clockSkewSeconds', DEFAULTS.clockSkewSeconds, 0, 600);
  const maxTokenBytes = r.integer('maxTokenBytes', DEFAULTS.maxTokenBytes, 256, 65536);
  const allowQueryToken = r.bool('allowQueryToken', DEFAULTS.allowQueryToken);
  const logLevel = r.integer('logLevel', DEFAULTS.logLevel, 0, 2) as 0 | 1 | 2;
  const loginRedirect = r.string('loginRedirect', '').trim();
  if (!r.failed && loginRedirect.length > 0 && !isAbsoluteHttpUrl(loginRedirect)) r.fail('loginRedirect', 'must be an absolute http(s) URL');
  for (const url of authorizationServers) {
    if (r.failed) break;
    if (!isAbsoluteHttpUrl(url)) r.fail('authorizationServers', `"${url}" must be an absolute http(s) URL`);
  }
  if (r.error) throw new PolicyConfigError(r.error.option, r.error.problem);

  // Inline keys are checked after the options, as the plugin does when it loads them: a set
  // without one usable key is an error unless a key file can still supply keys.
  issuers.forEach(({ policy, inline }, i) => {
    if (inline === undefined || policy.jwksFile) return;
    const set = parseKeySet(inline);
    if (set.error) throw new PolicyConfigError(`issuers[${i}].jwks`, set.error);
  });

  return {
    issuers: issuers.map((i) => i.policy),
    resource,
    authorizationServers,
    scopesSupported,
    ...(resourceName.length > 0 ? { resourceName } : {}),
    protectedPaths,
    publicPaths,
    requiredScopes,
    allowedEmails,
    requireEmailVerified,
    forwardHeaders,
    stripAuthorization,
    clockSkewSeconds,
    maxTokenBytes,
    allowQueryToken,
    logLevel,
    ...(loginRedirect.length > 0 ? { loginRedirect } : {}),
    resourceMetadataUrl,
    resourceMetadataPath,
  };
}

/** Parses policy JSON text with the plugin's strict rules (duplicates, BOM, depth 16, 1 MiB). */
export function parsePolicyText(text: string | Uint8Array): JsonNode {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  if (bytes.length === 0) throw new PolicyConfigError('(policy)', 'no options given: "issuers" and "resource" are required');
  const parsed = parseJson(bytes, MAX_POLICY_DEPTH, MAX_POLICY_BYTES);
  if (!parsed.ok) throw new PolicyConfigError('(policy)', `options are not valid JSON: ${parsed.error}`);
  return parsed.value;
}

/** Reads and validates a JSON policy file (POLICY_FILE); errors name the file and the option. */
export async function loadPolicyFile(file: string): Promise<PolicyConfig> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw new PolicyConfigError('(policy)', `cannot read ${file}: ${(err as Error).message}`);
  }
  try {
    return loadPolicyTree(parsePolicyText(bytes));
  } catch (err) {
    if (err instanceof PolicyConfigError) throw err.inSource(file);
    throw err;
  }
}
