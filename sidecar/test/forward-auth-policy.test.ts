/**
 * The policy contract loader: defaults, the plugin's leniency (case-insensitive keys, string
 * booleans/numbers, comma lists), errors that name the option, and the sidecar-derived policy.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { describe, expect, it } from 'vitest';

import { loadPolicy, loadPolicyFile } from '../src/policy/load.js';
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
  it('keys in any casing, string booleans and numbers, comma lists, JSON strings', () => {
    const p = loadPolicy({
      RESOURCE: RESOURCE,
      Issuers: JSON.stringify([{ ISSUER: ISS, JWKS: JSON.stringify({ keys: [keys.rsa.jwk] }), Algorithms: 'RS256, ES256', JwksRefreshSeconds: '120' }]),
      requiredscopes: 'mcp:tools, mcp:read ,',
      ALLOWEDEMAILS: 'A@B.C,@Corp.Example',
      StripAuthorization: 'FALSE',
      allowQueryToken: 'True',
      clockSkewSeconds: '0',
      maxTokenBytes: ' 4096 ',
      logLevel: '2',
      forwardHeaders: '{"EMAIL":"X-Email"}',
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

  it('a single issuer object, or lists given as {"0": ..., "1": ...}', () => {
    expect(loadPolicy({ resource: RESOURCE, issuers: issuer }).issuers).toHaveLength(1);
    const p = loadPolicy({ resource: RESOURCE, issuers: { 0: issuer, 1: { ...issuer, issuer: 'https://b.example' } }, requiredScopes: { 0: 'a', 1: 'b' } });
    expect(p.issuers.map((i) => i.issuer)).toEqual([ISS, 'https://b.example']);
    expect(p.requiredScopes).toEqual(['a', 'b']);
  });

  it('typ is normalised: case-insensitive, application/ prefix dropped', () => {
    expect(loadPolicy({ resource: RESOURCE, issuers: [{ ...issuer, type: 'application/AT+JWT' }] }).issuers[0].type).toBe('at+jwt');
  });
});

describe('errors name the option', () => {
  it.each([
    [{ issuers: [issuer] }, 'resource'],
    [{ resource: 'ftp://x/y', issuers: [issuer] }, 'resource'],
    [{ resource: 'https://x/y#frag', issuers: [issuer] }, 'resource'],
    [{ resource: 'not a url', issuers: [issuer] }, 'resource'],
    [{ resource: RESOURCE }, 'issuers'],
    [{ resource: RESOURCE, issuers: [] }, 'issuers'],
    [{ resource: RESOURCE, issuers: 'not json' }, 'issuers'],
    [{ resource: RESOURCE, issuers: [{ jwks: issuer.jwks }] }, 'issuers[0].issuer'],
    [{ resource: RESOURCE, issuers: [{ issuer: ISS }] }, 'issuers[0]'],
    [{ resource: RESOURCE, issuers: [issuer, issuer] }, 'issuers[1].issuer'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, algorithms: ['RS256', 'HS256'] }] }, 'issuers[0].algorithms[1]'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, algorithms: ['none'] }] }, 'issuers[0].algorithms[0]'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, algorithms: [] }] }, 'issuers[0].algorithms'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, audiences: '' }] }, 'issuers[0].audiences'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksRefreshSeconds: 0 }] }, 'issuers[0].jwksRefreshSeconds'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksRefreshSeconds: '1.5' }] }, 'issuers[0].jwksRefreshSeconds'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwks: { keys: [] } }] }, 'issuers[0].jwks'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwks: '{"keys":' }] }, 'issuers[0].jwks'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksFile: '' }] }, 'issuers[0].jwksFile'],
    [{ resource: RESOURCE, issuers: [{ ...issuer, jwksUri: 'https://x' }] }, 'issuers[0].jwksUri'],
    [{ ...minimal, clockSkewSeconds: 601 }, 'clockSkewSeconds'],
    [{ ...minimal, clockSkewSeconds: -1 }, 'clockSkewSeconds'],
    [{ ...minimal, maxTokenBytes: 255 }, 'maxTokenBytes'],
    [{ ...minimal, maxTokenBytes: 65537 }, 'maxTokenBytes'],
    [{ ...minimal, maxTokenBytes: '8k' }, 'maxTokenBytes'],
    [{ ...minimal, logLevel: 3 }, 'logLevel'],
    [{ ...minimal, allowQueryToken: 'yes' }, 'allowQueryToken'],
    [{ ...minimal, stripAuthorization: 1 }, 'stripAuthorization'],
    [{ ...minimal, requiredScopes: ['mcp:tools', 'bad"scope'] }, 'requiredScopes[1]'],
    [{ ...minimal, requiredScopes: [5] }, 'requiredScopes[0]'],
    [{ ...minimal, publicPaths: ['/ok', '/a/../b'] }, 'publicPaths[1]'],
    [{ ...minimal, protectedPaths: ['mcp'] }, 'protectedPaths[0]'],
    [{ ...minimal, publicPaths: ['/a%2fb'] }, 'publicPaths[0]'],
    [{ ...minimal, forwardHeaders: { user: 'X User' } }, 'forwardHeaders.user'],
    [{ ...minimal, forwardHeaders: { email: 'Authorization' } }, 'forwardHeaders.email'],
    [{ ...minimal, forwardHeaders: { email: 'X-Forwarded-User' } }, 'forwardHeaders.email'],
    [{ ...minimal, forwardHeaders: { groups: 'X-Groups' } }, 'forwardHeaders.groups'],
    [{ ...minimal, loginRedirect: '/login' }, 'loginRedirect'],
    [{ ...minimal, authorizationServers: ['https://ok', 'javascript:alert(1)'] }, 'authorizationServers[1]'],
    [{ ...minimal, requiredScope: 'mcp:tools' }, 'requiredScope'],
    [{ ...minimal, Resource: RESOURCE }, 'Resource'],
  ])('%j -> %s', (raw, option) => {
    const err = optionError(raw);
    expect(err.option).toBe(option);
    expect(err.message).toContain(option);
  });

  it('keys that are unusable or private are refused, naming the key', () => {
    const weak = makeKey('RS256', 'weak', { modulusLength: 1024 });
    const withD = { ...keys.ec.jwk, d: 'AAAA' };
    expect(optionError({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [keys.rsa.jwk, weak.jwk] } }] }).option).toBe('issuers[0].jwks.keys[1]');
    const priv = optionError({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [withD] } }] });
    expect(priv.message).toMatch(/private/);
    expect(priv.message).not.toContain('AAAA');
    expect(optionError({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }] }).option).toBe('issuers[0].jwks.keys[0]');
    expect(optionError({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [{ ...keys.rsa.jwk, alg: 'ES256' }] } }] }).option).toBe('issuers[0].jwks.keys[0]');
    expect(optionError({ resource: RESOURCE, issuers: [{ issuer: ISS, jwks: { keys: [{ ...keys.rsa.jwk, use: 'enc' }] } }] }).option).toBe('issuers[0].jwks.keys[0]');
  });

  it('a policy that is not an object', () => {
    expect(optionError([minimal]).option).toBe('(policy)');
    expect(optionError(null).option).toBe('(policy)');
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
    expect((await check(token(), p)).status).toBe(200);
    expect((await check(token({ aud: 'https://mcp.example.com/sse' }, { key: keys.ec }), p)).status).toBe(200);
    expect((await check(token({ email: 'mallory@example.com' }), p)).status).toBe(403);
  });

  it('a jwksFile instead of inline keys, and errors naming the derived option', () => {
    expect(policyFromSidecarConfig({ issuer: ISS, resources: [RESOURCE], jwksFile: '/keys/jwks.json' }).issuers[0].jwksFile).toBe('/keys/jwks.json');
    expect(() => policyFromSidecarConfig({ issuer: ISS, resources: [RESOURCE], jwks: issuer.jwks, allowedEmails: ['not an email'] })).toThrow(/allowedEmails\[0\]/);
    expect(() => policyFromSidecarConfig({ issuer: ISS, resources: [], jwks: issuer.jwks })).toThrow(/resource/);
  });
});
