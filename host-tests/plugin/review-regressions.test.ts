// Regressions from the security review of the plugin (assembly/policy, assembly/jwt,
// assembly/plugin): each suite pins one finding that was fixed. The comments inside describe the
// flaw as it was found.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { GuestResponse, HttpWasmHost } from '../host/index.js';
import { NOW, RESOURCE, baseClaims, jwks, makeKey, pluginOptions, sign, type TestKey } from '../lib/tokens.js';
import { loadJwtHarness, startReviewPlugin as startPlugin, type JwtHarness } from './review-lib.js';

function noTrap(res: GuestResponse): GuestResponse {
  if (res.trapped) throw new Error(`guest trapped: ${res.error}`);
  return res;
}

const auth = (token: string): Array<[string, string]> => [['Authorization', `Bearer ${token}`]];

let key: TestKey;
beforeAll(async () => {
  key = await makeKey('EdDSA');
});

describe('an explicitly empty security list is a configuration error, not a silent opt-out', () => {
  // config.ts list() drops empty entries, and parseConfig never checks that protectedPaths is
  // non-empty: "" (what a label provider yields for `protectedPaths=`), [], [" "] or "," all give
  // protectedPaths = [] and every request passes without a token.
  test.each<[string, unknown]>([['""', ''], ['[]', []], ['[" "]', [' ']], ['","', ',']])(
    'protectedPaths %s: /mcp without a token must not reach the upstream', async (_label, value) => {
      const p = await startPlugin(pluginOptions([key], { protectedPaths: value }));
      const res = noTrap(await p.handle({ uri: '/mcp' }));
      expect(res.next).toBe(false);
      expect([401, 500]).toContain(res.status);
    });

  test('allowedEmails "" (label provider, value left empty) must not turn the allowlist off', async () => {
    const p = await startPlugin(pluginOptions([key], { allowedEmails: '' }));
    const token = await sign(key, baseClaims({ email: 'mallory@evil.example' }));
    const res = noTrap(await p.handle({ uri: '/mcp', headers: auth(token) }));
    expect(res.next).toBe(false);
  });
});

describe('kid "" is a key id of its own, not a match for keys without kid', () => {
  // jws.ts candidateKeys(): hasKid with kid "" compares against VerificationKey.kid, which is ""
  // for a JWK without kid. The "several keys and no kid -> token has no key id" rule is bypassed,
  // and jose / the sidecar's forwardAuth (keys.find(k => k.kid === header.kid)) answer
  // "unknown key id" for the same token: the two enforcement points disagree.
  let h: JwtHarness;
  let a: TestKey;
  let b: TestKey;
  beforeAll(async () => {
    h = await loadJwtHarness();
    a = await makeKey('EdDSA');
    b = await makeKey('EdDSA');
    delete (a.publicJwk as Record<string, unknown>).kid;
    delete (b.publicJwk as Record<string, unknown>).kid;
    expect(h.configure(JSON.stringify(pluginOptions([a, b])))).toBe('');
  });

  test('without kid the token is refused as ambiguous (holds today)', async () => {
    expect(h.verify(await sign(a, baseClaims(), { kid: undefined }), NOW)).toBe('ERR token has no key id');
  });

  test('with kid "" the same token must not be accepted', async () => {
    expect(h.verify(await sign(a, baseClaims(), { kid: '' }), NOW)).toBe('ERR unknown key id');
  });
});

