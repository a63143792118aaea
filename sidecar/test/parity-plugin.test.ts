/**
 * Parity: the sidecar's forwardAuth decides exactly as the wasm plugin does (docs/policy-contract.md).
 * One corpus of requests per policy goes through the plugin's decision code (the `jwt` harness,
 * assembly/testing/jwt.ts decideRequestFull) and the sidecar's pure `decide`, at one fixed clock;
 * a subset also goes through the real forwardAuth HTTP handler on 127.0.0.1 (raw bytes on the
 * wire). Compared: outcome (pass/allow/answer), status, every answer header and its value
 * (WWW-Authenticate included), the body, the reason, the user identity value and every identity
 * header the upstream would get. The option documents themselves are compared too (accepted by
 * both with the same settings, or refused by both with the same message).
 *
 * Needs the harness built: `node scripts/build-plugin.mjs --harness jwt` (and build/plugin.wasm
 * for the size-limit cross-check against the real plugin glue).
 */
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { HttpWasmHost } from '../../host-tests/host/index.js';
import { loadHarness, repoRoot } from '../../host-tests/lib/harness.js';
import { createForwardAuthHandler, FORWARD_AUTH_MAX_HEADER_BYTES } from '../src/forward-auth/handler.js';
import { decide } from '../src/forward-auth/decide.js';
import { userOf, type Decision } from '../src/forward-auth/decision.js';
import { REASON } from '../src/forward-auth/reasons.js';
import { requestFacts, type RawRequest } from '../src/forward-auth/request.js';
import { silentLogger } from '../src/policy/logger.js';
import { loadPolicyTree, parsePolicyText } from '../src/policy/load.js';
import type { PolicyConfig } from '../src/policy/types.js';
import { importVerifyKeys } from '../src/policy/verify-keys.js';
import { b64, hmacToken, makeKey, rawToken, type TestKey } from './lib/tokens.js';

const NOW = 1_800_000_000;
const ISS = 'https://auth.example.com';
const ISS2 = 'https://idp.example.org';
const ISS3 = 'https://legacy.example.net/realms/x';
const RESOURCE = 'https://mcp.example.com/mcp';

interface JwtHarness {
  configure(options: string): string;
  configSummary(): string;
  decideRequestFull(method: string, uri: string, authorization: string, accept: string, preflight: boolean, now: number, crossOrigin: boolean): string;
}

interface PluginDecision {
  outcome: 'pass' | 'allow' | 'answer';
  status: number;
  reason: string;
  rewriteUri: string;
  headers: Array<[string, string]>;
  body: string;
  user?: string;
  identityHeaders: Array<[string, string]>;
}

/** One decision in a form both sides can produce. */
interface Comparable {
  outcome: string;
  status: number;
  reason: string;
  headers: Array<[string, string]>;
  body: string;
  user: string | null;
  identityHeaders: Array<[string, string]>;
  rewriteUri: string | null;
}

let harness: JwtHarness;

// ---- keys ---------------------------------------------------------------------------------------

const keys = {
  rsa: makeKey('RS256', 'rsa-1'),
  ec: makeKey('ES256', 'ec-1'),
  ed: makeKey('EdDSA', 'ed-1'),
  // same kid as rsa-1, another key: signatures by it must never verify
  rsaImpostor: makeKey('RS256', 'rsa-1'),
  rsa2: makeKey('RS256', 'rsa-2'),
  ec2: makeKey('ES256', 'ec-2'),
  ed3: makeKey('EdDSA', 'ed-3'),
  ec3a: makeKey('ES256', 'ec-3a'),
  ec3b: makeKey('ES256', 'ec-3b'),
  rsaOther: makeKey('RS256', 'rsa-other'),
  // `"kid": ""` is a kid (only a token with kid "" names it)
  edEmptyKid: makeKey('EdDSA', ''),
};
const withoutKid = (k: TestKey) => {
  const { kid: _kid, ...jwk } = k.jwk;
  return jwk;
};

// ---- policies ------------------------------------------------------------------------------------

interface PolicyCase {
  name: string;
  options: Record<string, unknown>;
  /** claims a valid token of the main issuer carries */
  claims: Record<string, unknown>;
  issuer: string;
  /** keys that sign valid tokens of `issuer` */
  signers: TestKey[];
  typ: string | undefined;
  paths: string[];
}

const mainJwks = { keys: [keys.rsa.jwk, keys.ec.jwk, keys.ed.jwk] };
const baseClaims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: ISS,
  sub: 'user-123',
  aud: RESOURCE,
  exp: NOW + 600,
  iat: NOW - 10,
  scope: 'openid mcp:tools mcp:read',
  client_id: 'client-abc',
  email: 'alice@example.com',
  email_verified: true,
  jti: 'j-1',
  ...overrides,
});

const CHECKLIST_PATHS = [
  '/mcp', '/mcp/', '/mcp/x', '/MCP', '/Mcp/tools', '//mcp', '/mcp//x', '/mcpx', '/x/../mcp', '/x/./mcp', '/x/%2e%2e/mcp',
  '/x/%2E%2E/mcp', '/%6dcp', '/mcp%2f', '/%2fmcp', '/mcp%00', '/mcp;x=1', '/mcp#frag', '/mcp\\..\\x', '/m\u00e9cp',
  '/SSE', '//sse', '/sse', '/sse/', '/sse/x', '/x/../sse', '/x/%2e%2e/sse', '/sse%2f', '/%2573se', '/%252e%252e/sse',
  '/health', '/health/', '/health/live', '/healthz', '/Health', '/health/../mcp', '/health/./x', '/health%2f..%2fmcp',
  '/health/%2e%2e/mcp', '/health;/../mcp', '/health%00', '/health#x', '/health?x=1', '/health\\..\\mcp', '/health//',
  '/public', '/public/', '/public/a.css', '/public/../mcp', '/publicity', '/static', '/static/x.js', '/staticx',
  '/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/mcp',
  '/.well-known/oauth-protected-resource/mcp/', '/.well-known/oauth-protected-resource/MCP',
  '/.well-known/oauth-protected-resource/../mcp', '/.well-known/oauth-protected-resource/..%2fmcp',
  '/.well-known/oauth-protected-resource%2f..%2fmcp', '/.well-known/oauth-protected-resource?x=1',
  '/.well-known/oauth-protected-resource/api/mcp', '/.well-known/oauth-authorization-server',
  '/', '', '*', 'mcp', 'http://evil/health', '/?', '/mcp?', '/a/b/c/../../..', '/other', '/other/x',
];

