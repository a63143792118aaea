/**
 * Security checklist, "Token verification", for the forwardAuth verifier: one test (or table)
 * per row. Every hostile token must get 401 invalid_token with the plugin's fixed reason
 * (docs/policy-contract.md); sidecar/test/parity-plugin.test.ts compares them with the plugin.
 */
import { createHash } from 'node:crypto';

import { compactVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { loadPolicy } from '../src/policy/load.js';
import { REASON } from '../src/forward-auth/reasons.js';
import { importVerifyKey } from '../src/policy/verify-keys.js';
import { ISS, NOW, RESOURCE, basePolicyInput, bodyOf, check, claims, keys, makePolicy, token } from './lib/fa-fixture.js';
import { b64, hmacToken, makeKey, rawToken, signRaw } from './lib/tokens.js';

async function expect401(tok: string, reason: string, policy = makePolicy(), now = NOW) {
  const d = check(tok, policy, now);
  expect({ status: d.status, reason: d.reason, body: bodyOf(d) }).toEqual({
    status: 401,
    reason,
    body: { error: 'invalid_token', error_description: reason },
  });
  return d;
}

async function expectAllowed(tok: string, policy = makePolicy(), now = NOW) {
  const d = check(tok, policy, now);
  expect({ outcome: d.outcome, status: d.status, reason: d.reason }).toEqual({ outcome: 'allow', status: 200, reason: REASON.tokenValid });
  return d;
}

const parts = (t: string) => t.split('.') as [string, string, string];

describe('valid tokens pass', () => {
  it.each([['RS256', keys.rsa], ['ES256', keys.ec], ['EdDSA', keys.ed]] as const)('%s', async (_alg, key) => {
    const d = await expectAllowed(token({}, { key }));
    expect(d).toMatchObject({ identity: { subject: 'user-123', clientId: 'client-abc', issuer: ISS }, headers: { 'X-Forwarded-User': 'alice@example.com' } });
  });
});

describe('the algorithm comes from the trusted key entry, never from the token', () => {
  it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s (unsigned) is refused', async (alg) => {
    const input = `${b64(JSON.stringify({ alg, typ: 'at+jwt', kid: 'rsa-1' }))}.${b64(JSON.stringify(claims()))}`;
    // an empty signature segment is not a compact JWS at all
    await expect401(`${input}.`, REASON.malformedToken);
    await expect401(`${input}.${b64('x')}`, REASON.algorithmNotAllowed);
  });

  it('an empty or short signature with a real algorithm is refused', async () => {
    const [hh, pp] = parts(token());
    await expect401(`${hh}.${pp}.`, REASON.malformedToken);
    await expect401(`${hh}.${pp}.${b64('x')}`, REASON.signatureInvalid);
    const [eh, ep] = parts(token({}, { key: keys.ec }));
    await expect401(`${eh}.${ep}.`, REASON.malformedToken);
    await expect401(`${eh}.${ep}.${b64('x')}`, REASON.signatureInvalid);
  });

  it('HS256 signed with the public key (PEM, DER, JWK n, JWK JSON) is refused', async () => {
    const pub = keys.rsa.publicKey;
    const secrets = [
      pub.export({ format: 'pem', type: 'spki' }) as string,
      pub.export({ format: 'pem', type: 'pkcs1' }) as string,
      pub.export({ format: 'der', type: 'spki' }) as Buffer,
      keys.rsa.jwk.n as string,
      JSON.stringify(keys.rsa.jwk),
    ];
    for (const secret of secrets) {
      for (const alg of ['HS256', 'hs256', 'HS512']) {
        await expect401(hmacToken({ alg, typ: 'at+jwt', kid: 'rsa-1' }, claims(), secret), REASON.algorithmNotAllowed);
      }
    }
  });

  it('an algorithm outside the issuer\'s list is refused even with a valid signature', async () => {
    const esOnly = makePolicy({}, { algorithms: ['ES256'] });
    await expect401(token(), REASON.algorithmNotAllowed, esOnly);
    await expectAllowed(token({}, { key: keys.ec }), esOnly);
    for (const alg of ['RS384', 'RS512', 'PS256', 'ES384', 'Ed25519', 'rs256', '']) {
      await expect401(rawToken({ key: keys.rsa, header: { alg, typ: 'at+jwt', kid: 'rsa-1' }, payload: claims() }), REASON.algorithmNotAllowed);
    }
  });

  it('a key used with another algorithm than its own never verifies', async () => {
    // header says ES256 but names the RSA key; header says EdDSA but names the EC key
    await expect401(rawToken({ key: keys.ec, header: { alg: 'ES256', typ: 'at+jwt', kid: 'rsa-1' }, payload: claims() }), REASON.signatureInvalid);
    await expect401(rawToken({ key: keys.ed, header: { alg: 'EdDSA', typ: 'at+jwt', kid: 'ec-1' }, payload: claims() }), REASON.signatureInvalid);
  });

  it('a key without its own alg is still bound to the algorithm of its type', async () => {
    const loose = makeKey('RS256', 'loose', { omitAlg: true });
    const policy = loadPolicy(basePolicyInput({}, { jwks: { keys: [loose.jwk] } }));
    await expectAllowed(token({}, { key: loose }), policy);
    await expect401(rawToken({ key: keys.ec, header: { alg: 'ES256', typ: 'at+jwt', kid: 'loose' }, payload: claims() }), REASON.signatureInvalid, policy);
  });
});

