/**
 * The policy contract loader: defaults, the plugin's leniency (case-insensitive keys, string
 * booleans/numbers, comma lists, index-keyed objects), the plugin's error messages naming the
 * option, and the sidecar-derived policy. sidecar/test/parity-plugin.test.ts feeds the same
 * documents to the plugin and compares.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadPolicy, loadPolicyFile, loadPolicyTree, parsePolicyText } from '../src/policy/load.js';
import { importVerifyKeys } from '../src/policy/verify-keys.js';
import { policyFromSidecarConfig } from '../src/policy/from-sidecar-config.js';
import { PolicyConfigError } from '../src/policy/errors.js';
import { ISS, PRM, RESOURCE, check, keys, token } from './lib/fa-fixture.js';
import { makeKey } from './lib/tokens.js';

const issuer = { issuer: ISS, jwks: { keys: [keys.rsa.jwk] } };
const minimal = { resource: RESOURCE, issuers: [issuer] };

function optionError(raw: unknown): PolicyConfigError {
  try {
    loadPolicy(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyConfigError);
    return err as PolicyConfigError;
  }
  throw new Error('expected loadPolicy to throw');
}

describe('defaults', () => {
  it('match the contract table', () => {
    const p = loadPolicy(minimal);
    expect(p).toEqual({
      issuers: [{ issuer: ISS, audiences: [RESOURCE], algorithms: ['RS256', 'ES256', 'EdDSA'], type: 'at+jwt', jwks: { keys: [keys.rsa.jwk] }, jwksRefreshSeconds: 30 }],
      resource: RESOURCE,
      authorizationServers: [ISS],
      scopesSupported: [],
      protectedPaths: ['/'],
      publicPaths: [],
      requiredScopes: [],
      allowedEmails: [],
      requireEmailVerified: false,
      forwardHeaders: { user: 'X-Forwarded-User' },
      stripAuthorization: true,
      clockSkewSeconds: 60,
      maxTokenBytes: 8192,
      allowQueryToken: false,
      logLevel: 1,
      resourceMetadataUrl: PRM,
      resourceMetadataPath: '/.well-known/oauth-protected-resource/mcp',
    });
  });

  it('scopesSupported defaults to requiredScopes; requireEmailVerified to true with an allowlist', () => {
    const p = loadPolicy({ ...minimal, requiredScopes: ['mcp:tools'], allowedEmails: ['a@b.c'] });
    expect(p.scopesSupported).toEqual(['mcp:tools']);
    expect(p.requireEmailVerified).toBe(true);
  });

  it('forwardHeaders keeps user unless switched off with ""', () => {
    expect(loadPolicy({ ...minimal, forwardHeaders: { email: 'X-Email' } }).forwardHeaders).toEqual({ user: 'X-Forwarded-User', email: 'X-Email' });
    expect(loadPolicy({ ...minimal, forwardHeaders: { user: '', subject: 'X-Sub' } }).forwardHeaders).toEqual({ subject: 'X-Sub' });
  });
});

describe('leniency (Traefik label providers make everything a string)', () => {
  it('keys in any casing, string booleans and numbers, comma lists, a JWKS as JSON text', () => {
    const p = loadPolicy({
      RESOURCE: RESOURCE,
      Issuers: [{ ISSUER: ISS, JWKS: JSON.stringify({ keys: [keys.rsa.jwk] }), Algorithms: 'RS256, ES256', JwksRefreshSeconds: '120' }],
      requiredscopes: 'mcp:tools, mcp:read ,',
      ALLOWEDEMAILS: 'A@B.C,@Corp.Example',
      StripAuthorization: 'FALSE',
      allowQueryToken: 'True',
      clockSkewSeconds: '0',
      maxTokenBytes: ' 4096 ',
      logLevel: '2',
      forwardHeaders: { EMAIL: ' X-Email ' },
      publicPaths: '/health,/.well-known/oauth-protected-resource',
    });
    expect(p).toMatchObject({
      issuers: [{ issuer: ISS, algorithms: ['RS256', 'ES256'], jwksRefreshSeconds: 120 }],
      requiredScopes: ['mcp:tools', 'mcp:read'],
      allowedEmails: ['a@b.c', '@corp.example'],
      stripAuthorization: false,
      allowQueryToken: true,
      clockSkewSeconds: 0,
      maxTokenBytes: 4096,
      logLevel: 2,
      forwardHeaders: { user: 'X-Forwarded-User', email: 'X-Email' },
      publicPaths: ['/health', '/.well-known/oauth-protected-resource'],
    });
  });

  it('lists given as {"0": ..., "1": ...} (label providers), in numeric order', () => {
    const p = loadPolicy({ resource: RESOURCE, issuers: { 0: issuer, 1: { ...issuer, issuer: 'https://b.example' } }, requiredScopes: { 0: 'a', 1: 'b' } });
    expect(p.issuers.map((i) => i.issuer)).toEqual([ISS, 'https://b.example']);
    expect(p.requiredScopes).toEqual(['a', 'b']);
    // Go's json.Marshal writes map keys as sorted text ("10" before "2"): the numbers decide
    const text = `{"resource":"${RESOURCE}","issuers":[${JSON.stringify(issuer)}],"requiredScopes":{"0":"a","1":"b","10":"k","2":"c"}}`;
    expect(loadPolicyTree(parsePolicyText(text)).requiredScopes).toEqual(['a', 'b', 'c', 'k']);
  });

  it('a single issuer object or issuers as JSON text are not a list (as in the plugin)', () => {
    for (const issuers of [issuer, JSON.stringify([issuer])]) {
      expect(() => loadPolicy({ resource: RESOURCE, issuers })).toThrow('option "issuers": must be a list of issuer objects');
    }
  });

  it('an empty jwksFile counts as absent; several identity fields may share a header', () => {
    expect(loadPolicy({ resource: RESOURCE, issuers: [{ ...issuer, jwksFile: '' }] }).issuers[0]!.jwksFile).toBeUndefined();
    expect(loadPolicy({ ...minimal, forwardHeaders: { email: 'X-Forwarded-User' } }).forwardHeaders).toEqual({ user: 'X-Forwarded-User', email: 'X-Forwarded-User' });
  });

  it('policy files are strict JSON: duplicate members, a BOM, invalid UTF-8 are refused', () => {
    for (const [text, message] of [
      ['{"resource":"x","resource":"y"}', 'options are not valid JSON: duplicate member "resource" at 16'],
      ['\ufeff{}', 'options are not valid JSON: byte order mark at 0'],
      ['', 'no options given: "issuers" and "resource" are required'],
      ['null', 'no options given: "issuers" and "resource" are required'],
      ['[]', 'options must be an object'],
    ] as const) {
      expect(() => loadPolicyTree(parsePolicyText(text))).toThrow(message);
    }
    expect(() => loadPolicyTree(parsePolicyText(Buffer.from([0x7b, 0xff, 0x7d])))).toThrow('options are not valid JSON: invalid UTF-8 at 1');
  });

  it('typ is normalised: case-insensitive, application/ prefix dropped', () => {
    expect(loadPolicy({ resource: RESOURCE, issuers: [{ ...issuer, type: 'application/AT+JWT' }] }).issuers[0].type).toBe('at+jwt');
  });
});

describe('errors name the option, in the plugin\'s words', () => {
  it.each([
    [{ issuers: [issuer] }, 'resource'],
    [{ resource: 'ftp://x/y', issuers: [issuer] }, 'resource'],
    [{ resource: 'https://x/y#frag', issuers: [issuer] }, 'resource'],
    [{ resource: 'not a url', issuers: [issuer] }, 'resource'],
    [{ resource: RESOURCE }, 'issuers'],
    [{ resource: RESOURCE, issuers: [] }, 'issuers'],
    [{ resource: RESOURCE, issuers: 'not json' }, 'issuers'],
    [{ resource: RESOURCE, issuers: [{ jwks: issuer.jwks }] }, 'issuers[0].issuer'],
    [{ resource: RESOURCE, issuers: [{ issuer: ISS }] }, 'issuers[0].jwks'],
    [{ resource: RESOURCE, issuers: [7] }, 'issuers[0]'],
    [{ resource: RESOURCE, issuers: [issuer, issuer] }, 'issuers'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, algorithms: ['RS256', 'HS256'] }] }, 'issuers[0].algorithms'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, algorithms: ['none'] }] }, 'issuers[0].algorithms'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, algorithms: [] }] }, 'issuers[0].algorithms'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, audiences: '' }] }, 'issuers[0].audiences'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksRefreshSeconds: 0 }] }, 'issuers[0].jwksRefreshSeconds'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksRefreshSeconds: '1.5' }] }, 'issuers[0].jwksRefreshSeconds'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwks: { keys: [] } }] }, 'issuers[0].jwks'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwks: '{"keys":' }] }, 'issuers[0].jwks'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksFile: 'relative/jwks.json' }] }, 'issuers[0].jwksFile'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksUri: 'https://x' }] }, 'issuers[0].jwksUri'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, Issuer: ISS }] }, 'issuers[0].Issuer'],
    [{ ...minimal, clockSkewSeconds: 601 }, 'clockSkewSeconds'],
    [{ ...minimal, clockSkewSeconds: -1 }, 'clockSkewSeconds'],
    [{ ...minimal, maxTokenBytes: 255 }, 'maxTokenBytes'],
    [{ ...minimal, maxTokenBytes: 65537 }, 'maxTokenBytes'],
    [{ ...minimal, maxTokenBytes: '8k' }, 'maxTokenBytes'],
    [{ ...minimal, logLevel: 3 }, 'logLevel'],
    [{ ...minimal, allowQueryToken: 'yes' }, 'allowQueryToken'],
    [{ ...minimal, stripAuthorization: 1 }, 'stripAuthorization'],
    [{ ...minimal, requiredScopes: ['mcp:tools', 'bad"scope'] }, 'requiredScopes'],
    [{ ...minimal, requiredScopes: [5] }, 'requiredScopes'],
    [{ ...minimal, requiredScopes: '' }, 'requiredScopes'],
    [{ ...minimal, publicPaths: ['/ok', '/a/../b'] }, 'publicPaths'],
    [{ ...minimal, protectedPaths: ['mcp'] }, 'protectedPaths'],
    [{ ...minimal, protectedPaths: [] }, 'protectedPaths'],
    [{ ...minimal, publicPaths: ['/a%2fb'] }, 'publicPaths'],
    [{ ...minimal, forwardHeaders: { user: 'X User' } }, 'forwardHeaders.user'],
    [{ ...minimal, forwardHeaders: { user: 'X_User' } }, 'forwardHeaders.user'],
    [{ ...minimal, forwardHeaders: { email: 'Authorization' } }, 'forwardHeaders.email'],
    [{ ...minimal, forwardHeaders: { groups: 'X-Groups' } }, 'forwardHeaders.groups'],
    [{ ...minimal, forwardHeaders: '{"email":"X-Email"}' }, 'forwardHeaders'],
    [{ ...minimal, loginRedirect: '/login' }, 'loginRedirect'],
    [{ ...minimal, authorizationServers: ['https://ok', 'javascript:alert(1)'] }, 'authorizationServers'],
    [{ ...minimal, requiredScope: 'mcp:tools' }, 'requiredScope'],
    [{ ...minimal, ['maxTo\u212AenBytes']: 300 }, 'maxTo\u212AenBytes'],
    [{ ...minimal, Resource: RESOURCE }, 'Resource'],
  ])('%j -> %s', (raw, option) => {
    const err = optionError(raw);
    expect(err.option).toBe(option);
    expect(err.message).toMatch(new RegExp(`^option "${option.replace(/[[\]]/g, '\\$&')}": `));
  });

  it('messages say what is wrong', () => {
    expect(optionError({ ...minimal, Resource: RESOURCE }).message).toBe('option "Resource": given twice with different casing');
    expect(optionError({ ...minimal, requiredScope: 'x' }).message).toBe('option "requiredScope": unknown option');
    expect(optionError({ resource: RESOURCE, issuers: [{ ...issuer, algorithms: 'RS256,HS256' }] }).message).toBe('option "issuers[0].algorithms": unsupported algorithm "HS256" (supported: RS256, ES256, EdDSA)');
    expect(optionError({ ...minimal, maxTokenBytes: '8k' }).message).toBe('option "maxTokenBytes": must be a whole number from 256 to 65536');
    expect(optionError({ ...minimal, requiredScopes: ' , ' }).message).toBe('option "requiredScopes": is empty; remove the option to require no scope');
  });

  it('unusable keys are skipped; a set without one usable key is refused', () => {
    const weak = makeKey('RS256', 'weak', { modulusLength: 1024 });
    const mixed = loadPolicy({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [keys.rsa.jwk, weak.jwk] } }] });
    const imported = importVerifyKeys(mixed.issuers[0]!.jwks);
    expect(imported.keys.map((k) => k.kid)).toEqual(['rsa-1']);
    expect(imported.problems).toEqual(['key 1 (kid "weak"): RSA key refused (modulus must be 2048-4096 bits, e = 65537)']);
    for (const bad of [weak.jwk, { kty: 'oct', k: 'c2VjcmV0' }, { ...keys.rsa.jwk, alg: 'ES256' }, { ...keys.rsa.jwk, use: 'enc' }, { ...keys.ec.jwk, x: keys.ec.jwk.y }]) {
      const err = optionError({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [bad] } }] });
      expect(err.message).toBe('option "issuers[0].jwks": JWKS has no usable signature keys');
    }
    // two keys with one kid: neither is used
    expect(optionError({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [keys.rsa.jwk, { ...keys.ec.jwk, kid: 'rsa-1' }] } }] }).option).toBe('issuers[0].jwks');
  });

  it('a JWK with private members is used for its public part only, with a warning that does not repeat them', () => {
    const withD = { ...keys.ec.jwk, d: 'AAAAsecret' };
    const p = loadPolicy({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [withD] } }] });
    const imported = importVerifyKeys(p.issuers[0]!.jwks);
    expect(imported.keys).toHaveLength(1);
    expect(imported.problems.join()).toMatch(/private key members \(d\)/);
    expect(imported.problems.join()).not.toContain('AAAAsecret');
  });

  it('a policy that is not an object', () => {
    expect(optionError([minimal])).toMatchObject({ option: '(policy)', message: 'options must be an object' });
    expect(optionError(null)).toMatchObject({ option: '(policy)', message: 'no options given: "issuers" and "resource" are required' });
  });
});

describe('policy files', () => {
  it('loads JSON and names the file when it is unreadable or not JSON', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'mcpauth-policy-'));
    try {
      const file = path.join(dir, 'policy.json');
      await writeFile(file, JSON.stringify({ ...minimal, requiredScopes: 'mcp:tools' }));
      expect((await loadPolicyFile(file)).requiredScopes).toEqual(['mcp:tools']);
      await writeFile(file, '{ nope');
      await expect(loadPolicyFile(file)).rejects.toThrow(file);
      await expect(loadPolicyFile(path.join(dir, 'missing.json'))).rejects.toThrow(path.join(dir, 'missing.json'));
      await writeFile(file, JSON.stringify({ ...minimal, clockSkewSeconds: 9999 }));
      await expect(loadPolicyFile(file)).rejects.toMatchObject({ option: 'clockSkewSeconds' });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('policyFromSidecarConfig (the old env vars)', () => {
  it('derives the same checks the plugin would apply to sidecar-minted tokens', async () => {
    const p = policyFromSidecarConfig({
      issuer: ISS,
      resources: [RESOURCE, 'https://mcp.example.com/sse'],
      requiredScopes: ['mcp:tools'],
      allowedEmails: ['Alice@Example.com'],
      jwks: { keys: [keys.rsa.jwk, keys.ec.jwk] },
      protectedPaths: ['/sse'],
    });
    expect(p).toMatchObject({
      resource: RESOURCE,
      issuers: [{ issuer: ISS, audiences: [RESOURCE, 'https://mcp.example.com/sse'], type: 'at+jwt' }],
      requiredScopes: ['mcp:tools'],
      allowedEmails: ['alice@example.com'],
      requireEmailVerified: true,
      protectedPaths: ['/sse'],
      resourceMetadataUrl: PRM,
    });
    expect(check(token(), p).status).toBe(200);
    expect(check(token({ aud: 'https://mcp.example.com/sse' }, { key: keys.ec }), p).status).toBe(200);
    expect(check(token({ email: 'mallory@example.com' }), p).status).toBe(403);
  });

  it('a jwksFile instead of inline keys, and errors naming the derived option', () => {
    expect(policyFromSidecarConfig({ issuer: ISS, resources: [RESOURCE], jwksFile: '/keys/jwks.json' }).issuers[0].jwksFile).toBe('/keys/jwks.json');
    expect(() => policyFromSidecarConfig({ issuer: ISS, resources: [RESOURCE], jwks: issuer.jwks, allowedEmails: ['not an email'] })).toThrow(/option "allowedEmails"/);
    // no scopes and no allowlist configured: the options are left out, not given empty
    expect(policyFromSidecarConfig({ issuer: ISS, resources: [RESOURCE], jwks: issuer.jwks, requiredScopes: [], allowedEmails: [] })).toMatchObject({ requiredScopes: [], allowedEmails: [] });
    expect(() => policyFromSidecarConfig({ issuer: ISS, resources: [], jwks: issuer.jwks })).toThrow(/resource/);
  });
});