const POLICIES: PolicyCase[] = [
  {
    name: 'defaults',
    options: { resource: RESOURCE, issuers: [{ issuer: ISS, jwks: mainJwks }] },
    claims: baseClaims(),
    issuer: ISS,
    signers: [keys.rsa, keys.ec, keys.ed],
    typ: 'at+jwt',
    paths: CHECKLIST_PATHS,
  },
  {
    name: 'requiredScopes + allowlist + all identity headers',
    options: {
      Resource: RESOURCE,
      ISSUERS: { 0: { Issuer: ISS, JWKS: JSON.stringify(mainJwks) } },
      requiredScopes: 'mcp:tools, mcp:read',
      allowedEmails: ['Alice@Example.com', '@corp.example', 'bob@b.example'],
      forwardHeaders: { email: 'X-Email', subject: 'X-Subject', scopes: 'X-Scopes', clientId: 'X-Client-Id' },
      scopesSupported: ['mcp:tools', 'mcp:read', 'openid'],
      resourceName: 'Example "MCP" \u00e9',
    },
    claims: baseClaims(),
    issuer: ISS,
    signers: [keys.rsa, keys.ec, keys.ed],
    typ: 'at+jwt',
    paths: ['/mcp', '/other', '/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'],
  },
  {
    name: 'protectedPaths / publicPaths',
    options: {
      resource: RESOURCE,
      issuers: [{ issuer: ISS, jwks: mainJwks }],
      protectedPaths: ['/mcp', '/sse/', '/API'],
      publicPaths: '/health, /public/, /.well-known/oauth-protected-resource',
      requiredScopes: ['mcp:tools'],
      requireEmailVerified: 'true',
      forwardHeaders: { user: '' },
    },
    claims: baseClaims(),
    issuer: ISS,
    signers: [keys.rsa, keys.ec, keys.ed],
    typ: 'at+jwt',
    paths: [...CHECKLIST_PATHS, '/api', '/Api/x', '/apix', '/ap%69', '/sse', '/ssex'],
  },
  {
    name: 'allowQueryToken, no leeway',
    options: {
      resource: RESOURCE,
      issuers: [{ issuer: ISS, jwks: mainJwks }],
      allowQueryToken: 'TRUE',
      clockSkewSeconds: '0',
      stripAuthorization: false,
      requiredScopes: 'mcp:tools',
    },
    claims: baseClaims(),
    issuer: ISS,
    signers: [keys.rsa, keys.ec, keys.ed],
    typ: 'at+jwt',
    paths: ['/mcp', '/mcp/', '/health'],
  },
  {
    name: 'loginRedirect, small maxTokenBytes',
    options: {
      resource: 'https://mcp.example.com/',
      issuers: [{ issuer: ISS, jwks: mainJwks, audiences: 'https://mcp.example.com/' }],
      loginRedirect: ' https://auth.example.com/login?next=%2Fmcp ',
      maxTokenBytes: 1024,
      clockSkewSeconds: 600,
    },
    claims: baseClaims({ aud: 'https://mcp.example.com/' }),
    issuer: ISS,
    signers: [keys.rsa, keys.ec, keys.ed],
    typ: 'at+jwt',
    paths: ['/mcp', '/', '/.well-known/oauth-protected-resource', '/.well-known/oauth-protected-resource/'],
  },
  {
    name: 'several issuers: audiences, algorithm subset, type JWT, type ""',
    options: {
      resource: 'https://mcp.example.com:8443/api/mcp/',
      issuers: [
        { issuer: ISS, audiences: ['https://mcp.example.com:8443/api/mcp/', 'urn:mcp'], algorithms: 'ES256,EdDSA', jwks: mainJwks },
        { issuer: ISS2, type: 'JWT', jwks: { keys: [keys.rsa2.jwk, withoutKid(keys.ec2), keys.edEmptyKid.jwk] } },
        { issuer: ISS3, type: '', jwks: { keys: [keys.ed3.jwk, withoutKid(keys.ec3a), withoutKid(keys.ec3b)] }, algorithms: ['EdDSA', 'ES256', 'RS256'] },
      ],
      requiredScopes: ['mcp:tools'],
      authorizationServers: [ISS, ISS2],
    },
    claims: baseClaims({ aud: ['urn:mcp', 'other'] }),
    issuer: ISS,
    signers: [keys.ec, keys.ed],
    typ: 'at+jwt',
    paths: ['/mcp', '/api/mcp', '/.well-known/oauth-protected-resource/api/mcp', '/.well-known/oauth-protected-resource/api/mcp/'],
  },
];

// ---- tokens --------------------------------------------------------------------------------------

function headerFor(key: TestKey, typ: string | undefined, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const h: Record<string, unknown> = { alg: key.alg, ...(typ === undefined ? {} : { typ }), kid: key.kid, ...overrides };
  for (const k of Object.keys(h)) if (h[k] === undefined) delete h[k];
  return h;
}

function signWith(key: TestKey, claims: Record<string, unknown> | string | Buffer, header: Record<string, unknown> | string): string {
  return rawToken({ key, header, payload: claims });
}

/** The segment with non-zero unused bits in its last character: the same bytes, non-canonically. */
function nonCanonical(segment: string): string | undefined {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (segment.length % 4 === 0) return undefined;
  return segment.slice(0, -1) + alphabet[alphabet.indexOf(segment[segment.length - 1]!) | 1]!;
}