describe('kid is a lookup key in the loaded set only', () => {
  it('an unknown kid is refused', async () => {
    const stranger = makeKey('RS256', 'stranger');
    await expect401(token({}, { key: stranger }), REASON.unknownKeyId);
    await expect401(rawToken({ key: keys.rsa, header: { alg: 'RS256', typ: 'at+jwt', kid: 'RSA-1' }, payload: claims() }), REASON.unknownKeyId);
  });

  it('a non-string kid is a malformed header', async () => {
    await expect401(rawToken({ key: keys.rsa, header: { alg: 'RS256', typ: 'at+jwt', kid: 1 }, payload: claims() }), REASON.malformedHeader);
  });

  it('without kid, several keys of the algorithm are ambiguous; none is an unknown key', async () => {
    const second = makeKey('RS256', 'rsa-2');
    const policy = makePolicy({}, { jwks: { keys: [keys.rsa.jwk, second.jwk, keys.ec.jwk] } });
    await expect401(rawToken({ key: keys.rsa, header: { alg: 'RS256', typ: 'at+jwt' }, payload: claims() }), REASON.noKeyId, policy);
    await expect401(rawToken({ key: keys.ed, header: { alg: 'EdDSA', typ: 'at+jwt' }, payload: claims() }), REASON.unknownKeyId, policy);
  });

  it('"kid": "" is a kid: only a token with kid "" names that key', async () => {
    const blank = makeKey('EdDSA', '');
    const policy = makePolicy({}, { jwks: { keys: [keys.rsa.jwk, blank.jwk] } });
    await expectAllowed(rawToken({ key: blank, header: { alg: 'EdDSA', typ: 'at+jwt', kid: '' }, payload: claims() }), policy);
    // a key without any kid member is not named by kid ""
    const { kid: _drop, ...anonymous } = keys.ed.jwk;
    const anon = makePolicy({}, { jwks: { keys: [keys.rsa.jwk, anonymous] } });
    await expect401(rawToken({ key: keys.ed, header: { alg: 'EdDSA', typ: 'at+jwt', kid: '' }, payload: claims() }), REASON.unknownKeyId, anon);
    await expectAllowed(rawToken({ key: keys.ed, header: { alg: 'EdDSA', typ: 'at+jwt' }, payload: claims() }), anon);
  });

  it('without kid, only the issuer\'s keys of that algorithm are tried', async () => {
    await expectAllowed(rawToken({ key: keys.ec, header: { alg: 'ES256', typ: 'at+jwt' }, payload: claims() }));
    const stranger = makeKey('ES256', 'x');
    await expect401(rawToken({ key: stranger, header: { alg: 'ES256', typ: 'at+jwt' }, payload: claims() }), REASON.signatureInvalid);
  });

  describe('jku, x5u, jwk and x5c are never followed or trusted', () => {
    let fetchSpy: ReturnType<typeof vi.fn>;
    beforeEach(() => {
      fetchSpy = vi.fn(() => Promise.reject(new Error('no network in this test')));
      vi.stubGlobal('fetch', fetchSpy);
    });
    afterEach(() => vi.unstubAllGlobals());

    it('a token signed by an attacker key it embeds or points to is refused, without any fetch', async () => {
      const attacker = makeKey('RS256', 'attacker');
      const cert = 'MIIBszCCAVmgAwIBAgIU' + 'A'.repeat(40);
      const headers = [
        { jwk: attacker.jwk },
        { jku: 'https://evil.example/jwks.json' },
        { x5u: 'https://evil.example/cert.pem' },
        { x5c: [cert] },
        { jwk: attacker.jwk, jku: 'https://evil.example/jwks.json', x5u: 'https://evil.example/c', x5c: [cert] },
      ];
      for (const extra of headers) {
        // with the attacker's kid: not in our set
        await expect401(rawToken({ key: attacker, header: { alg: 'RS256', typ: 'at+jwt', kid: 'attacker', ...extra }, payload: claims() }), REASON.unknownKeyId);
        // with our kid, or none: our keys are used, so the attacker's signature fails
        await expect401(rawToken({ key: attacker, header: { alg: 'RS256', typ: 'at+jwt', kid: 'rsa-1', ...extra }, payload: claims() }), REASON.signatureInvalid);
        await expect401(rawToken({ key: attacker, header: { alg: 'RS256', typ: 'at+jwt', ...extra }, payload: claims() }), REASON.signatureInvalid);
      }
      expect(fetchSpy).not.toHaveBeenCalled();
    });

    it('the same members on a token our key really signed change nothing (they are just ignored)', async () => {
      await expectAllowed(rawToken({ key: keys.rsa, header: { alg: 'RS256', typ: 'at+jwt', kid: 'rsa-1', jku: 'https://evil.example/jwks.json' }, payload: claims() }));
      expect(fetchSpy).not.toHaveBeenCalled();
    });
  });
});

