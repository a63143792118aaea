// Token verification in the guest (the code the plugin runs), driven through the `jwt` harness with
// inline keys and a frozen clock. Covers the "Token verification" rows of the security checklist.
import crypto from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadHarness } from '../lib/harness.js';
import {
  ALGS, ISSUER, NOW, RESOURCE, b64u, baseClaims, makeKey, pluginOptions, sign, signBytes, signRaw,
  type Alg, type TestKey,
} from '../lib/tokens.js';

interface JwtHarness {
  configure(options: string): string;
  verify(token: string, now: number): string;
  unknownKidReloads(): number;
}

let h: JwtHarness;
const keys = {} as Record<Alg, TestKey>;

function configure(options: Record<string, unknown>): void {
  const err = h.configure(JSON.stringify(options));
  expect(err).toBe('');
}

function verify(token: string, now = NOW): string {
  return h.verify(token, now);
}

const ok = (r: string) => expect(r.startsWith('OK\n'), r).toBe(true);
const denied = (r: string, reason: string) => expect(r).toBe(`ERR ${reason}`);

beforeAll(async () => {
  h = await loadHarness<JwtHarness>('jwt');
  for (const alg of ALGS) keys[alg] = await makeKey(alg);
  configure(pluginOptions(Object.values(keys)));
});

describe('valid tokens', () => {
  test.each(ALGS)('%s token verifies and yields the identity', async (alg) => {
    const r = verify(await sign(keys[alg], baseClaims()));
    expect(r).toBe('OK\nuser-123\nalice@example.com\ntrue\nmcp:tools openid\nclient-abc');
  });

  test('typ is compared case-insensitively and with the application/ prefix (RFC 8725 3.11)', async () => {
    ok(verify(await sign(keys.ES256, baseClaims(), { typ: 'AT+JWT' })));
    ok(verify(await sign(keys.ES256, baseClaims(), { typ: 'application/at+jwt' })));
  });

  test('a token without kid is verified with the only key of its algorithm', async () => {
    ok(verify(await sign(keys.RS256, baseClaims(), { kid: undefined })));
  });

  test('a token without kid is refused when several keys of its algorithm could apply', async () => {
    const second = await makeKey('RS256');
    configure(pluginOptions([...Object.values(keys), second]));
    try {
      denied(verify(await sign(keys.RS256, baseClaims(), { kid: undefined })), 'token has no key id');
      ok(verify(await sign(keys.RS256, baseClaims())));
    } finally {
      configure(pluginOptions(Object.values(keys)));
    }
  });

  test('aud may be an array containing the resource', async () => {
    ok(verify(await sign(keys.EdDSA, baseClaims({ aud: ['https://other.example', RESOURCE] }))));
  });
});

describe('algorithm comes from the key set, never from the token', () => {
  test.each(['none', 'None', 'NONE', 'nOnE'])('alg %s is refused', async (alg) => {
    const header = b64u(JSON.stringify({ alg, typ: 'at+jwt', kid: keys.RS256.kid }));
    const payload = b64u(JSON.stringify(baseClaims()));
    denied(verify(`${header}.${payload}.`), 'malformed token');
    denied(verify(`${header}.${payload}.${b64u('x')}`), 'algorithm not allowed');
  });

  test('empty signature is refused', async () => {
    const t = await sign(keys.RS256, baseClaims());
    denied(verify(t.slice(0, t.lastIndexOf('.') + 1)), 'malformed token');
  });

  test('HS256 signed with the RSA public key as the HMAC secret is refused', async () => {
    const secret = keys.RS256.publicKey.export({ format: 'pem', type: 'spki' });
    const header = b64u(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: keys.RS256.kid }));
    const payload = b64u(JSON.stringify(baseClaims()));
    const mac = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest();
    denied(verify(`${header}.${payload}.${b64u(mac)}`), 'algorithm not allowed');
  });

  test('an algorithm the issuer does not allow is refused even with a valid signature', async () => {
    configure(pluginOptions(Object.values(keys), {}, { algorithms: ['ES256'] }));
    try {
      denied(verify(await sign(keys.RS256, baseClaims())), 'algorithm not allowed');
      ok(verify(await sign(keys.ES256, baseClaims())));
    } finally {
      configure(pluginOptions(Object.values(keys)));
    }
  });

  test('a header alg that does not match the key type fails (RS256 header, EC kid)', async () => {
    const t = signRaw(keys.ES256, JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: keys.ES256.kid }), JSON.stringify(baseClaims()));
    denied(verify(t), 'signature invalid');
  });

  test('a key whose own alg differs from the header alg is not used', async () => {
    const rsaAsPs = { ...keys.RS256.publicJwk, alg: 'PS256' };
    const err = h.configure(JSON.stringify({ resource: RESOURCE, issuers: [{ issuer: ISSUER, jwks: { keys: [rsaAsPs, keys.ES256.publicJwk] } }] }));
    expect(err).toBe('');
    try {
      // PS256 is not an alg we accept for an RSA key: the key is dropped at load time.
      denied(verify(await sign(keys.RS256, baseClaims())), 'unknown key id');
    } finally {
      configure(pluginOptions(Object.values(keys)));
    }
  });
});