/** Every token variant the contract has a reason for, for the main issuer of `p`. */
function tokenCorpus(p: PolicyCase, maxTokenBytes: number): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const add = (label: string, token: string) => out.push([label, token]);
  const [k0] = p.signers as [TestKey];
  const claims = (o: Record<string, unknown> = {}) => {
    const c = { ...p.claims, ...o };
    for (const key of Object.keys(c)) if (c[key] === undefined) delete c[key];
    return c;
  };
  const tok = (o: Record<string, unknown> = {}, h: Record<string, unknown> = {}, key: TestKey = k0) => signWith(key, claims(o), headerFor(key, p.typ, h));

  for (const key of p.signers) add(`valid ${key.alg}`, tok({}, {}, key));
  for (const key of [keys.rsa, keys.ec, keys.ed]) add(`signed by ${key.kid}`, tok({}, {}, key));
  for (const key of p.signers) add(`no kid ${key.alg}`, tok({}, { kid: undefined }, key));
  // time
  for (const [name, v] of [['exp', NOW - 61], ['exp', NOW - 60], ['exp', NOW - 59], ['exp', NOW], ['exp', NOW + 1], ['nbf', NOW + 61], ['nbf', NOW + 60], ['nbf', NOW - 5], ['iat', NOW + 61], ['iat', NOW + 60], ['iat', NOW + 601], ['exp', NOW - 601], ['nbf', NOW + 601], ['exp', 1.5], ['exp', NOW + 0.5], ['nbf', -1e300]] as const) {
    add(`${name}=${v}`, tok({ [name]: v }));
  }
  add('expired and nbf future', tok({ exp: NOW - 7200, nbf: NOW + 7200 }));
  add('expired and iat future', tok({ exp: NOW - 7200, iat: NOW + 7200 }));
  add('nbf and iat future', tok({ nbf: NOW + 7200, iat: NOW + 7200 }));
  // iss
  for (const iss of [undefined, 'https://evil.example', `${p.issuer}/`, p.issuer.toUpperCase(), 42, null, [p.issuer], ISS2, ISS3]) add(`iss ${JSON.stringify(iss)}`, tok({ iss }));
  // aud
  for (const aud of [undefined, 'https://elsewhere', [], [1], ['x', 1], 7, null, {}, ['https://elsewhere', 'urn:other'], RESOURCE, [RESOURCE], ['urn:mcp'], 'urn:mcp', ['x', RESOURCE], `${RESOURCE}/`, 'https://mcp.example.com/', 'https://mcp.example.com:8443/api/mcp/']) {
    add(`aud ${JSON.stringify(aud)}`, tok({ aud }));
  }
  // typ
  for (const typ of [undefined, 'JWT', 'jwt', 'application/at+jwt', 'AT+JWT', 'Application/AT+JWT', 'at+jwt ', 'at+JWT+x', 'secevent+jwt', '', 'application/jwt', 5, null]) {
    add(`typ ${JSON.stringify(typ)}`, tok({}, { typ }));
  }
  // kid
  for (const kid of ['unknown', 7, null, '', 'RSA-1', 'ec-1', 'ed-1', 'rsa-2', 'ec-3a']) add(`kid ${JSON.stringify(kid)}`, tok({}, { kid }));
  add('impostor key with a known kid', tok({}, {}, keys.rsaImpostor));
  add('key of another issuer, own kid', tok({}, {}, keys.rsaOther));
  // alg
  const input = (h: Record<string, unknown>) => `${b64(JSON.stringify(h))}.${b64(JSON.stringify(claims()))}`;
  for (const alg of ['none', 'None', 'NONE']) {
    add(`alg ${alg} empty sig`, `${input({ alg, typ: p.typ, kid: k0.kid })}.`);
    add(`alg ${alg} sig x`, `${input({ alg, typ: p.typ, kid: k0.kid })}.${b64('x')}`);
  }
  for (const secret of [keys.rsa.publicKey.export({ format: 'pem', type: 'spki' }) as string, JSON.stringify(keys.rsa.jwk)]) {
    for (const alg of ['HS256', 'hs256', 'HS512']) add(`hmac ${alg}`, hmacToken({ alg, typ: p.typ, kid: 'rsa-1' }, claims(), secret));
  }
  for (const alg of ['RS384', 'PS256', 'ES384', 'Ed25519', 'rs256', 'es256', 'eddsa', '', 1]) add(`alg ${JSON.stringify(alg)}`, tok({}, { alg }));
  add('alg missing', tok({}, { alg: undefined }));
  add('header says ES256, RSA kid', signWith(keys.rsa, claims(), { alg: 'ES256', typ: p.typ, kid: 'rsa-1' }));
  add('header says EdDSA, EC kid', signWith(keys.ec, claims(), { alg: 'EdDSA', typ: p.typ, kid: 'ec-1' }));
  add('header says RS256, EC kid', signWith(keys.ec, claims(), { alg: 'RS256', typ: p.typ, kid: 'ec-1' }));
  // crit / b64
  for (const [name, v] of [['crit', ['exp']], ['crit', []], ['crit', null], ['b64', false], ['b64', true], ['b64', null]] as const) {
    add(`${name}=${JSON.stringify(v)}`, tok({}, { [name]: v }));
  }
  add('jku/x5u/jwk ignored', tok({}, { jku: 'https://evil/jwks', x5u: 'https://evil/x', jwk: keys.rsaOther.jwk }));
  // structure
  const good = tok();
  const [hh, pp, ss] = good.split('.') as [string, string, string];
  const variants: Array<[string, string]> = [
    ['two segments', `${hh}.${pp}`],
    ['four segments', `${good}.${ss}`],
    ['empty header', `.${pp}.${ss}`],
    ['empty payload', `${hh}..${ss}`],
    ['empty signature', `${hh}.${pp}.`],
    ['only dots', '..'],
    ['one char', 'a'],
    ['padding', `${hh}.${pp}.${ss}==`],
    ['padding in header', `${hh}=.${pp}.${ss}`],
    ['plus', `${hh}.${pp}.${ss.replace(/-/g, '+').replace(/_/g, '/')}+`],
    ['space inside', `${hh}.${pp.slice(0, 5)} ${pp.slice(5)}.${ss}`],
    ['tab inside', `${hh}.${pp}.${ss.slice(0, 9)}\t${ss.slice(9)}`],
    ['garbage', '<script>alert(1)</script>'],
    ['non-ascii', `${hh}.${pp}.${ss}\u00e9`],
    ['length 4k+1 segment', `${hh}.${pp}.${ss}A`],
    ['signature of another token', `${hh}.${pp}.${tok({ jti: 'other' }).split('.')[2]}`],
    ['header of another token', `${tok({}, { kid: 'ec-1', alg: 'ES256' }).split('.')[0]}.${pp}.${ss}`],
    ['flipped signature bit', `${hh}.${pp}.${flipBit(ss)}`],
    ['flipped payload bit', `${hh}.${flipBit(pp)}.${ss}`],
  ];
  for (const seg of [0, 1, 2] as const) {
    const parts = [hh, pp, ss];
    const nc = nonCanonical(parts[seg]!);
    if (nc !== undefined && nc !== parts[seg]) {
      parts[seg] = nc;
      variants.push([`non-canonical segment ${seg}`, parts.join('.')]);
    }
  }
  for (const [label, t] of variants) add(label, t);
  // header and payload JSON
  const raw = (headerText: string, payloadText: string | Buffer, key = k0) => signWith(key, payloadText, headerText);
  const h0 = JSON.stringify(headerFor(k0, p.typ));
  const c0 = JSON.stringify(claims());
  add('header not JSON', raw('{alg:1}', c0));
  add('header an array', raw('[1]', c0));
  add('header a string', raw('"x"', c0));
  add('header duplicate alg', raw(`{"alg":"${k0.alg}","alg":"${k0.alg}","kid":"${k0.kid}"${p.typ ? `,"typ":"${p.typ}"` : ''}}`, c0));
  add('header duplicate kid', raw(`{"alg":"${k0.alg}","kid":"nope","kid":"${k0.kid}"${p.typ ? `,"typ":"${p.typ}"` : ''}}`, c0));
  add('header depth 4', raw(h0.replace(/}$/, ',"x":[[[1]]]}'), c0));
  add('header depth 5', raw(h0.replace(/}$/, ',"x":[[[[1]]]]}'), c0));
  add('header BOM', raw(`\ufeff${h0}`, c0));
  add('header trailing comma', raw(h0.replace(/}$/, ',}'), c0));
  add('payload not JSON', raw(h0, 'nope'));
  add('payload array', raw(h0, '[1]'));
  add('payload null', raw(h0, 'null'));
  add('payload empty object', raw(h0, '{}'));
  add('payload invalid UTF-8', raw(h0, Buffer.concat([Buffer.from(c0.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')])));
  add('payload overlong UTF-8', raw(h0, Buffer.concat([Buffer.from(c0.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])));
  add('payload BOM', raw(h0, `\ufeff${c0}`));
  add('payload duplicate sub', raw(h0, c0.replace(/}$/, ',"sub":"admin"}')));
  add('payload duplicate via escape', raw(h0, c0.replace(/}$/, ',"s\\u0075b":"admin"}')));
  add('payload duplicate exp', raw(h0, `{"exp":1,${c0.slice(1)}`));
  add('payload lone surrogate', raw(h0, c0.replace(/}$/, ',"x":"\\ud800"}')));
  add('payload lone low surrogate', raw(h0, c0.replace(/}$/, ',"x":"\\udc00x"}')));
  add('payload surrogate pair', raw(h0, c0.replace(/}$/, ',"x":"\\ud83d\\ude00"}')));
  add('payload exp 1e400', raw(h0, c0.replace(/"exp":\d+/, '"exp":1e400')));
  add('payload exp -0', raw(h0, c0.replace(/"exp":\d+/, '"exp":-0')));
  add('payload exp 2e9', raw(h0, c0.replace(/"exp":\d+/, '"exp":2e9')));
  add('payload exp leading zero', raw(h0, c0.replace(/"exp":\d+/, '"exp":01800000600')));
  add('payload depth 16', raw(h0, c0.replace(/}$/, `,"x":${'['.repeat(15)}${']'.repeat(15)}}`)));
  add('payload depth 17', raw(h0, c0.replace(/}$/, `,"x":${'['.repeat(16)}${']'.repeat(16)}}`)));
  add('payload raw control char', raw(h0, c0.replace(/}$/, ',"x":"a\u0001b"}')));
  add('payload trailing data', raw(h0, `${c0} x`));
  add('payload __proto__', raw(h0, c0.replace(/}$/, ',"__proto__":{"sub":"admin"}}')));
  add('payload whitespace', raw(h0, ` \n${c0}\t\r `));
  // claims types
  for (const [name, v] of [
    ['exp', undefined], ['exp', '1900000000'], ['exp', null], ['exp', true], ['nbf', 'x'], ['nbf', null], ['iat', '1'], ['iat', null], ['iat', undefined],
    ['sub', undefined], ['sub', ''], ['sub', 5], ['sub', null], ['sub', ['a']], ['scope', ['mcp:tools']], ['scope', null], ['scope', 5],
    ['email', 5], ['email', null], ['email', undefined], ['email', ''], ['client_id', 7], ['client_id', null], ['client_id', undefined], ['client_id', ''],
    ['email_verified', 'true'], ['email_verified', 1], ['email_verified', null], ['email_verified', false], ['email_verified', undefined],
  ] as const) {
    add(`claim ${name}=${JSON.stringify(v)}`, tok({ [name]: v }));
  }
  // control and other characters in values that become headers
  for (const [name, v] of [
    ['email', 'alice@example.com\r\nX-Admin: 1'], ['email', 'alice@example.com\u0000'], ['sub', 'user\t1'], ['sub', 'user\u007f'], ['client_id', 'c\n'],
    ['scope', 'mcp:tools\nmcp:read'], ['sub', 'us\u00e9r \u20ac \ud83d\ude00'], ['email', 'J\u00fcrgen@example.com'], ['sub', 'x\u0085y'], ['client_id', '\u2028'],
    ['sub', ' spaced '], ['email', '"alice"@example.com'],
  ] as const) {
    add(`header value ${name}=${JSON.stringify(v)}`, tok({ [name]: v }));
  }
  // scopes
  for (const scope of [undefined, '', 'mcp:tools', 'mcp:read', 'mcp:tools mcp:read', '  mcp:read   mcp:tools  ', 'MCP:TOOLS mcp:read', 'mcp:tools:admin mcp:read', 'openid\tmcp:tools', 'mcp:tools,mcp:read']) {
    add(`scope ${JSON.stringify(scope)}`, tok({ scope }));
  }
  // email allowlist
  for (const email of ['ALICE@EXAMPLE.COM', 'bob@corp.example', 'BOB@Corp.Example', 'evil@sub.corp.example', 'x@corp.example.', 'carol@example.com', 'bob@b.example', 'k\u212Aa@corp.example', 'alice@examp\u0131e.com', 'a@b', '@corp.example', 'alice@example.com ', 'a\'b@corp.example', 'a(b)@corp.example', 'a@@corp.example']) {
    add(`email ${JSON.stringify(email)}`, tok({ email }));
    add(`email ${JSON.stringify(email)} unverified`, tok({ email, email_verified: false }));
  }
  // other issuers of the multi-issuer policy
  add('iss2 RS256 typ JWT', signWith(keys.rsa2, { ...claims(), iss: ISS2, aud: RESOURCE }, { alg: 'RS256', typ: 'JWT', kid: 'rsa-2' }));
  add('iss2 RS256 typ at+jwt', signWith(keys.rsa2, { ...claims(), iss: ISS2, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'RS256', typ: 'at+jwt', kid: 'rsa-2' }));
  add('iss2 RS256 typ jwt aud resource', signWith(keys.rsa2, { ...claims(), iss: ISS2, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'RS256', typ: 'jwt', kid: 'rsa-2' }));
  add('iss2 ES256 no kid', signWith(keys.ec2, { ...claims(), iss: ISS2, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'ES256', typ: 'JWT' }));
  add('iss2 ES256 kid ""', signWith(keys.ec2, { ...claims(), iss: ISS2, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'ES256', typ: 'JWT', kid: '' }));
  add('iss2 EdDSA kid ""', signWith(keys.edEmptyKid, { ...claims(), iss: ISS2, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'EdDSA', typ: 'JWT', kid: '' }));
  add('iss2 EdDSA no kid, key with kid ""', signWith(keys.edEmptyKid, { ...claims(), iss: ISS2, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'EdDSA', typ: 'JWT' }));
  add('iss2 EdDSA no key of alg', signWith(keys.ed, { ...claims(), iss: ISS2, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'EdDSA', typ: 'JWT' }));
  add('iss3 ES256 no kid (ambiguous)', signWith(keys.ec3a, { ...claims(), iss: ISS3, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'ES256' }));
  add('iss3 EdDSA no kid, no typ', signWith(keys.ed3, { ...claims(), iss: ISS3, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'EdDSA' }));
  add('iss3 EdDSA typ whatever', signWith(keys.ed3, { ...claims(), iss: ISS3, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'EdDSA', typ: 'whatever', kid: 'ed-3' }));
  add('iss3 EdDSA typ number', signWith(keys.ed3, { ...claims(), iss: ISS3, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'EdDSA', typ: 1, kid: 'ed-3' }));
  add('iss3 RS256 no key of alg', signWith(keys.rsa, { ...claims(), iss: ISS3, aud: 'https://mcp.example.com:8443/api/mcp/' }, { alg: 'RS256' }));
  // size
  // Valid tokens around the size cap: the payload grows by one byte per pad character.
  const baseLength = tok({ pad: '' }).length;
  const aroundSize = (target: number): string[] => {
    const estimate = Math.max(0, Math.floor(((target - baseLength) * 3) / 4));
    const found: string[] = [];
    for (let n = Math.max(0, estimate - 3); n <= estimate + 3; n++) {
      const t = tok({ pad: 'p'.repeat(n) });
      if (Math.abs(t.length - target) <= 1) found.push(t);
    }
    return found;
  };
  for (const target of [maxTokenBytes - 1, maxTokenBytes, maxTokenBytes + 1, maxTokenBytes + 56, maxTokenBytes + 57]) {
    for (const t of aroundSize(target)) add(`size ${t.length}`, t);
  }
  add('huge garbage', 'a'.repeat(maxTokenBytes + 1));
  add('garbage at the cap', 'a'.repeat(maxTokenBytes));
  return out;
}

