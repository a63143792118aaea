// Edge cases the review tried that the plugin already handles (kept as regression tests).
import { beforeAll, expect, test } from 'vitest';
import { NOW, RESOURCE, baseClaims, makeKey, pluginOptions, sign, signRaw, type TestKey } from '../lib/tokens.js';
import { loadJwtHarness, type JwtHarness } from './review-lib.js';

let h: JwtHarness;
let key: TestKey;
let hdr: string;
let body: string;

beforeAll(async () => {
  h = await loadJwtHarness();
  key = await makeKey('EdDSA');
  expect(h.configure(JSON.stringify(pluginOptions([key])))).toBe('');
  hdr = JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid });
  body = JSON.stringify(baseClaims()).slice(1, -1);
});

const withExp = (v: string) => `{${body.replace(/"exp":\d+/, `"exp":${v}`)}}`;

test.each<[string, () => string, string]>([
  ['exp in exponent form is a number', () => withExp('1.8000006e9'), 'OK'],
  ['exp as a string', () => withExp('"1800000600"'), 'ERR malformed token claims'],
  ['exp -0', () => withExp('-0'), 'ERR token expired'],
  ['exp 1e309 (not finite)', () => withExp('1e309'), 'ERR malformed token claims'],
  ['exp at now - leeway', () => withExp(String(NOW - 60)), 'ERR token expired'],
  ['exp at now - leeway + 1', () => withExp(String(NOW - 59)), 'OK'],
  ['nbf at now + leeway', () => `{${body},"nbf":${NOW + 60}}`, 'OK'],
  ['nbf at now + leeway + 1', () => `{${body},"nbf":${NOW + 61}}`, 'ERR token not yet valid'],
  ['nbf null', () => `{${body},"nbf":null}`, 'ERR malformed token claims'],
  ['duplicate exp spelled with an escape', () => `{${body},"e\\u0078p":9999999999}`, 'ERR malformed token claims'],
  ['duplicate iss spelled with an escape', () => `{${body},"\\u0069ss":"x"}`, 'ERR malformed token claims'],
  ['byte order mark', () => `\ufeff{${body}}`, 'ERR malformed token claims'],
  ['aud []', () => `{${body.replace(/"aud":"[^"]+"/, '"aud":[]')}}`, 'ERR malformed token claims'],
  ['aud with a null member', () => `{${body.replace(/"aud":"[^"]+"/, `"aud":["${RESOURCE}",null]`)}}`, 'ERR malformed token claims'],
  ['scope as an array', () => `{${body.replace(/"scope":"[^"]+"/, '"scope":["mcp:tools"]')}}`, 'ERR malformed token claims'],
])('claims: %s', (_label, payload, expected) => {
  const r = h.verify(signRaw(key, hdr, payload()), NOW);
  expect(r.startsWith('OK') ? 'OK' : r).toBe(expected);
});

test('email_verified "true" (a string) does not count as verified', () => {
  const r = h.verify(signRaw(key, hdr, `{${body.replace('"email_verified":true', '"email_verified":"true"')}}`), NOW);
  expect(r.split('\n')[3]).toBe('false');
});

test.each<[string, Record<string, unknown>, string]>([
  ['typ JWT', { typ: 'JWT' }, 'ERR token type not accepted'],
  ['typ missing', { typ: undefined }, 'ERR token type not accepted'],
  ['alg in another casing', { alg: 'eddsa' }, 'ERR algorithm not allowed'],
  ['crit []', { crit: [] }, 'ERR unsupported critical header'],
  ['kid null', { kid: null }, 'ERR malformed token header'],
])('header: %s', (_label, extra, expected) => {
  const header: Record<string, unknown> = { alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, ...extra };
  for (const k of Object.keys(header)) if (header[k] === undefined) delete header[k];
  expect(h.verify(signRaw(key, JSON.stringify(header), `{${body}}`), NOW)).toBe(expected);
});

test('a duplicate alg spelled with an escape is refused', () => {
  expect(h.verify(signRaw(key, `{"alg":"EdDSA","typ":"at+jwt","kid":"${key.kid}","al\\u0067":"none"}`, `{${body}}`), NOW)).toBe('ERR malformed token header');
});

test('base64url: padding, whitespace, a fourth segment and non-canonical trailing bits are refused', async () => {
  const [a, b, c] = (await sign(key, baseClaims())).split('.');
  const last = c.charCodeAt(c.length - 1);
  for (const t of [`${a}.${b}.${c}=`, `${a}.${b} .${c}`, `${a}.${b}.${c}.`, `${a}.${b}.${c.slice(0, -1)}${String.fromCharCode(last + 1)}`]) {
    expect(h.verify(t, NOW)).toBe('ERR malformed token');
  }
});