describe('kid and embedded keys', () => {
  test('an unknown kid is refused after one reload attempt', async () => {
    const before = h.unknownKidReloads();
    denied(verify(await sign(keys.RS256, baseClaims(), { kid: 'not-in-the-set' })), 'unknown key id');
    expect(h.unknownKidReloads()).toBe(before + 1);
  });

  test('a kid never falls back to another key', async () => {
    // Signed by the ES256 key but naming the EdDSA key id: only that key is tried.
    const t = signRaw(keys.ES256, JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: keys.EdDSA.kid }), JSON.stringify(baseClaims()));
    denied(verify(t), 'signature invalid');
  });

  test.each(['jwk', 'jku', 'x5u', 'x5c'])('an embedded %s header pointing at an attacker key is never trusted', async (member) => {
    const attacker = await makeKey('ES256', keys.ES256.kid);
    const value = member === 'jwk' ? attacker.publicJwk : member === 'x5c' ? ['MIIB'] : 'https://evil.example/keys';
    const t = await sign(attacker, baseClaims(), { [member]: value });
    denied(verify(t), 'signature invalid');
  });

  test.each([
    ['crit', { crit: ['exp'], exp: 1 }],
    ['crit empty', { crit: [] }],
    ['b64 false', { b64: false, crit: ['b64'] }],
    ['b64 alone', { b64: false }],
  ])('%s is refused', async (_name, extra) => {
    const header = JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: keys.ES256.kid, ...extra });
    denied(verify(signRaw(keys.ES256, header, JSON.stringify(baseClaims()))), 'unsupported critical header');
  });
});

describe('token type per issuer (RFC 9068)', () => {
  test.each([
    ['JWT', 'token type not accepted'],
    ['id_token', 'token type not accepted'],
    ['at+jwt ', 'token type not accepted'],
  ])('typ %s is refused for an at+jwt issuer', async (typ, reason) => {
    denied(verify(await sign(keys.ES256, baseClaims(), { typ })), reason);
  });

  test('a missing typ is refused for an at+jwt issuer (an ID token cannot pass as an access token)', async () => {
    denied(verify(await sign(keys.ES256, baseClaims(), { typ: undefined })), 'token type not accepted');
  });

  test('an issuer configured with type JWT accepts ID-token shaped tokens and refuses at+jwt', async () => {
    configure(pluginOptions(Object.values(keys), {}, { type: 'JWT' }));
    try {
      ok(verify(await sign(keys.ES256, baseClaims(), { typ: 'JWT' })));
      denied(verify(await sign(keys.ES256, baseClaims())), 'token type not accepted');
    } finally {
      configure(pluginOptions(Object.values(keys)));
    }
  });

  test('type "" skips the typ check for that issuer', async () => {
    configure(pluginOptions(Object.values(keys), {}, { type: '' }));
    try {
      ok(verify(await sign(keys.ES256, baseClaims(), { typ: undefined })));
      ok(verify(await sign(keys.ES256, baseClaims(), { typ: 'JWT' })));
    } finally {
      configure(pluginOptions(Object.values(keys)));
    }
  });
});

describe('signature encodings', () => {
  test('ES256 DER-encoded signature is refused', async () => {
    const input = `${b64u(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: keys.ES256.kid }))}.${b64u(JSON.stringify(baseClaims()))}`;
    const der = crypto.sign('sha256', Buffer.from(input), keys.ES256.privateKey); // DER by default
    expect(crypto.verify('sha256', Buffer.from(input), keys.ES256.publicKey, der)).toBe(true);
    denied(verify(`${input}.${b64u(der)}`), 'signature invalid');
  });

  test('ES256 with r = 0, s = 0, or s >= n is refused', async () => {
    const input = `${b64u(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: keys.ES256.kid }))}.${b64u(JSON.stringify(baseClaims()))}`;
    const good = signBytes(keys.ES256, Buffer.from(input));
    const n = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
    const cases = [
      Buffer.concat([Buffer.alloc(32), good.subarray(32)]),
      Buffer.concat([good.subarray(0, 32), Buffer.alloc(32)]),
      Buffer.concat([good.subarray(0, 32), n]),
      Buffer.concat([n, good.subarray(32)]),
    ];
    for (const sig of cases) denied(verify(`${input}.${b64u(sig)}`), 'signature invalid');
    ok(verify(`${input}.${b64u(good)}`));
  });

  test('RSA signature shorter or longer than the modulus is refused', async () => {
    const t = await sign(keys.RS256, baseClaims());
    const [hd, pl, sg] = t.split('.');
    const sig = Buffer.from(sg, 'base64url');
    denied(verify(`${hd}.${pl}.${b64u(Buffer.concat([Buffer.alloc(1), sig]))}`), 'signature invalid');
    denied(verify(`${hd}.${pl}.${b64u(sig.subarray(1))}`), 'signature invalid');
  });

  test('an RSA key under 2048 bits is refused at load time', async () => {
    const weak = await makeKey('RS256', 'weak', 1024);
    const err = h.configure(JSON.stringify(pluginOptions([weak])));
    expect(err).toMatch(/no usable signature keys/);
    configure(pluginOptions(Object.values(keys)));
  });
});