function flipBit(segment: string): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[Math.floor(bytes.length / 2)]! ^= 0x04;
  return bytes.toString('base64url');
}

// ---- randomized tampering (seeded, so failures reproduce) ----------------------------------------

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALUE_POOL: unknown[] = [null, 0, -1, 1.5, NOW, NOW + 61, NOW - 61, NOW + 3600, 1e15, '', 'x', ' ', 'mcp:tools', 'mcp:tools mcp:read', 'alice@example.com', 'bob@corp.example', [], {}, true, false, [RESOURCE], ['urn:mcp'], RESOURCE, 'urn:mcp', ISS, ISS2, 'a\nb', '\u00e9', 'at+jwt', 'JWT'];
const HEADER_KEYS = ['alg', 'typ', 'kid', 'crit', 'b64', 'jku', 'cty'];
const CLAIM_KEYS = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'scope', 'email', 'email_verified', 'client_id'];
const ALG_POOL = ['RS256', 'ES256', 'EdDSA', 'none', 'HS256', 'RS512', 'rs256'];

function tamperedTokens(p: PolicyCase, count: number, seed: number): Array<[string, string]> {
  const r = rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(r() * list.length)]!;
  const signers = [...p.signers, keys.rsa, keys.ec, keys.ed, keys.rsa2, keys.ec3a, keys.ed3];
  const out: Array<[string, string]> = [];
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ';
  for (let i = 0; i < count; i++) {
    const key = pick(signers);
    const claims: Record<string, unknown> = { ...p.claims };
    const header: Record<string, unknown> = headerFor(key, p.typ);
    const mutations = 1 + Math.floor(r() * 3);
    for (let m = 0; m < mutations; m++) {
      const kind = r();
      if (kind < 0.45) {
        const c = pick(CLAIM_KEYS);
        if (r() < 0.2) delete claims[c];
        else claims[c] = pick(VALUE_POOL);
      } else if (kind < 0.7) {
        const h = pick(HEADER_KEYS);
        if (r() < 0.25) delete header[h];
        else header[h] = h === 'alg' ? pick(ALG_POOL) : h === 'kid' ? pick(['rsa-1', 'ec-1', 'ed-1', 'rsa-2', 'ec-3a', 'nope', '', 3]) : pick(VALUE_POOL);
      }
    }
    let t = signWith(key, claims, header);
    const textMutations = r() < 0.5 ? 0 : 1 + Math.floor(r() * 2);
    for (let m = 0; m < textMutations; m++) {
      const at = Math.floor(r() * t.length);
      const op = r();
      if (op < 0.4) t = t.slice(0, at) + pick([...chars]) + t.slice(at + 1);
      else if (op < 0.6) t = t.slice(0, at) + t.slice(at + 1);
      else if (op < 0.8) t = t.slice(0, at) + pick([...chars]) + t.slice(at);
      else t = t.slice(0, at);
    }
    out.push([`tampered #${i} (seed ${seed})`, t]);
  }
  return out;
}

// ---- requests ------------------------------------------------------------------------------------

interface Req extends RawRequest {
  label: string;
  accept: string;
  preflight: boolean;
  crossOrigin: boolean;
}

