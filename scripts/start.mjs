// npm start: builds the plugin, the sidecar and the demo MCP server, then runs the whole gateway
// on 127.0.0.1 — Traefik with the local plugin, the sidecar, the demo server and (without
// CLIENT_ID/CLIENT_SECRET/OIDC_ISSUER) a development identity provider — and prints the URLs to
// paste into an MCP client. Ctrl-C stops every process it started.
//
// Settings (environment): TRAEFIK_PORT (8080), TRAEFIK_ADMIN_PORT (8081), PORT (sidecar, 11000),
// DEMO_PORT (11001), DEV_IDP_PORT (11002), CLIENT_ID / CLIENT_SECRET / OIDC_ISSUER (the upstream
// identity provider: Google with the first two, any OIDC provider with OIDC_ISSUER),
// DEV_USER_EMAIL (the dev provider's user), ALLOWED_EMAILS, REQUIRED_SCOPES, ALLOWED_SCOPES,
// LOG_LEVEL (0, 1, 2), AUTH_MODE (plugin | forwardAuth), DATA_DIR (.cache/stack).
// Flags: --no-build (use the existing build outputs), --forward-auth (= AUTH_MODE=forwardAuth).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildStack } from './stack/build.mjs';
import { PortInUseError } from './stack/ports.mjs';
import { startStack, PORT_ROLES } from './stack/stack.mjs';
import { describeIdp, PORT_VARIABLES, StartConfigError, startOptionsFrom } from './stack/start-options.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (text = '') => process.stdout.write(`${text}\n`);
const fail = (text) => {
  process.stderr.write(`\nmcpauth: ${text}\n`);
  process.exit(1);
};

function devWarning(email) {
  const lines = [
    'DEVELOPMENT IDENTITY PROVIDER - FOR LOCAL DEVELOPMENT ONLY',
    '',
    'CLIENT_ID / CLIENT_SECRET / OIDC_ISSUER are not set, so logins go to a',
    `built-in test provider that signs in ANYONE, with no password, as`,
    `${email}. Never expose this setup beyond your own machine.`,
    '',
    'For real logins set CLIENT_ID and CLIENT_SECRET (Google), or OIDC_ISSUER',
    'with CLIENT_ID (and CLIENT_SECRET) for another OpenID Connect provider.',
  ];
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const bar = '#'.repeat(width + 2);
  return ['', bar, ...lines.map((l) => `#  ${l.padEnd(width - 2)}#`), bar, ''].join('\n');
}

let options;
try {
  options = startOptionsFrom(process.env, process.argv.slice(2), repoRoot);
} catch (err) {
  if (err instanceof StartConfigError) fail(`invalid setting ${err.message}`);
  throw err;
}
const { stack: stackOptions } = options;

// Ctrl-C before the stack is up: exiting is enough, startStack kills its children on exit.
let stack;
let stopping = false;
const shutdown = (signal, code) => {
  if (stopping) return;
  stopping = true;
  if (!stack) process.exit(code);
  say(`\n${signal}: stopping Traefik, the sidecar and the demo server...`);
  stack.stop().then(
    () => {
      say('stopped.');
      process.exit(code);
    },
    (err) => fail(`stopping failed: ${err.message}`),
  );
};
process.on('SIGINT', () => shutdown('SIGINT', 0));
process.on('SIGTERM', () => shutdown('SIGTERM', 0));
// A closed terminal: the children run in their own process groups and would not get its SIGHUP.
process.on('SIGHUP', () => shutdown('SIGHUP', 0));

if (options.build) {
  say('Building the plugin, the sidecar and the demo MCP server...');
  try {
    await buildStack({ verbose: true });
  } catch (err) {
    fail(`build failed: ${err.message}`);
  }
}

say(`Starting Traefik, the sidecar${stackOptions.idp === 'dev' ? ', the development identity provider' : ''} and the demo MCP server...`);
let ready = false;
try {
  stack = await startStack({
    ...stackOptions,
    onLog: (name, line) => {
      if (ready) say(`[${name}] ${line}`);
    },
    onUnexpectedExit: (name, code, signal) => {
      if (stopping) return;
      process.stderr.write(`\nmcpauth: the ${name} stopped unexpectedly (${signal ?? `exit code ${code}`}); its last output:\n${stack?.logs(name) ?? ''}\n`);
      shutdown('error', 1);
    },
  });
} catch (err) {
  if (err instanceof PortInUseError) {
    const variable = Object.entries(PORT_ROLES).find(([, role]) => role === err.role)?.[0];
    fail(`${err.message}.\nStop whatever listens there, or choose another port with ${PORT_VARIABLES[variable] ?? 'the matching variable'}=<port>.`);
  }
  fail(`could not start: ${err.message}`);
}
ready = true;

const { urls } = stack;
if (stackOptions.idp === 'dev') say(devWarning(stack.idp.user.email));
say(`mcpauth is ready (${stack.mode === 'plugin' ? 'plugin mode: tokens checked inside Traefik' : 'forwardAuth mode: Traefik asks the sidecar'})`);
say();
say(`  MCP server URL (Streamable HTTP): ${urls.mcp}`);
say(`  MCP server URL (legacy SSE):      ${urls.sse}`);
say(`  Authorization server (issuer):    ${urls.authServer}`);
say(`  Identity provider:                ${describeIdp(stackOptions.idp, stack)}`);
if (stackOptions.idp !== 'dev') say(`  Redirect URI to register there:   ${urls.authServer}/callback`);
say(`  Traefik dashboard:                ${urls.traefikAdmin}/dashboard/`);
const shownDataDir = path.relative(process.cwd(), stack.dataDir);
say(`  Data and logs:                    ${shownDataDir && !shownDataDir.startsWith('..') ? shownDataDir : stack.dataDir}`);
say();
say('Paste an MCP server URL into your MCP client: it registers, sends you to log in, and can then');
say('call the demo tools whoami, random_number and request_headers. Use the URLs exactly as printed');
say('(127.0.0.1, not localhost): the token audience is this exact URL.');
say();
say('Ready. Press Ctrl-C to stop.');
