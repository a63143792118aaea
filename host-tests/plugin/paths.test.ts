// Path confusion must never skip auth (security checklist, "Request handling"): through the whole
// plugin, none of these spellings reaches the upstream without a valid token.
import { beforeAll, expect, test } from 'vitest';
import type { HttpWasmHost } from '../host/index.js';
import { makeKey, pluginOptions, type TestKey } from '../lib/tokens.js';
import { noTrap, startPlugin } from './lib.js';

let key: TestKey;
let onlySse: HttpWasmHost;
let withPublic: HttpWasmHost;

beforeAll(async () => {
  key = await makeKey('ES256');
  onlySse = await startPlugin(pluginOptions([key], { protectedPaths: ['/sse', '/mcp'] }));
  withPublic = await startPlugin(pluginOptions([key], { publicPaths: ['/health', '/.well-known/'] }));
});

const CONFUSED = [
  '/sse', '/SSE', '/Sse', '//sse', '/sse/', '/sse/x', '/x/../sse', '/x/%2e%2e/sse', '/x/%2E%2E/sse', '/%2fsse',
  '/%2Fsse', '/sse%00', '/sse%00.json', '/sse;jsessionid=1', '/sse;', '/%73se', '/%2573se', '/./sse', '/x/./../sse',
  '/x\\..\\sse', '/mcp', '/MCP/', '/mcp?x=1', '/x/..%2fmcp', '/mcp%23frag', '/%2e/mcp',
];

test.each(CONFUSED)('protectedPaths=/sse,/mcp: %s is refused without a token', async (uri) => {
  const res = noTrap(await onlySse.handle({ uri }));
  expect(res.next).toBe(false);
  expect(res.status).toBe(401);
});

test.each(['/', '/health', '/static/app.js'])('protectedPaths=/sse,/mcp: %s passes without a token', async (uri) => {
  expect(noTrap(await onlySse.handle({ uri })).next).toBe(true);
});

test('protected prefixes match like Traefik PathPrefix: /ssex is under /sse', async () => {
  expect(noTrap(await onlySse.handle({ uri: '/ssex' })).status).toBe(401);
});

const PUBLIC_PREFIX_TRICKS = [
  '/health/../mcp', '/health/..%2fmcp', '/health/%2e%2e/mcp', '/health%2f..%2fmcp', '/health;/../mcp', '//health/../mcp',
  '/.well-known/oauth-protected-resource/../mcp', '/.well-known/../mcp', '/.well-known/%2e%2e/mcp', '/.well-known/./../mcp',
  '/healthz', '/HEALTH', '/health%00', '/health\\..\\mcp',
];

test.each(PUBLIC_PREFIX_TRICKS)('publicPaths=/health,/.well-known/: %s still needs a token', async (uri) => {
  const res = noTrap(await withPublic.handle({ uri }));
  expect(res.next).toBe(false);
  expect(res.status).toBe(401);
});

test.each(['/health', '/health/live', '/.well-known/openid-configuration'])('publicPaths: %s passes without a token', async (uri) => {
  const res = noTrap(await withPublic.handle({ uri }));
  expect(res.next).toBe(true);
});