function requestCorpus(p: PolicyCase, maxTokenBytes: number, seed: number): Req[] {
  const reqs: Req[] = [];
  const add = (label: string, r: Partial<Req>) =>
    reqs.push({ label, method: 'POST', uri: '/mcp', authorization: [], accept: '', preflight: false, crossOrigin: false, ...r });
  const tokens = tokenCorpus(p, maxTokenBytes);
  const valid = tokens[0]![1];
  for (const [label, t] of tokens) add(`token: ${label}`, { authorization: [`Bearer ${t}`] });
  for (const [label, t] of tamperedTokens(p, 300, seed)) add(label, { authorization: [`Bearer ${t}`] });

  // Authorization header variants
  const authVariants: Array<[string, string[]]> = [
    ['none', []],
    ['bearer lower', [`bearer ${valid}`]],
    ['BEARER, extra spaces', [`BEARER   ${valid}  `]],
    ['two headers, same token', [`Bearer ${valid}`, `Bearer ${valid}`]],
    ['two headers, Basic first', ['Basic dXNlcjpwdw==', `Bearer ${valid}`]],
    ['two empty headers', ['', '']],
    ['Basic', ['Basic dXNlcjpwdw==']],
    ['Digest', ['Digest username="a"']],
    ['Token scheme', [`Token ${valid}`]],
    ['Bearer only', ['Bearer']],
    ['Bearer space', ['Bearer ']],
    ['bearer spaces', ['bearer    ']],
    ['empty value', ['']],
    ['spaces only', ['   ']],
    ['Bearer tab token', [`Bearer\t${valid}`]],
    ['Bearer comma token', [`Bearer,${valid}`]],
    ['Bearertoken', [`Bearer${valid}`]],
    ['leading space', [` Bearer ${valid}`]],
    ['Bearer two tokens', [`Bearer ${valid} ${valid}`]],
    ['Bearer quoted', [`Bearer "${valid}"`]],
    ['Bearer token=', [`Bearer ${valid}=`]],
    ['Bearer non-ASCII token', ['Bearer \u00e9\u00e9\u00e9']],
    ['Bearer NBSP', [`Bearer\u00a0${valid}`]],
  ];
  for (const [label, authorization] of authVariants) add(`auth: ${label}`, { authorization });

  // query tokens
  for (const [label, uri, authorization] of [
    ['query token', `/mcp?access_token=${valid}`, []],
    ['query token among others', `/mcp?a=1&access_token=${valid}&b=2`, []],
    ['query token twice', `/mcp?access_token=${valid}&access_token=garbage`, []],
    ['query token empty', '/mcp?access_token=', []],
    ['query token without =', '/mcp?access_token', []],
    ['query token encoded name', `/mcp?access%5Ftoken=${valid}`, []],
    ['query token encoded value', `/mcp?access_token=${valid.replace('.', '%2E')}`, []],
    ['query token after #', `/mcp#?access_token=${valid}`, []],
    ['query token in path', `/mcp/access_token=${valid}`, []],
    ['query token + header', `/mcp?access_token=${valid}`, [`Bearer ${valid}`]],
    ['query token + Basic header', `/mcp?access_token=${valid}`, ['Basic dXNlcjpwdw==']],
    ['query token + two headers', `/mcp?access_token=${valid}`, [`Bearer ${valid}`, `Bearer ${valid}`]],
    ['empty query + header', '/mcp?', [`Bearer ${valid}`]],
    ['other query + header', '/mcp?access_tokens=1&x_access_token=2', [`Bearer ${valid}`]],
    ['query token on a public path', `/health?access_token=${valid}`, []],
    ['query token on a public path among others', `/health?a=1&access_token=${valid}&b`, []],
    ['query token only parameter', `/mcp/x?access_token=${valid}#frag`, []],
    ['query token named like it', `/mcp?access_token_x=1&access_token=${valid}`, []],
    ['query token with fragment after', `/mcp?access_token=${valid}#x&access_token=y`, []],
  ] as Array<[string, string, string[]]>) {
    add(`query: ${label}`, { uri, authorization });
  }

  // paths x {no token, valid token}, methods, preflight, accept
  for (const uri of p.paths) {
    add(`path ${JSON.stringify(uri)} no token`, { uri, method: 'GET' });
    add(`path ${JSON.stringify(uri)} token`, { uri, authorization: [`Bearer ${valid}`] });
    add(`path ${JSON.stringify(uri)} HEAD`, { uri, method: 'HEAD' });
    add(`path ${JSON.stringify(uri)} DELETE broken auth`, { uri, method: 'DELETE', authorization: ['Bearer', 'Bearer'] });
  }
  for (const method of ['GET', 'HEAD', 'POST', 'OPTIONS', 'PUT', 'get', 'options', 'Options']) {
    for (const uri of ['/mcp', '/.well-known/oauth-protected-resource', '/health']) {
      for (const preflight of [false, true]) {
        add(`${method} ${uri} preflight=${preflight}`, { method, uri, preflight });
        add(`${method} ${uri} preflight=${preflight} bad token`, { method, uri, preflight, authorization: ['Bearer a.b.c'] });
      }
    }
  }
  for (const accept of ['', 'text/html', 'TEXT/HTML', 'text/html,application/xhtml+xml;q=0.9', 'application/json', 'text/htmlx', 'application/json, text/HTML;q=0.1', '*/*', 'texthtml', `text/html,${'a'.repeat(5000)}`]) {
    for (const method of ['GET', 'POST', 'HEAD']) {
      add(`accept ${JSON.stringify(accept.slice(0, 40))} ${method}`, { method, accept });
      add(`accept ${JSON.stringify(accept.slice(0, 40))} ${method} Basic`, { method, accept, authorization: ['Basic eA=='] });
      add(`accept ${JSON.stringify(accept.slice(0, 40))} ${method} empty bearer`, { method, accept, authorization: ['Bearer'] });
    }
  }

  // size limits
  const kib64 = 64 * 1024;
  add('uri 64 KiB exactly', { uri: `/mcp?x=${'a'.repeat(kib64 - 7)}` });
  add('uri 64 KiB + 1', { uri: `/mcp?x=${'a'.repeat(kib64 - 6)}` });
  add('uri 64 KiB + 1 on a public path', { uri: `/health?x=${'a'.repeat(kib64)}`, authorization: [`Bearer ${valid}`] });
  add('uri 64 KiB + 1 preflight', { method: 'OPTIONS', preflight: true, uri: `/mcp?x=${'a'.repeat(kib64)}` });
  add('uri 64 KiB multibyte', { uri: `/mcp?x=${'\u00e9'.repeat(kib64 / 2 - 3)}` });
  add('uri over 64 KiB multibyte', { uri: `/mcp?x=${'\u00e9'.repeat(kib64 / 2)}` });
  const slack = maxTokenBytes + 64;
  for (const n of [maxTokenBytes - 1, maxTokenBytes, maxTokenBytes + 1, slack - 8, slack - 7, slack - 6]) {
    add(`authorization ${n + 8} bytes with NUL`, { authorization: [`Bearer ${'a'.repeat(n)}`] });
  }
  add('authorization multibyte under the slack', { authorization: [`Bearer ${'a'.repeat(maxTokenBytes - 40)}${'\u00e9'.repeat(30)}`] });
  add('authorization multibyte over the cap in bytes only', { authorization: [`Bearer ${'a'.repeat(maxTokenBytes - 20)}${'\u00e9'.repeat(15)}`] });
  add('two authorization headers together too large', { authorization: [`Bearer ${'a'.repeat(maxTokenBytes / 2 + 30)}`, `Bearer ${'a'.repeat(maxTokenBytes / 2 + 30)}`] });
  add('too large on a public path', { uri: '/health', authorization: [`Bearer ${'a'.repeat(maxTokenBytes * 2)}`] });
  add('too large query token', { uri: `/mcp?access_token=${'a'.repeat(maxTokenBytes + 1)}` });
  add('query token at the cap', { uri: `/mcp?access_token=${'a'.repeat(maxTokenBytes)}` });
  // Browser (cross-origin) variants of every third request: refusals gain CORS headers.
  const crossOrigin = reqs.filter((_r, i) => i % 3 === 0).map((r) => ({ ...r, label: `${r.label} +Origin`, crossOrigin: true }));
  return [...reqs, ...crossOrigin];
}