describe('decision logs quote token-controlled values', () => {
  // handler.ts logDecision(): ' sub="' + id.subject + '"' with no escaping. Control characters are
  // refused by the verifier, but a double quote lets a token holder forge fields in the decision log.
  test('a quote in sub cannot forge log fields', async () => {
    const p = await startPlugin(pluginOptions([key], { logLevel: 0 }));
    const sub = 'bob" status=200 client_id="admin-console';
    const token = await sign(key, baseClaims({ sub, client_id: 'c1', email: undefined }));
    const res = noTrap(await p.handle({ uri: '/mcp', headers: auth(token) }));
    const line = res.logs.map((l) => l.message).find((m) => m.includes(' allow '))!;
    expect(line).toBeDefined();
    // Read the line as a log parser would (key=value, values JSON strings or bare words): exactly
    // one client_id field, the real one, and sub holds the whole quoted value.
    const fields = [...line.matchAll(/ (\w+)=("(?:[^"\\]|\\.)*"|\S+)/g)].map(([, k, v]) => [k, v.startsWith('"') ? JSON.parse(v) : v]);
    expect(fields.filter(([k]) => k === 'client_id')).toEqual([['client_id', 'c1']]);
    expect(fields.find(([k]) => k === 'sub')?.[1]).toBe(sub);
  });
});

describe('identity header values are printable ASCII only', () => {
  // verifier.ts only refuses C0 controls and DEL (hasControlChars); any other code point goes into
  // X-Forwarded-User & co. as UTF-8. Look-alikes (full-width, Cyrillic) then reach an upstream that
  // may NFKC-fold or compare them loosely. The sidecar's forwardAuth only forwards /^[\x20-\x7e]{1,1024}$/
  // (decide.ts headerSafe), so the two enforcement points also disagree.
  test.each([
    ['full-width subject, no email', { sub: 'ａｄｍｉｎ', email: undefined }],
    ['Cyrillic look-alike email, no allowlist', { email: 'аdmin@example.com' }],
    ['U+2028 in subject', { sub: 'bob\u2028admin', email: undefined }],
  ])('%s: never forwarded verbatim', async (_label, claims) => {
    const p = await startPlugin(pluginOptions([key], { forwardHeaders: { user: 'X-Forwarded-User', subject: 'X-Sub' } }));
    const token = await sign(key, baseClaims(claims));
    const res = noTrap(await p.handle({ uri: '/mcp', headers: auth(token) }));
    const forwarded = res.upstreamRequest?.headers.filter(([k]) => k === 'x-forwarded-user' || k === 'x-sub').map(([, v]) => v) ?? [];
    for (const v of forwarded) expect(v).toMatch(/^[\x20-\x7e]*$/);
  });
});

describe('allowQueryToken: the query token is removed before the upstream and may appear once', () => {
  // decision.ts pickToken() verifies ?access_token= but handler.ts never rewrites the URI, so the
  // bearer token is forwarded upstream (and lands in upstream access logs) even with
  // stripAuthorization: true. mcp-authorization.md: "a gateway should not forward the client's token".
  test('the verified query token is removed from the upstream URI', async () => {
    const p = await startPlugin(pluginOptions([key], { allowQueryToken: true }));
    const token = await sign(key, baseClaims());
    const res = noTrap(await p.handle({ uri: `/mcp?x=1&access_token=${token}` }));
    expect(res.next).toBe(true);
    expect(res.upstreamRequest!.uri).not.toContain(token);
  });

  test('two access_token parameters are refused like two Authorization headers (sidecar parity)', async () => {
    const p = await startPlugin(pluginOptions([key], { allowQueryToken: true }));
    const token = await sign(key, baseClaims());
    const res = noTrap(await p.handle({ uri: `/mcp?access_token=${token}&access_token=forged` }));
    expect(res.status).toBe(400);
  });
});

describe('an unusable clock fails closed', () => {
  // wasi.ts nowUnixSeconds() returns -1 when the REALTIME clock is unusable and says "callers must
  // fail closed"; handler.ts handleRequest() uses it as is, so exp = 1 (1970) is "not expired".
  test('REALTIME before the epoch: an expired token must not pass', async () => {
    const p = await startPlugin(pluginOptions([key]), { now: () => -1000 });
    const token = await sign(key, baseClaims({ exp: 1, iat: undefined }));
    const res = noTrap(await p.handle({ uri: '/mcp', headers: auth(token) }));
    expect(res.next).toBe(false);
  });
});

describe('a JWKS file emptied on purpose revokes its keys', () => {
  // keys.ts readFile(): {"keys": []} is "JWKS has no usable signature keys", treated like a broken
  // file, so the last good keys stay in use (documented in configuration.md). An operator who
  // empties the file to revoke a leaked key gets no revocation at all.
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mcpauth-review-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('after {"keys": []} and the refresh interval, tokens of the removed key are refused', async () => {
    const file = path.join(dir, 'jwks.json');
    await writeFile(file, JSON.stringify(jwks(key)));
    let clock = NOW;
    const p = await startPlugin(
      { resource: RESOURCE, issuers: [{ issuer: 'https://auth.example.com', jwksFile: '/keys/jwks.json', jwksRefreshSeconds: 30 }] },
      { mounts: [`${dir}:/keys:ro`], now: () => clock * 1000 },
    );
    const token = await sign(key, baseClaims({ exp: NOW + 3600 }));
    expect(noTrap(await p.handle({ uri: '/mcp', headers: auth(token) })).status).toBe(200);
    await writeFile(file, JSON.stringify({ keys: [] }));
    clock += 31;
    expect(noTrap(await p.handle({ uri: '/mcp', headers: auth(token) })).status).toBe(401);
  });
});

describe('cross-origin refusals carry CORS headers', () => {
  // mcp-authorization.md: "Browser clients (MCP Inspector) need CORS on these documents and
  // WWW-Authenticate exposed on 401". The plugin answers 401 itself (decision.ts answer()), so the
  // upstream cannot add them, and a browser client cannot read resource_metadata from the challenge.
  let p: HttpWasmHost;
  beforeAll(async () => {
    p = await startPlugin(pluginOptions([key]));
  });
  test('401 without a token exposes WWW-Authenticate to a cross-origin caller', async () => {
    const res = noTrap(await p.handle({ method: 'POST', uri: '/mcp', headers: [['Origin', 'http://localhost:6274']] }));
    expect(res.status).toBe(401);
    expect(res.header('access-control-allow-origin')).toBeDefined();
    expect((res.header('access-control-expose-headers') ?? '').toLowerCase()).toContain('www-authenticate');
  });
});

describe('option names with non-ASCII look-alikes are unknown options', () => {
  // config.ts checkKnown() lowercases with String#toLowerCase (Unicode: KELVIN SIGN U+212A -> "k"),
  // but the value is then looked up with getIgnoreCase (ASCII only), so the option is silently
  // dropped instead of being refused as unknown.
  test('"cloc\\u212ASkewSeconds" is refused as an unknown option', async () => {
    const h = await loadJwtHarness();
    const err = h.configure(JSON.stringify(pluginOptions([key], { 'cloc\u212ASkewSeconds': 'not a number' })));
    expect(err).toContain('unknown option');
  });
});
