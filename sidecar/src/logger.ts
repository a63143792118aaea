// JSON logs (pino) with the old LOG_LEVEL meaning: 0 debug, 1 info, 2 minimal (warnings and
// errors). Secrets are redacted at every level: the log calls in this code base never pass
// tokens, codes or secrets on purpose, and the redaction list is the net under that rule.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

const PINO_LEVEL: Record<LogLevel, pino.Level> = { 0: 'debug', 1: 'info', 2: 'warn' };

/** Field names whose values must never reach a log line, at any depth pino can address. */
const SECRET_FIELDS = [
  'authorization', 'cookie', 'set-cookie', 'access_token', 'refresh_token', 'id_token', 'code',
  'code_verifier', 'client_secret', 'secret', 'token', 'password', 'state', 'nonce', 'assertion',
  'cookieKeys', 'clientSecret', 'accessToken', 'refreshToken', 'idToken', 'codeVerifier',
];

const REDACT_PATHS = [
  ...SECRET_FIELDS.map((f) => (f.includes('-') ? `["${f}"]` : f)),
  ...SECRET_FIELDS.map((f) => (f.includes('-') ? `*["${f}"]` : `*.${f}`)),
  'req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]',
];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    {
      level: PINO_LEVEL[level],
      base: { service: 'mcpauth-sidecar' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination ?? pino.destination({ sync: false }),
  );
}