// ---- the two sides -------------------------------------------------------------------------------

function keysForPolicy(policy: PolicyConfig) {
  const byIssuer = new Map(policy.issuers.map((i) => [i.issuer, importVerifyKeys(i.jwks ?? { keys: [] }).keys]));
  return (issuer: string) => byIssuer.get(issuer) ?? [];
}

function pluginSide(r: Req): Comparable {
  const json = harness.decideRequestFull(r.method, r.uri ?? '', r.authorization.join('\n'), r.accept, r.preflight, NOW, r.crossOrigin);
  const d = JSON.parse(json) as PluginDecision;
  return {
    rewriteUri: d.rewriteUri || null,
    outcome: d.outcome,
    status: d.outcome === 'answer' ? d.status : 200,
    reason: d.reason,
    headers: d.outcome === 'answer' ? d.headers : [],
    body: d.body,
    user: d.user ?? null,
    identityHeaders: d.identityHeaders,
  };
}

function sidecarSide(policy: PolicyConfig, keysFor: ReturnType<typeof keysForPolicy>, r: Req): { comparable: Comparable; decision: Decision } {
  const d = decide(policy, requestFacts(r, policy.maxTokenBytes), { now: NOW, keysFor });
  return {
    decision: d,
    comparable: {
      rewriteUri: d.rewriteUri ?? null,
      outcome: d.outcome,
      status: d.status,
      reason: d.reason,
      headers: d.outcome === 'answer' ? Object.entries(d.headers) : [],
      body: d.body,
      user: d.identity ? userOf(d.identity) : null,
      identityHeaders: d.outcome === 'allow' ? Object.entries(d.headers) : [],
    },
  };
}

// ---- known divergences (plugin bugs, reported; the sidecar does not copy them) ------------------

/** The claims of the request's bearer token, when its payload is a JSON object. */
function claimsOf(r: Req): Record<string, unknown> | undefined {
  const fromHeader = r.authorization.length === 1 ? /^bearer +(\S+)/i.exec(r.authorization[0]!.trim())?.[1] : undefined;
  const fromQuery = r.uri?.includes('?') ? /[?&]access_token=([^&#]*)/.exec(r.uri)?.[1] : undefined;
  const payload = (fromHeader ?? fromQuery)?.split('.')[1];
  if (!payload) return undefined;
  try {
    const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// ---- HTTP ----------------------------------------------------------------------------------------

interface RawResponse {
  status: number;
  headers: Array<[string, string]>;
  body: string;
}

/** One forwardAuth request as Traefik sends it, written byte for byte (UTF-8 header values). */
function rawForwardAuth(port: number, r: Req): Promise<RawResponse> {
  const lines = ['GET /auth HTTP/1.1', 'Host: sidecar', `X-Forwarded-Method: ${r.method}`, 'X-Forwarded-Proto: https', 'X-Forwarded-Host: mcp.example.com'];
  if (r.uri !== undefined) lines.push(`X-Forwarded-Uri: ${r.uri}`);
  for (const a of r.authorization) lines.push(`Authorization: ${a}`);
  if (r.accept) lines.push(`Accept: ${r.accept}`);
  if (r.preflight) lines.push('Access-Control-Request-Method: POST');
  if (r.crossOrigin) lines.push('Origin: https://inspector.example');
  lines.push('Connection: close');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const headLines = all.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(headLines[0]!.split(' ')[1]);
      const headers = headLines.slice(1).map((l) => {
        const c = l.indexOf(':');
        // latin1 text of the bytes on the wire -> the UTF-8 value
        return [l.slice(0, c).toLowerCase(), Buffer.from(l.slice(c + 1).trim(), 'latin1').toString('utf8')] as [string, string];
      });
      resolve({ status, headers, body: all.subarray(split + 4).toString('utf8') });
    });
    socket.on('error', reject);
    socket.write(head);
  });
}

const OWN_HEADERS = new Set(['date', 'connection', 'content-length', 'keep-alive', 'transfer-encoding']);

function expectHttpMatches(res: RawResponse, plugin: Comparable, stripAuthorization: boolean, r: Req): void {
  const got = res.headers.filter(([k]) => !OWN_HEADERS.has(k) && !(k === 'authorization' && !stripAuthorization));
  // (A rewritten URI cannot travel through forwardAuth: see forward-auth/handler.ts.)
  const expected = [...plugin.headers, ...plugin.identityHeaders].map(([k, v]) => [k.toLowerCase(), v]);
  expect({ status: res.status, headers: got, body: res.body }, r.label).toEqual({ status: plugin.status, headers: expected, body: plugin.body });
  expect(res.headers.find(([k]) => k === 'content-length')?.[1], r.label).toBe(String(Buffer.byteLength(plugin.body)));
}

// ---- tests ---------------------------------------------------------------------------------------

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'build/testing/jwt.wasm'))) throw new Error('build/testing/jwt.wasm is missing: run node scripts/build-plugin.mjs --harness jwt');
  harness = await loadHarness<JwtHarness>('jwt');
  if (typeof harness.decideRequestFull !== 'function') throw new Error('the jwt harness is out of date: run node scripts/build-plugin.mjs --harness jwt');
});

let server: Server | undefined;
afterAll(async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
  }
});

const reasonsSeen = new Set<string>();