describe('crit and b64: no extension is implemented', () => {
  it.each([
    [{ crit: ['exp'], exp: 1 }],
    [{ crit: [] }],
    [{ crit: null }],
    [{ crit: ['b64'], b64: false }],
    [{ b64: false }],
    [{ b64: true }],
    [{ crit: 'b64', b64: true }],
    [{ b64: 'false' }],
  ])('%j on a validly signed token is refused', async (extra) => {
    await expect401(rawToken({ key: keys.rsa, header: { alg: 'RS256', typ: 'at+jwt', kid: 'rsa-1', ...extra }, payload: claims() }), REASON.unsupportedCritical);
  });
});

describe('token type per issuer (RFC 9068 at+jwt)', () => {
  const withTyp = (typ: unknown) => rawToken({ key: keys.rsa, header: { alg: 'RS256', kid: 'rsa-1', ...(typ === undefined ? {} : { typ }) }, payload: claims() });

  it('at+jwt in any casing, with or without application/, is accepted', async () => {
    for (const typ of ['at+jwt', 'AT+JWT', 'application/at+jwt', 'Application/At+Jwt']) await expectAllowed(withTyp(typ));
  });

  it('an ID token (typ JWT, aud = client id) never passes as an access token', async () => {
    const idToken = rawToken({ key: keys.rsa, header: { alg: 'RS256', typ: 'JWT', kid: 'rsa-1' }, payload: claims({ aud: 'client-abc', nonce: 'n' }) });
    await expect401(idToken, REASON.typeNotAccepted);
    // even if its audience were acceptable, the type alone refuses it
    await expect401(withTyp('JWT'), REASON.typeNotAccepted);
  });

  it.each([undefined, 'jwt', 'at+jwt ', 'application/jwt', 'at+JWT+x', 'secevent+jwt'])('typ %j is refused', async (typ) => {
    await expect401(withTyp(typ), REASON.typeNotAccepted);
  });

  it('a non-string typ is a malformed header', async () => {
    await expect401(withTyp(['at+jwt']), REASON.malformedHeader);
  });

  it('typ is judged only on a verified token: a forged one reports the signature', async () => {
    const [hh, pp] = parts(withTyp('JWT'));
    await expect401(`${hh}.${pp}.${parts(token())[2]}`, REASON.signatureInvalid);
  });

  it('an issuer configured with type JWT accepts ID-token-shaped tokens and refuses at+jwt', async () => {
    const policy = makePolicy({}, { type: 'JWT' });
    await expectAllowed(withTyp('JWT'), policy);
    await expect401(withTyp('at+jwt'), REASON.typeNotAccepted, policy);
  });

  it('type "" switches the check off (issuers whose tokens carry no usable typ)', async () => {
    const policy = makePolicy({}, { type: '' });
    for (const typ of [undefined, 'JWT', '', 'at+jwt', 'anything']) await expectAllowed(withTyp(typ), policy);
    await expect401(withTyp(5), REASON.malformedHeader, policy);
  });
});