describe('strict base64url and structure', () => {
  let good: string;
  beforeAll(async () => {
    good = await sign(keys.EdDSA, baseClaims());
  });

  test.each([
    ['padding', (t: string) => `${t}==`],
    ['plus', (t: string) => `${t.slice(0, -2)}+${t.slice(-1)}`],
    ['slash', (t: string) => `${t.slice(0, -2)}/${t.slice(-1)}`],
    ['whitespace', (t: string) => t.replace('.', ' .')],
    ['newline', (t: string) => `${t}\n`],
    ['two segments', (t: string) => t.split('.').slice(0, 2).join('.')],
    ['four segments', (t: string) => `${t}.AAAA`],
    ['empty header', (t: string) => `.${t.split('.').slice(1).join('.')}`],
  ])('%s is refused as malformed', (_n, mutate) => {
    const mutated = mutate(good);
    if (mutated === good) return expect(mutated).not.toBe(good); // the mutation must change something
    denied(verify(mutated), 'malformed token');
  });

  test('non-canonical trailing bits in the signature are refused', () => {
    // An Ed25519 signature is 64 bytes -> 86 base64url chars; the last char carries 4 unused bits.
    const [hd, pl, sg] = good.split('.');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(sg[sg.length - 1]);
    const tweaked = sg.slice(0, -1) + alphabet[last | 1];
    expect(Buffer.from(tweaked, 'base64url').equals(Buffer.from(sg, 'base64url'))).toBe(true);
    denied(verify(`${hd}.${pl}.${tweaked}`), 'malformed token');
  });

  test('header and payload must be JSON objects in UTF-8', () => {
    const k = keys.ES256;
    const hdr = JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: k.kid });
    denied(verify(signRaw(k, '[1]', JSON.stringify(baseClaims()))), 'malformed token header');
    denied(verify(signRaw(k, hdr, '[1,2]')), 'malformed token claims');
    denied(verify(signRaw(k, hdr, '"text"')), 'malformed token claims');
    const badUtf8 = Buffer.concat([Buffer.from('{"iss":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]);
    const input = `${b64u(hdr)}.${b64u(badUtf8)}`;
    denied(verify(`${input}.${b64u(signBytes(k, Buffer.from(input)))}`), 'malformed token claims');
  });

  test('duplicate member names are refused in header and payload', () => {
    const k = keys.ES256;
    const claims = JSON.stringify(baseClaims()).slice(0, -1);
    denied(verify(signRaw(k, `{"alg":"ES256","typ":"at+jwt","kid":"${k.kid}","alg":"ES256"}`, JSON.stringify(baseClaims()))), 'malformed token header');
    denied(verify(signRaw(k, JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: k.kid }), `${claims},"sub":"admin"}`)), 'malformed token claims');
    denied(verify(signRaw(k, JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: k.kid }), `${claims},"\\u0073ub":"admin"}`)), 'malformed token claims');
  });

  test('deeply nested claims are refused', () => {
    const k = keys.ES256;
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    const claims = JSON.stringify(baseClaims()).slice(0, -1) + `,"x":${deep}}`;
    denied(verify(signRaw(k, JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: k.kid }), claims)), 'malformed token claims');
  });

  test('the size cap is applied before decoding', async () => {
    const big = await sign(keys.ES256, baseClaims({ pad: 'x'.repeat(9000) }));
    expect(big.length).toBeGreaterThan(8192);
    denied(verify(big), 'token too large');
    denied(verify('!'.repeat(9000)), 'token too large');
  });
});