describe.each(POLICIES.map((p, i) => [p.name, p, i] as const))('policy: %s', (_name, p, index) => {
  let policy: PolicyConfig;
  let keysFor: ReturnType<typeof keysForPolicy>;
  let corpus: Req[];

  beforeAll(() => {
    const json = JSON.stringify(p.options);
    expect(harness.configure(json)).toBe('');
    policy = loadPolicyTree(parsePolicyText(json));
    keysFor = keysForPolicy(policy);
    corpus = requestCorpus(p, policy.maxTokenBytes, 1000 + index);
  });

  it('the pure decision equals the plugin for every request of the corpus', () => {
    expect(corpus.length).toBeGreaterThan(450);
    const mismatches: unknown[] = [];
    for (const r of corpus) {
      const plugin = pluginSide(r);
      const { comparable } = sidecarSide(policy, keysFor, r);
      reasonsSeen.add(plugin.reason);
      if (JSON.stringify(comparable) === JSON.stringify(plugin)) continue;
      mismatches.push({ request: r.label, plugin, sidecar: comparable });
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(mismatches.length).toBe(0);
  });

  it('the HTTP forwardAuth handler answers what the plugin decides (every 4th request and the edge cases)', async () => {
    server = createServer({ maxHeaderSize: FORWARD_AUTH_MAX_HEADER_BYTES }, createForwardAuthHandler(policy, silentLogger, { now: () => NOW * 1000 }));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    try {
      const subset = corpus.filter((r, i) => i % 4 === 0 || /size|uri|authorization|non-ASCII|multibyte|two|query|header value/i.test(r.label));
      expect(subset.length).toBeGreaterThan(150);
      for (const r of subset) {
        const plugin = pluginSide(r);
        expectHttpMatches(await rawForwardAuth(port, r), plugin, policy.stripAuthorization, r);
      }
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
      server = undefined;
    }
  });
});

// Runs after the policy suites above (vitest runs a file's tests in order): the corpus must
// reach every reason phrase of the contract, or the comparison above proves less than it seems.
describe('coverage of the corpus', () => {
  it('reached every reason of the contract', () => {
    expect(Object.values(REASON).filter((r) => !reasonsSeen.has(r))).toEqual([]);
  });
});

describe('cases once found to differ (review findings, now the same on both sides)', () => {
  it('identity values with leading or trailing spaces are refused by both (HTTP would drop the spaces upstream)', () => {
    const p = POLICIES[0]!;
    expect(harness.configure(JSON.stringify(p.options))).toBe('');
    const policy = loadPolicyTree(parsePolicyText(JSON.stringify(p.options)));
    for (const [claim, value] of [['sub', ' admin'], ['email', 'admin@example.com '], ['client_id', ' trusted-client']] as const) {
      const t = signWith(keys.rsa, { ...p.claims, [claim]: value }, headerFor(keys.rsa, 'at+jwt'));
      const r: Req = { label: claim, method: 'POST', uri: '/mcp', authorization: [`Bearer ${t}`], accept: '', preflight: false, crossOrigin: false };
      const plugin = pluginSide(r);
      expect({ status: plugin.status, reason: plugin.reason }, `plugin, ${claim}=${JSON.stringify(value)}`).toEqual({ status: 401, reason: REASON.malformedClaims });
      expect(sidecarSide(policy, keysForPolicy(policy), r).comparable).toEqual(plugin);
    }
  });

  it('lists given as objects keyed "0", "1", ... are taken in numeric key order by both', () => {
    const text = `{"resource":"${RESOURCE}","issuers":[{"issuer":"${ISS}","jwks":${JSON.stringify(mainJwks)}}],"requiredScopes":{"1":"b","0":"a","10":"k","2":"c"}}`;
    expect(harness.configure(text)).toBe('');
    expect((JSON.parse(harness.configSummary()) as { requiredScopes: string[] }).requiredScopes).toEqual(['a', 'b', 'c', 'k']);
    expect(loadPolicyTree(parsePolicyText(text)).requiredScopes).toEqual(['a', 'b', 'c', 'k']);
  });
});

describe('the size facts the harness derives match the real plugin glue', () => {
  it('414, oversized Authorization values and their boundaries', async () => {
    const wasm = path.join(repoRoot, 'build/plugin.wasm');
    const options = POLICIES[4]!.options;
    const host = await HttpWasmHost.create(wasm, { config: options, now: () => NOW * 1000 });
    expect(harness.configure(JSON.stringify(options))).toBe('');
    const max = 1024;
    const cases: Array<[string, Array<[string, string]>]> = [
      [`/mcp?x=${'a'.repeat(64 * 1024 - 7)}`, []],
      [`/mcp?x=${'a'.repeat(64 * 1024 - 6)}`, []],
      [`/mcp?x=${'\u00e9'.repeat(32 * 1024 - 3)}`, []],
      [`/mcp?x=${'\u00e9'.repeat(32 * 1024)}`, []],
      ...[max + 55, max + 56, max + 57].map((n) => ['/mcp', [['Authorization', `Bearer ${'a'.repeat(n)}`]]] as [string, Array<[string, string]>]),
      ['/mcp', [['Authorization', `Bearer ${'a'.repeat(max - 30)}${'\u00e9'.repeat(40)}`]]],
      ['/mcp', [['Authorization', `Bearer ${'a'.repeat(max / 2)}`], ['Authorization', `Bearer ${'a'.repeat(max / 2 + 40)}`]]],
    ];
    for (const [uri, headers] of cases) {
      const real = await host.handle({ method: 'GET', uri, headers });
      expect(real.trapped).toBe(false);
      const viaHarness = JSON.parse(harness.decideRequestFull('GET', uri, headers.map(([, v]) => v).join('\n'), '', false, NOW, false)) as PluginDecision;
      expect({ status: real.status, body: real.text() }, uri.slice(0, 30)).toEqual({ status: viaHarness.status, body: viaHarness.body });
    }
  });
});

// ---- option documents ----------------------------------------------------------------------------

describe('option documents: accepted or refused alike', () => {
  const k = keys.ec.jwk;
  const jwksText = JSON.stringify({ keys: [k] });
  const iss = (o: Record<string, unknown> = {}) => ({ issuer: ISS, jwks: { keys: [k] }, ...o });
  const base = (o: Record<string, unknown> = {}) => ({ resource: RESOURCE, issuers: [iss()], ...o });
  const docs: Array<string | Record<string, unknown> | null | unknown[]> = [
    '', 'null', '[]', '"x"', '{', '\ufeff{}', '{"a":1,"a":2}', '{}',
    base(),
    base({ RESOURCE: RESOURCE, resource: undefined }),
    { Resource: RESOURCE, resource: RESOURCE, issuers: [iss()] },
    base({ requiredScope: 'x' }),
    base({ resource: ' https://mcp.example.com/mcp ' }),
    base({ resource: 'HTTPS://mcp.example.com/mcp' }),
    base({ resource: 'https://mcp.example.com/mcp?x=1' }),
    base({ resource: 'https://mcp.example.com/mcp#f' }),
    base({ resource: 'https://user@mcp.example.com/mcp' }),
    base({ resource: 'https://' }),
    base({ resource: 'https:///x' }),
    base({ resource: 'https://MCP.example.com:443//a//' }),
    base({ resource: 'https://mcp.example.com/a"b' }),
    base({ resource: 5 }),
    base({ resource: '' }),
    { issuers: [iss()] },
    base({ issuers: undefined }),
    base({ issuers: null }),
    base({ issuers: [] }),
    base({ issuers: {} }),
    base({ issuers: iss() }),
    base({ issuers: JSON.stringify([iss()]) }),
    base({ issuers: { 0: iss(), 1: iss({ issuer: ISS2 }) } }),
    base({ issuers: { 0: iss(), x: iss({ issuer: ISS2 }) } }),
    base({ issuers: [iss(), iss()] }),
    base({ issuers: [5] }),
    base({ issuers: [iss({ issuer: '' })] }),
    base({ issuers: [iss({ issuer: 5 })] }),
    base({ issuers: [iss({ Issuer: ISS2 })] }),
    base({ issuers: [iss({ audiences: '' })] }),
    base({ issuers: [iss({ audiences: ' , ' })] }),
    base({ issuers: [iss({ audiences: [1] })] }),
    base({ issuers: [iss({ audiences: 'a, b ,c' })] }),
    base({ issuers: [iss({ algorithms: ['RS256', 'HS256'] })] }),
    base({ issuers: [iss({ algorithms: ['rs256'] })] }),
    base({ issuers: [iss({ algorithms: [] })] }),
    base({ issuers: [iss({ algorithms: 'ES256, ES256' })] }),
    base({ issuers: [iss({ type: 'application/AT+JWT' })] }),
    base({ issuers: [iss({ type: '  ' })] }),
    base({ issuers: [iss({ type: 5 })] }),
    base({ issuers: [iss({ jwks: jwksText })] }),
    base({ issuers: [iss({ jwks: '{"keys":' })] }),
    base({ issuers: [iss({ jwks: '[1]' })] }),
    base({ issuers: [iss({ jwks: 5 })] }),
    base({ issuers: [iss({ jwks: [k] })] }),
    base({ issuers: [iss({ jwks: k })] }),
    base({ issuers: [iss({ jwks: { keys: [] } })] }),
    base({ issuers: [iss({ jwks: { keys: 'x' } })] }),
    base({ issuers: [iss({ jwks: { nope: 1 } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ ...k, d: 'AAAA' }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ ...k, alg: 'RS256' }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ ...k, use: 'enc' }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ ...k, kid: 5 }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [k, { ...keys.ed.jwk, kid: k.kid }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [makeKey('RS256', 'weak', { modulusLength: 1024 }).jwk] } })] }),
    base({ issuers: [iss({ jwks: { keys: [makeKey('RS256', 'e3', { publicExponent: 3 }).jwk] } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ ...k, x: k.y }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: Buffer.alloc(32).toString('base64url') }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: `${'7'.repeat(42)}w` }] } })] }),
    base({ issuers: [iss({ jwks: undefined, jwksFile: '/keys/jwks.json' })] }),
    base({ issuers: [iss({ jwks: undefined, jwksFile: 'keys/jwks.json' })] }),
    base({ issuers: [iss({ jwks: undefined, jwksFile: '' })] }),
    base({ issuers: [iss({ jwks: { keys: [] }, jwksFile: '/keys/jwks.json' })] }),
    base({ issuers: [iss({ jwksRefreshSeconds: '0' })] }),
    base({ issuers: [iss({ jwksRefreshSeconds: ' 86400 ' })] }),
    base({ issuers: [iss({ jwksRefreshSeconds: 1.5 })] }),
    base({ issuers: [iss({ jwksUri: 'https://x' })] }),
    base({ requiredScopes: 'a, b ,,' }),
    base({ requiredScopes: ['a', 'b"c'] }),
    base({ requiredScopes: ['a', 5] }),
    base({ requiredScopes: { 0: 'a', 1: 'b' } }),
    base({ requiredScopes: 5 }),
    base({ scopesSupported: ['a b'] }),
    base({ authorizationServers: ['https://ok', 'javascript:alert(1)'] }),
    base({ authorizationServers: 'https://a, https://b' }),
    base({ protectedPaths: ['mcp'] }),
    base({ protectedPaths: ['/a/../b'] }),
    base({ protectedPaths: ['/a/.'] }),
    base({ protectedPaths: ['/a/'] }),
    base({ protectedPaths: '' }),
    base({ protectedPaths: [] }),
    base({ protectedPaths: null }),
    base({ requiredScopes: ' , ' }),
    base({ requiredScopes: [] }),
    base({ allowedEmails: [] }),
    base({ allowedEmails: '' }),
    base({ allowedEmails: {} }),
    base({ publicPaths: [] }),
    base({ 'maxTo\u212AenBytes': 300 }),
    base({ issuers: [iss({ jwks: { keys: [{ ...k, kid: '' }, { ...keys.ed.jwk, kid: '' }] } })] }),
    base({ issuers: [iss({ jwks: { keys: [withoutKid(keys.ec), withoutKid(keys.ed)] } })] }),
    base({ publicPaths: ['/a%2fb'] }),
    base({ publicPaths: ['/a;b'] }),
    base({ publicPaths: ['/a?b'] }),
    base({ publicPaths: ['//a'] }),
    base({ allowedEmails: ['A@B.C', '@Corp.Example'] }),
    base({ allowedEmails: ['k\u212Am@example.com'] }),
    base({ allowedEmails: ['a@b@c.com'] }),
    base({ allowedEmails: ['@'] }),
    base({ allowedEmails: ['@corp.example.'] }),
    base({ allowedEmails: ["o'brien@example.com"] }),
    base({ allowedEmails: ['a(b)@example.com'] }),
    base({ allowedEmails: ['a@b..c'] }),
    base({ allowedEmails: ['alice'] }),
    base({ requireEmailVerified: 'yes' }),
    base({ requireEmailVerified: ' FALSE ' }),
    base({ stripAuthorization: 1 }),
    base({ clockSkewSeconds: 601 }),
    base({ clockSkewSeconds: -1 }),
    base({ clockSkewSeconds: '-0' }),
    base({ clockSkewSeconds: '+5' }),
    base({ clockSkewSeconds: '0005' }),
    base({ clockSkewSeconds: '1234567890123' }),
    base({ maxTokenBytes: 255 }),
    base({ maxTokenBytes: 65537 }),
    base({ maxTokenBytes: '8k' }),
    base({ maxTokenBytes: 4096.5 }),
    base({ logLevel: 3 }),
    base({ logLevel: '2' }),
    base({ allowQueryToken: 'True' }),
    base({ forwardHeaders: { user: 'X User' } }),
    base({ forwardHeaders: { user: 'X_User' } }),
    base({ forwardHeaders: { email: 'Authorization' } }),
    base({ forwardHeaders: { email: 'content-length' } }),
    base({ forwardHeaders: { email: 'X-Forwarded-User' } }),
    base({ forwardHeaders: { groups: 'X-Groups' } }),
    base({ forwardHeaders: '{"email":"X-Email"}' }),
    base({ forwardHeaders: { user: '', subject: 'X-Sub' } }),
    base({ forwardHeaders: { USER: 'X-U', user: 'X-V' } }),
    base({ forwardHeaders: { user: 5 } }),
    base({ loginRedirect: '/login' }),
    base({ loginRedirect: ' https://a.example/login ' }),
    base({ resourceName: 5 }),
    '{"resource":"https://mcp.example.com/mcp","issuers":[{"issuer":"https://a","jwks":{"keys":[]}}],"maxTokenBytes":1e3}',
    '{"resource":"https://mcp.example.com/mcp","issuers":[{"issuer":"https://a","jwks":{"keys":[]}}],"maxTokenBytes":1000.0}',
    `{"resource":"https://mcp.example.com/mcp","issuers":[{"issuer":"https://a","jwks":${jwksText}}],"maxTokenBytes":1000}`,
    `{"resource":"https://mcp.example.com/mcp","issuers":[{"issuer":"https://a","jwks":${jwksText}}],"logLevel":00}`,
    `{"resource":"https://mcp.example.com/mcp","issuers":[{"issuer":"https://a","jwks":${jwksText}}],"resourceName":"\\ud800"}`,
    `{"resource":"https://mcp.example.com/mcp","issuers":[{"issuer":"https://a","jwks":${jwksText}}]} x`,
  ];

  it.each(docs.map((d, i) => [i, typeof d === 'string' ? d.slice(0, 80) : JSON.stringify(d)?.slice(0, 80), d] as const))('#%d %s', (_i, _label, doc) => {
    const text = typeof doc === 'string' ? doc : JSON.stringify(doc);
    const pluginError = harness.configure(text);
    let sidecarError = '';
    let policy: PolicyConfig | undefined;
    try {
      policy = loadPolicyTree(parsePolicyText(text));
    } catch (err) {
      sidecarError = (err as Error).message;
    }
    // The harness reports an unusable inline key set without the option name the plugin's
    // key loader adds (assembly/plugin/keys.ts), and also when a jwksFile could supply keys.
    const harnessKeySetError = /^JWKS /.test(pluginError);
    if (harnessKeySetError) {
      const fileBacked = /"jwksFile":"\//.test(text);
      if (fileBacked) expect(sidecarError).toBe('');
      else expect(sidecarError).toMatch(new RegExp(`^option "issuers\\[\\d+\\]\\.jwks": ${pluginError.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
      return;
    }
    expect(sidecarError).toBe(pluginError);
    if (policy === undefined) return;
    const s = JSON.parse(harness.configSummary()) as Record<string, unknown>;
    const bits = (algs: string[]) => (algs.includes('RS256') ? 1 : 0) | (algs.includes('ES256') ? 2 : 0) | (algs.includes('EdDSA') ? 4 : 0);
    expect({
      resource: policy.resource,
      resourceMetadataUrl: policy.resourceMetadataUrl,
      metadataPath: policy.resourceMetadataPath,
      requiredScopes: policy.requiredScopes,
      allowedEmails: policy.allowedEmails,
      requireEmailVerified: policy.requireEmailVerified,
      protectedPaths: policy.protectedPaths,
      publicPaths: policy.publicPaths,
      stripAuthorization: policy.stripAuthorization,
      clockSkewSeconds: policy.clockSkewSeconds,
      maxTokenBytes: policy.maxTokenBytes,
      allowQueryToken: policy.allowQueryToken,
      logLevel: policy.logLevel,
      loginRedirect: policy.loginRedirect ?? '',
      forwardUser: policy.forwardHeaders.user ?? '',
      forwardEmail: policy.forwardHeaders.email ?? '',
      issuers: policy.issuers.map((i) => ({
        issuer: i.issuer,
        audiences: i.audiences,
        algorithms: bits(i.algorithms),
        type: i.type,
        jwksFile: i.jwksFile ?? '',
        jwksRefreshSeconds: i.jwksRefreshSeconds,
        inlineKeys: i.jwks ? importVerifyKeys(i.jwks).keys.length : 0,
      })),
    }).toEqual(s);
  });
});
