// The email allowlist and path classification, as the guest implements them.
import { beforeAll, describe, expect, test } from 'vitest';
import { loadHarness } from '../lib/harness.js';

interface Harness {
  emailCheck(allowList: string, address: string): number;
  pathNeedsToken(path: string, protectedPaths: string, publicPaths: string): boolean;
  pathLoose(path: string): string;
  pathClean(path: string): boolean;
}

let h: Harness;
beforeAll(async () => {
  h = await loadHarness<Harness>('jwt');
});

describe('email allowlist (security checklist)', () => {
  const list = 'alice@example.com,@corp.example';
  test.each([
    ['alice@example.com', 1],
    ['ALICE@Example.COM', 1],
    ['bob@corp.example', 1],
    ['Bob@CORP.example', 1],
    ['bob@example.com', 0],
    ['bob@sub.corp.example', 0],
    ['bob@corp.example.evil.com', 0],
    ['a@b.com@evil.com', 0],
    ['alice@example.com@corp.example', 0],
    ['"alice@example.com"', 0],
    ['"x@y"@corp.example', 0],
    ['alice @example.com', 0],
    ['alice@example.com ', 0],
    ['alice@example.com\t', 0],
    ['alice@example.com\u0000', 0],
    ['alice@example.com.', 0],
    ['bob@corp.example.', 0],
    ['', 0],
    ['@corp.example', 0],
    ['alice@', 0],
    ['alıce@example.com', 0], // dotless i: must not fold to "alice"
    ['\u212Aate@corp.example', 0], // Kelvin sign K
    ['ａlice@example.com', 0], // full-width a
    ['alice@exam\u0440le.com', 0], // Cyrillic r
    ["o'brien@corp.example", 1], // apostrophes are ordinary dot-atom characters
    ['bob+mcp@corp.example', 1],
    ['bob(comment)@corp.example', 0],
    ['[bob]@corp.example', 0],
    ['bob@corp..example', 0],
    ['bob@.corp.example', 0],
    ['.bob@corp.example', 0],
    ['bob.@corp.example', 0],
    ['bo..b@corp.example', 0],
    ['bob@corp_example', 0],
    [`${'a'.repeat(65)}@corp.example`, 0], // local part over 64 characters
  ])('%s -> %i', (address, expected) => {
    expect(h.emailCheck(list, address)).toBe(expected);
  });

  test('allowlist entries must themselves be ASCII addresses or @domain entries', () => {
    expect(h.emailCheck('ålice@example.com', 'alice@example.com')).toBe(-1);
    expect(h.emailCheck('a@b@c', 'a@b')).toBe(-1);
    expect(h.emailCheck('@', 'a@b')).toBe(-1);
  });
});

describe('paths', () => {
  test.each([
    ['/sse', true], ['/SSE', true], ['//sse', true], ['/sse/', true], ['/x/../sse', true],
    ['/x/%2e%2e/sse', true], ['/%2fsse', true], ['/%2Fsse', true], ['/sse%00', true], ['/sse;x=1', true],
    ['/%73se', true], ['/%2573se', true], ['/x/..%2fsse', true], ['/./sse', true], ['/x\\..\\sse', true],
    ['/mcp', false], ['/health', false], ['/', false],
  ])('with protectedPaths=/sse, %s needs a token: %s', (path, expected) => {
    expect(h.pathNeedsToken(path, '/sse', '')).toBe(expected);
  });

  test.each([
    ['/health', false], ['/health/live', false], ['/healthz', true], ['/HEALTH', true],
    ['/health/../mcp', true], ['/health/%2e%2e/mcp', true], ['/health/..%2fmcp', true],
    ['/health;/../mcp', true], ['//health', true], ['/health%2f..%2fmcp', true], ['/health/./x', true],
    ['/mcp', true],
  ])('with publicPaths=/health, %s needs a token: %s', (path, expected) => {
    expect(h.pathNeedsToken(path, '/', '/health')).toBe(expected);
  });

  test('loose form decodes, collapses and resolves', () => {
    expect(h.pathLoose('/A//b/./c/../%2e%2e/D')).toBe('/a/d');
    expect(h.pathLoose('/%252e%252e/x')).toBe('/x');
    expect(h.pathLoose('/a;b/c')).toBe('/a');
  });

  test('clean paths', () => {
    for (const p of ['/', '/mcp', '/a/b-c_d.e~f', '/.well-known/oauth-protected-resource/mcp']) expect(h.pathClean(p)).toBe(true);
    for (const p of ['', 'mcp', '//', '/a//b', '/./a', '/a/.', '/a/..', '/a/../b', '/a%20b', '/a;b', '/a\\b', '/a#b', '/é']) expect(h.pathClean(p)).toBe(false);
  });
});