describe('time claims', () => {
  const skew = 60;
  test.each([
    ['exp as string', { exp: String(NOW + 600) }],
    ['exp null', { exp: null }],
    ['exp boolean', { exp: true }],
    ['nbf as string', { nbf: String(NOW) }],
    ['iat as string', { iat: String(NOW) }],
  ])('%s is refused', async (_n, claims) => {
    denied(verify(await sign(keys.ES256, baseClaims(claims))), 'malformed token claims');
  });

  test('exp 1e309 (not a finite number) is refused', () => {
    const k = keys.ES256;
    const claims = JSON.stringify(baseClaims()).replace(/"exp":\d+/, '"exp":1e309');
    denied(verify(signRaw(k, JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: k.kid }), claims)), 'malformed token claims');
  });

  test('exp is required', async () => {
    denied(verify(await sign(keys.ES256, baseClaims({ exp: undefined }))), 'token has no expiry');
  });

  test('exp boundary with leeway: exp <= now - skew is expired', async () => {
    denied(verify(await sign(keys.ES256, baseClaims({ exp: NOW - skew }))), 'token expired');
    ok(verify(await sign(keys.ES256, baseClaims({ exp: NOW - skew + 1 }))));
    ok(verify(await sign(keys.ES256, baseClaims({ exp: NOW }))));
  });

  test('nbf boundary with leeway: nbf > now + skew is not yet valid', async () => {
    ok(verify(await sign(keys.ES256, baseClaims({ nbf: NOW + skew }))));
    denied(verify(await sign(keys.ES256, baseClaims({ nbf: NOW + skew + 1 }))), 'token not yet valid');
  });

  test('iat in the future beyond the leeway is refused', async () => {
    ok(verify(await sign(keys.ES256, baseClaims({ iat: NOW + skew }))));
    denied(verify(await sign(keys.ES256, baseClaims({ iat: NOW + skew + 1 }))), 'token issued in the future');
  });

  test('clockSkewSeconds 0 moves the boundaries', async () => {
    configure(pluginOptions(Object.values(keys), { clockSkewSeconds: 0 }));
    try {
      denied(verify(await sign(keys.ES256, baseClaims({ exp: NOW }))), 'token expired');
      ok(verify(await sign(keys.ES256, baseClaims({ exp: NOW + 1 }))));
      denied(verify(await sign(keys.ES256, baseClaims({ nbf: NOW + 1 }))), 'token not yet valid');
    } finally {
      configure(pluginOptions(Object.values(keys)));
    }
  });
});

describe('issuer and audience', () => {
  test.each([
    ['trailing slash', `${ISSUER}/`],
    ['different case', ISSUER.toUpperCase()],
    ['prefix', 'https://auth.example.co'],
  ])('iss with %s is not trusted', async (_n, iss) => {
    denied(verify(await sign(keys.ES256, baseClaims({ iss }))), 'issuer not trusted');
  });

  test('iss missing or not a string is not trusted', async () => {
    denied(verify(await sign(keys.ES256, baseClaims({ iss: undefined }))), 'issuer not trusted');
    denied(verify(await sign(keys.ES256, baseClaims({ iss: 42 }))), 'issuer not trusted');
  });

  test.each([
    ['other audience', 'https://other.example/mcp', 'audience not accepted'],
    ['resource with trailing slash', `${RESOURCE}/`, 'audience not accepted'],
    ['array without the resource', ['https://a.example', 'https://b.example'], 'audience not accepted'],
    ['missing', undefined, 'audience not accepted'],
    ['empty array', [], 'malformed token claims'],
    ['non-string in array', [RESOURCE, 7], 'malformed token claims'],
    ['number', 7, 'malformed token claims'],
  ])('aud %s is refused', async (_n, aud, reason) => {
    denied(verify(await sign(keys.ES256, baseClaims({ aud }))), reason);
  });

  test('an issuer may list its own audiences', async () => {
    configure(pluginOptions(Object.values(keys), {}, { audiences: ['api://mcp', RESOURCE] }));
    try {
      ok(verify(await sign(keys.ES256, baseClaims({ aud: 'api://mcp' }))));
    } finally {
      configure(pluginOptions(Object.values(keys)));
    }
  });

  test('claims that become headers may not hold control characters', async () => {
    denied(verify(await sign(keys.ES256, baseClaims({ email: 'a@example.com\r\nX-Forwarded-User: admin' }))), 'malformed token claims');
    denied(verify(await sign(keys.ES256, baseClaims({ sub: 'x\u0000y' }))), 'malformed token claims');
  });

  test('sub is required, scope and email must be strings', async () => {
    denied(verify(await sign(keys.ES256, baseClaims({ sub: undefined }))), 'malformed token claims');
    denied(verify(await sign(keys.ES256, baseClaims({ scope: ['mcp:tools'] }))), 'malformed token claims');
    denied(verify(await sign(keys.ES256, baseClaims({ email: ['a@example.com'] }))), 'malformed token claims');
  });

  test('email_verified only counts as the boolean true', async () => {
    expect(verify(await sign(keys.ES256, baseClaims({ email_verified: 'true' })))).toMatch(/^OK\n.*\n.*\nfalse\n/);
    expect(verify(await sign(keys.ES256, baseClaims({ email_verified: 1 })))).toMatch(/^OK\n.*\n.*\nfalse\n/);
  });
});