describe('ES256 signatures are raw r||s', () => {
  const P256_N = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
  const esToken = () => token({}, { key: keys.ec });

  it('a DER-encoded signature of the right data is refused', async () => {
    const [hh, pp] = parts(esToken());
    const der = signRaw('ES256', keys.ec.privateKey, `${hh}.${pp}`, { der: true });
    expect(der.length).toBeGreaterThan(64);
    await expect401(`${hh}.${pp}.${b64(der)}`, REASON.signatureInvalid);
  });

  it('r or s equal to 0 or >= n is refused', async () => {
    const [hh, pp, ss] = parts(esToken());
    const sig = Buffer.from(ss, 'base64url');
    const r = sig.subarray(0, 32);
    const s = sig.subarray(32);
    const zero = Buffer.alloc(32);
    const nPlus = (k: number) => {
      const v = BigInt(`0x${P256_N.toString('hex')}`) + BigInt(k);
      return Buffer.from(v.toString(16).padStart(64, '0'), 'hex');
    };
    // r + n and s + n still fit in 32 bytes only when small; use n itself and n + small
    for (const forged of [
      Buffer.concat([zero, s]),
      Buffer.concat([r, zero]),
      Buffer.concat([zero, zero]),
      Buffer.concat([P256_N, s]),
      Buffer.concat([r, P256_N]),
      Buffer.concat([nPlus(1), s]),
    ]) {
      await expect401(`${hh}.${pp}.${b64(forged)}`, REASON.signatureInvalid);
    }
  });

  it('a 63- or 65-byte signature is refused', async () => {
    const [hh, pp, ss] = parts(esToken());
    const sig = Buffer.from(ss, 'base64url');
    await expect401(`${hh}.${pp}.${b64(sig.subarray(1))}`, REASON.signatureInvalid);
    await expect401(`${hh}.${pp}.${b64(Buffer.concat([Buffer.alloc(1), sig]))}`, REASON.signatureInvalid);
  });
});

describe('RSA keys and signatures', () => {
  it('a 1024-bit RSA key is never used: alone it makes the key set unusable, mixed in it is skipped', async () => {
    const weak = makeKey('RS256', 'weak', { modulusLength: 1024 });
    expect(importVerifyKey(weak.jwk)).toMatchObject({ ok: false, problem: expect.stringMatching(/2048-4096 bits/) });
    expect(() => loadPolicy(basePolicyInput({}, { jwks: { keys: [weak.jwk] } }))).toThrow('option "issuers[0].jwks": JWKS has no usable signature keys');
    const mixed = loadPolicy(basePolicyInput({}, { jwks: { keys: [keys.rsa.jwk, weak.jwk] } }));
    await expect401(token({}, { key: weak }), REASON.unknownKeyId, mixed);
    await expectAllowed(token(), mixed);
  });

  it('an exponent other than 65537 is refused', async () => {
    const e3 = makeKey('RS256', 'e3', { publicExponent: 3 });
    expect(importVerifyKey(e3.jwk)).toMatchObject({ ok: false, problem: expect.stringMatching(/e = 65537/) });
    expect(() => loadPolicy(basePolicyInput({}, { jwks: { keys: [e3.jwk] } }))).toThrow(/no usable signature keys/);
  });

  it('a signature shorter or longer than the modulus, or >= n, is refused', async () => {
    const [hh, pp, ss] = parts(token());
    const sig = Buffer.from(ss, 'base64url');
    expect(sig.length).toBe(256);
    await expect401(`${hh}.${pp}.${b64(Buffer.concat([Buffer.alloc(1), sig]))}`, REASON.signatureInvalid);
    await expect401(`${hh}.${pp}.${b64(sig.subarray(1))}`, REASON.signatureInvalid);
    const n = Buffer.from(keys.rsa.jwk.n as string, 'base64url');
    await expect401(`${hh}.${pp}.${b64(n)}`, REASON.signatureInvalid);
    await expect401(`${hh}.${pp}.${b64(Buffer.alloc(256, 0xff))}`, REASON.signatureInvalid);
  });

  it('a signature over other data (one bit flipped) is refused', async () => {
    const [hh, pp, ss] = parts(token());
    const sig = Buffer.from(ss, 'base64url');
    sig[100] ^= 1;
    await expect401(`${hh}.${pp}.${b64(sig)}`, REASON.signatureInvalid);
  });
});

