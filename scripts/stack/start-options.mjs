// `npm start` settings: environment variables (and two flags) -> startStack options.
// Kept apart from scripts/start.mjs so the mapping is tested without starting anything.
import path from 'node:path';
import { DEFAULT_DEV_USER } from './dev-idp.mjs';

/** Fixed ports of `npm start`, each overridable by its variable. */
export const DEFAULT_PORTS = Object.freeze({ traefik: 8080, traefikAdmin: 8081, sidecar: 11000, demo: 11001, idp: 11002 });
/** Which variable sets which port (PORT keeps its old meaning: the sidecar's port). */
export const PORT_VARIABLES = Object.freeze({
  traefik: 'TRAEFIK_PORT',
  traefikAdmin: 'TRAEFIK_ADMIN_PORT',
  sidecar: 'PORT',
  demo: 'DEMO_PORT',
  idp: 'DEV_IDP_PORT',
});
export const GOOGLE_ISSUER = 'https://accounts.google.com';

export class StartConfigError extends Error {
  constructor(setting, reason) {
    super(`${setting}: ${reason}`);
    this.name = 'StartConfigError';
    this.setting = setting;
  }
}

const list = (value) => (value ? [...new Set(value.split(/[\s,]+/).filter(Boolean))] : []);

function port(env, name, fallback) {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) throw new StartConfigError(name, `must be a port number 1..65535, got ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * @param {Record<string, string | undefined>} env
 * @param {string[]} argv  flags: --no-build, --forward-auth
 * @param {string} repoRoot
 */
export function startOptionsFrom(env, argv, repoRoot) {
  const flags = new Set(argv);
  for (const flag of flags) {
    if (!['--no-build', '--forward-auth'].includes(flag)) throw new StartConfigError(flag, 'unknown flag (known: --no-build, --forward-auth)');
  }
  const ports = {};
  for (const [key, name] of Object.entries(PORT_VARIABLES)) ports[key] = port(env, name, DEFAULT_PORTS[key]);

  const clientId = env.CLIENT_ID || undefined;
  const clientSecret = env.CLIENT_SECRET || undefined;
  const oidcIssuer = env.OIDC_ISSUER || undefined;
  let idp = 'dev';
  if (clientId || clientSecret || oidcIssuer) {
    if (!clientId) throw new StartConfigError('CLIENT_ID', `required when ${clientSecret ? 'CLIENT_SECRET' : 'OIDC_ISSUER'} is set (the client id registered at the identity provider)`);
    if (!oidcIssuer && !clientSecret) throw new StartConfigError('CLIENT_SECRET', 'required for Google sign-in (or set OIDC_ISSUER for another provider)');
    idp = { ...(oidcIssuer ? { issuer: oidcIssuer } : {}), clientId, ...(clientSecret ? { clientSecret } : {}) };
  }
  if (idp !== 'dev' && env.DEV_USER_EMAIL) throw new StartConfigError('DEV_USER_EMAIL', 'only applies to the development identity provider (unset CLIENT_ID/CLIENT_SECRET/OIDC_ISSUER)');

  const logLevel = env.LOG_LEVEL === undefined || env.LOG_LEVEL === '' ? 1 : Number(env.LOG_LEVEL);
  if (![0, 1, 2].includes(logLevel) || !/^[012]$/.test(env.LOG_LEVEL ?? '1')) throw new StartConfigError('LOG_LEVEL', `must be 0, 1 or 2, got ${JSON.stringify(env.LOG_LEVEL)}`);
  const modeValue = flags.has('--forward-auth') ? 'forwardAuth' : (env.AUTH_MODE || 'plugin');
  if (modeValue !== 'plugin' && modeValue !== 'forwardAuth') throw new StartConfigError('AUTH_MODE', `must be plugin or forwardAuth, got ${JSON.stringify(modeValue)}`);

  const stack = {
    mode: modeValue,
    idp,
    ports: idp === 'dev' ? ports : { ...ports, idp: undefined },
    dataDir: path.resolve(repoRoot, env.DATA_DIR || '.cache/stack'),
    logLevel,
    requiredScopes: list(env.REQUIRED_SCOPES),
    allowedScopes: list(env.ALLOWED_SCOPES),
    allowedEmails: list(env.ALLOWED_EMAILS),
    ...(idp === 'dev' ? { devUser: { ...DEFAULT_DEV_USER, ...(env.DEV_USER_EMAIL ? { email: env.DEV_USER_EMAIL, name: undefined } : {}) } } : {}),
  };
  return { build: !flags.has('--no-build'), stack };
}

/** The identity provider in words, for the banner. */
export function describeIdp(idp, running) {
  if (idp === 'dev') return `DEVELOPMENT provider at ${running.urls.idp} (signs in ${running.idp.user.email} without a password)`;
  return idp.issuer ? `${idp.issuer} (OIDC_ISSUER)` : `Google (${GOOGLE_ISSUER})`;
}