describe('strict base64url and structure', () => {
  /** A valid token whose signature segment has a non-canonical last character. */
  function nonCanonicalSignature(tok: string): string {
    const [hh, pp, ss] = parts(tok);
    expect(ss.length % 4).not.toBe(0);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(ss[ss.length - 1]);
    return `${hh}.${pp}.${ss.slice(0, -1)}${alphabet[last | 1]}`;
  }

  it('non-canonical trailing bits in the signature are refused (Node would decode them to the same bytes)', async () => {
    const tok = token(); // RSA-2048: 256 bytes -> 342 characters, 4 unused bits
    const variant = nonCanonicalSignature(tok);
    expect(variant).not.toBe(tok);
    expect(Buffer.from(parts(variant)[2], 'base64url')).toEqual(Buffer.from(parts(tok)[2], 'base64url'));
    // jose alone would accept it: that is why the pre-check exists
    await expect(compactVerify(variant, keys.rsa.publicKey)).resolves.toBeDefined();
    await expect401(variant, REASON.malformedToken);
    const es = token({}, { key: keys.ec }); // 64 bytes -> 86 characters, 4 unused bits
    await expect401(nonCanonicalSignature(es), REASON.malformedToken);
  });

  it('padding is refused in any segment', async () => {
    const [hh, pp, ss] = parts(token());
    await expect401(`${hh}.${pp}.${ss}==`, REASON.malformedToken);
    await expect401(`${hh}=.${pp}.${ss}`, REASON.malformedToken);
    await expect401(`${hh}.${pp}=.${ss}`, REASON.malformedToken);
  });

  it('+ and / (standard base64) are refused', async () => {
    let tok = token();
    for (let i = 0; !/[-_]/.test(parts(tok)[2]); i++) tok = token({ jti: `j${i}` });
    const [hh, pp, ss] = parts(tok);
    const std = ss.replace(/-/g, '+').replace(/_/g, '/');
    await expect401(`${hh}.${pp}.${std}`, REASON.malformedToken);
  });

  it('whitespace inside a segment is refused', async () => {
    const [hh, pp, ss] = parts(token());
    for (const ws of [' ', '\n', '\t', '\r\n']) {
      await expect401(`${hh}.${pp}.${ss.slice(0, 10)}${ws}${ss.slice(10)}`, REASON.malformedToken);
      await expect401(`${hh.slice(0, 5)}${ws}${hh.slice(5)}.${pp}.${ss}`, REASON.malformedToken);
    }
  });

  it('exactly three segments', async () => {
    const [hh, pp, ss] = parts(token());
    for (const t of [`${hh}.${pp}`, `${hh}.${pp}.${ss}.`, `${hh}.${pp}.${ss}.${ss}`, `${hh}.${b64('x')}.${pp}.${ss}.${ss}`, hh, '', '..', `.${pp}.${ss}`]) {
      await expect401(t, REASON.malformedToken);
    }
  });

  it('header and payload must be UTF-8 JSON objects', async () => {
    for (const payload of ['[]', '"str"', '123', 'null', 'true', '{"iss":', '{}x', '', ' ']) {
      await expect401(rawToken({ key: keys.rsa, payload }), REASON.malformedClaims);
    }
    for (const header of ['[]', '"RS256"', '{"alg":"RS256",}', `{"alg":"RS256","kid":"rsa-1"`]) {
      await expect401(rawToken({ key: keys.rsa, header, payload: claims() }), REASON.malformedHeader);
    }
    const json = JSON.stringify(claims());
    // invalid UTF-8 (a lone 0xff byte inside a string), and a UTF-8 BOM before the object
    const bad = Buffer.concat([Buffer.from(json.slice(0, -1)), Buffer.from(',"x":"'), Buffer.from([0xff]), Buffer.from('"}')]);
    await expect401(rawToken({ key: keys.rsa, payload: bad }), REASON.malformedClaims);
    await expect401(rawToken({ key: keys.rsa, payload: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]) }), REASON.malformedClaims);
    // a lone surrogate escape is not text
    await expect401(rawToken({ key: keys.rsa, payload: `${json.slice(0, -1)},"x":"\\ud800"}` }), REASON.malformedClaims);
    // a missing or non-string alg
    await expect401(rawToken({ key: keys.rsa, header: { typ: 'at+jwt', kid: 'rsa-1' }, payload: claims() }), REASON.malformedHeader);
    await expect401(rawToken({ key: keys.rsa, header: { alg: ['RS256'], typ: 'at+jwt', kid: 'rsa-1' }, payload: claims() }), REASON.malformedHeader);
  });
});

describe('JSON: duplicates, depth', () => {
  const c = claims();
  const body = JSON.stringify(c).slice(1, -1);

  it('duplicate member names in the payload are refused (JSON.parse would keep the last)', async () => {
    const dupIss = `{"iss":"https://evil.example",${body}}`;
    expect(JSON.parse(dupIss).iss).toBe(ISS);
    await expect401(rawToken({ key: keys.rsa, payload: dupIss }), REASON.malformedClaims);
    await expect401(rawToken({ key: keys.rsa, payload: `{${body},"sub":"admin"}` }), REASON.malformedClaims);
    await expect401(rawToken({ key: keys.rsa, payload: `{${body},"x":{"a":1,"a":2}}` }), REASON.malformedClaims);
    // escaped spelling of the same name is still the same name
    await expect401(rawToken({ key: keys.rsa, payload: `{${body},"\\u0073ub":"admin"}` }), REASON.malformedClaims);
  });

  it('duplicate member names in the header are refused', async () => {
    await expect401(rawToken({ key: keys.rsa, header: '{"alg":"none","alg":"RS256","typ":"at+jwt","kid":"rsa-1"}', payload: claims() }), REASON.malformedHeader);
    await expect401(rawToken({ key: keys.rsa, header: '{"alg":"RS256","typ":"at+jwt","kid":"ec-1","kid":"rsa-1"}', payload: claims() }), REASON.malformedHeader);
  });

  it('nesting depth is bounded: 16 containers in the claims, 4 in the header', async () => {
    await expect401(rawToken({ key: keys.rsa, payload: `{${body},"x":${'['.repeat(16)}${']'.repeat(16)}}` }), REASON.malformedClaims);
    await expectAllowed(rawToken({ key: keys.rsa, payload: `{${body},"x":${'['.repeat(15)}${']'.repeat(15)}}` }));
    const header = (depth: number) => `{"alg":"RS256","typ":"at+jwt","kid":"rsa-1","x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    await expect401(rawToken({ key: keys.rsa, header: header(4), payload: claims() }), REASON.malformedHeader);
    await expectAllowed(rawToken({ key: keys.rsa, header: header(3), payload: claims() }));
  });

  it('a __proto__ member is plain data', async () => {
    await expectAllowed(rawToken({ key: keys.rsa, payload: `{${body},"__proto__":{"isAdmin":true}}` }));
  });
});

describe('time claims', () => {
  const policy = makePolicy(); // clockSkewSeconds 60

  it('exp is required and must be a JSON number', async () => {
    const { exp: _omit, ...noExp } = claims();
    await expect401(rawToken({ key: keys.rsa, payload: noExp }), REASON.noExpiry);
    for (const exp of ['9999999999', null, true, [NOW + 100], { v: 1 }]) {
      await expect401(token({ exp }), REASON.malformedClaims);
    }
    const body = JSON.stringify(claims()).replace(`"exp":${NOW + 600}`, '"exp":1e309');
    expect(body).toContain('1e309');
    await expect401(rawToken({ key: keys.rsa, payload: body }), REASON.malformedClaims);
  });

  it('nbf and iat must be JSON numbers when present', async () => {
    for (const bad of ['1', null, false, []]) {
      await expect401(token({ nbf: bad }), REASON.malformedClaims);
      await expect401(token({ iat: bad }), REASON.malformedClaims);
    }
    await expect401(rawToken({ key: keys.rsa, payload: JSON.stringify(claims()).replace(`"iat":${NOW - 10}`, '"iat":-1e400') }), REASON.malformedClaims);
  });

  it('exp boundary with the 60 s leeway: exp <= now - 60 is expired', async () => {
    await expect401(token({ exp: NOW - 60 }), REASON.tokenExpired, policy);
    await expectAllowed(token({ exp: NOW - 59 }), policy);
    await expectAllowed(token({ exp: NOW - 59.5 }), policy);
    await expect401(token({ exp: NOW - 1000 }), REASON.tokenExpired, policy);
  });

  it('exp boundary without leeway', async () => {
    const strict = makePolicy({ clockSkewSeconds: 0 });
    await expect401(token({ exp: NOW }), REASON.tokenExpired, strict);
    await expectAllowed(token({ exp: NOW + 1 }), strict);
  });

  it('nbf boundary: nbf > now + 60 is not yet valid', async () => {
    await expectAllowed(token({ nbf: NOW + 60 }), policy);
    await expect401(token({ nbf: NOW + 61 }), REASON.tokenNotYetValid, policy);
    const strict = makePolicy({ clockSkewSeconds: '0' });
    await expectAllowed(token({ nbf: NOW }), strict);
    await expect401(token({ nbf: NOW + 1 }), REASON.tokenNotYetValid, strict);
  });

  it('iat in the future beyond the leeway: issued in the future (after exp and nbf)', async () => {
    await expectAllowed(token({ iat: NOW + 60 }), policy);
    await expect401(token({ iat: NOW + 61 }), REASON.issuedInFuture, policy);
    await expect401(token({ iat: NOW + 61, exp: NOW - 61 }), REASON.tokenExpired, policy);
    await expect401(token({ iat: NOW + 61, nbf: NOW + 61 }), REASON.tokenNotYetValid, policy);
  });

  it('the signature is checked before any claim: a forged expired token reports the signature', async () => {
    const [hh, pp] = parts(token({ exp: NOW - 10_000 }));
    const [, , otherSig] = parts(token());
    await expect401(`${hh}.${pp}.${otherSig}`, REASON.signatureInvalid);
    const [h2, p2] = parts(token({ scope: 'nothing' }));
    await expect401(`${h2}.${p2}.${otherSig}`, REASON.signatureInvalid);
  });
});

describe('iss exact match', () => {
  it.each([
    'https://auth.example.com/',
    'https://AUTH.example.com',
    'http://auth.example.com',
    'https://auth.example.com ',
    'https://auth.example.com.evil',
    '',
  ])('iss %j is not trusted', async (iss) => {
    await expect401(token({ iss }), REASON.issuerNotTrusted);
  });

  it('a missing or non-string iss is not trusted', async () => {
    const { iss: _omit, ...noIss } = claims();
    await expect401(rawToken({ key: keys.rsa, payload: noIss }), REASON.issuerNotTrusted);
    await expect401(token({ iss: [ISS] }), REASON.issuerNotTrusted);
    await expect401(token({ iss: { v: ISS } }), REASON.issuerNotTrusted);
  });

  it('a token of issuer A signed with issuer B\'s key is refused', async () => {
    const other = makeKey('RS256', 'other-1');
    const policy = loadPolicy({
      resource: RESOURCE,
      issuers: [
        { issuer: ISS, jwks: { keys: [keys.rsa.jwk] } },
        { issuer: 'https://other.example', jwks: { keys: [other.jwk] } },
      ],
    });
    await expect401(token({}, { key: other }), REASON.unknownKeyId, policy);
    await expectAllowed(token({ iss: 'https://other.example' }, { key: other }), policy);
  });
});

describe('aud', () => {
  it('a string or an array containing the resource is accepted', async () => {
    await expectAllowed(token({ aud: RESOURCE }));
    await expectAllowed(token({ aud: ['https://other.example', RESOURCE] }));
  });

  it.each([
    ['another audience', 'https://mcp.example.com/other', REASON.audienceNotAccepted],
    ['a near miss', `${RESOURCE}/`, REASON.audienceNotAccepted],
    ['an array without the resource', ['https://other.example'], REASON.audienceNotAccepted],
    ['an empty string', '', REASON.audienceNotAccepted],
    ['an empty array', [], REASON.malformedClaims],
    ['a number', 5, REASON.malformedClaims],
    ['an array with a non-string', [RESOURCE, 5], REASON.malformedClaims],
    ['an array of arrays', [[RESOURCE]], REASON.malformedClaims],
    ['an object', { aud: RESOURCE }, REASON.malformedClaims],
    ['null', null, REASON.malformedClaims],
  ])('%s is refused', async (_label, aud, reason) => {
    await expect401(token({ aud }), reason);
  });

  it('a missing aud is refused', async () => {
    const { aud: _omit, ...noAud } = claims();
    await expect401(rawToken({ key: keys.rsa, payload: noAud }), REASON.audienceNotAccepted);
  });

  it('an issuer\'s own audiences replace the resource', async () => {
    const policy = makePolicy({}, { audiences: ['client-123.apps.example'] });
    await expect401(token({ aud: RESOURCE }), REASON.audienceNotAccepted, policy);
    await expectAllowed(token({ aud: 'client-123.apps.example' }), policy);
  });
});

describe('scopes: space-delimited, whole-token, case-sensitive', () => {
  const expect403 = async (scope: unknown, policy = makePolicy()) => {
    const d = check(token({ scope }), policy);
    expect({ status: d.status, reason: d.reason, body: bodyOf(d) }).toEqual({ status: 403, reason: REASON.missingScope, body: { error: 'insufficient_scope', error_description: REASON.missingScope } });
  };

  it('the exact scope among others passes', async () => {
    for (const scope of ['mcp:tools', 'openid mcp:tools', 'mcp:tools offline_access', 'a  mcp:tools']) await expectAllowed(token({ scope }));
  });

  it.each(['mcp:tools:admin', 'MCP:TOOLS', 'mcp:toolsx', 'xmcp:tools', 'mcp', 'openid,mcp:tools', ''])('%j does not satisfy mcp:tools', async (scope) => {
    await expect403(scope);
  });

  it('a missing scope does not satisfy', async () => {
    const { scope: _omit, ...noScope } = claims();
    const d = check(rawToken({ key: keys.rsa, payload: noScope }));
    expect(d.status).toBe(403);
  });

  it('a non-string scope (array, null) is malformed, and so is one with a tab', async () => {
    await expect401(token({ scope: ['mcp:tools'] }), REASON.malformedClaims);
    await expect401(token({ scope: null }), REASON.malformedClaims);
    await expect401(token({ scope: 'openid\tmcp:tools' }), REASON.malformedClaims);
  });

  it('every required scope must be present', async () => {
    const policy = makePolicy({ requiredScopes: 'mcp:tools,mcp:read' });
    await expect403('mcp:tools', policy);
    await expectAllowed(token({ scope: 'mcp:read mcp:tools' }), policy);
  });

  it('no required scopes: any scope passes', async () => {
    await expectAllowed(token({ scope: 'whatever' }), makePolicy({ requiredScopes: undefined }));
  });
});

describe('token size cap', () => {
  it('is checked before any decoding', async () => {
    const policy = makePolicy({ maxTokenBytes: 256 });
    await expect401('x'.repeat(257), REASON.tokenTooLarge, policy);
    await expect401('not even a jwt '.repeat(30), REASON.tokenTooLarge, policy);
  });

  it('a valid token is accepted at exactly the cap and refused one byte over', async () => {
    const tok = token();
    await expectAllowed(tok, makePolicy({ maxTokenBytes: tok.length }));
    await expect401(tok, REASON.tokenTooLarge, makePolicy({ maxTokenBytes: tok.length - 1 }));
  });

  it('defaults to 8 KiB', async () => {
    const big = token({ pad: 'x'.repeat(8200) });
    expect(big.length).toBeGreaterThan(8192);
    await expect401(big, REASON.tokenTooLarge);
  });
});

describe('reasons never contain the token', () => {
  it('for every failure above, body and headers are token-free', async () => {
    const samples = [token({ exp: NOW - 1000 }), token({ aud: 'x' }), token({ scope: 'x' }), `${token()}x`, 'abc.def.ghi'];
    for (const tok of samples) {
      const d = check(tok);
      const text = JSON.stringify(d);
      for (const part of tok.split('.').filter((s) => s.length > 8)) expect(text).not.toContain(part);
      expect(text).not.toContain(createHash('sha256').update(tok).digest('hex'));
    }
  });
});
