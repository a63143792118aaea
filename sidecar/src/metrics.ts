// Prometheus metrics. Each sidecar instance owns its registry (tests run several in one process).
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export interface Metrics {
  registry: Registry;
  /** result: success | denied | error */
  logins: Counter<'result'>;
  /** grant_type: authorization_code | refresh_token */
  tokensIssued: Counter<'grant_type'>;
  /** reason: a short fixed word, e.g. email_not_allowed, consent_denied, rate_limited */
  denials: Counter<'reason'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    logins: new Counter({
      name: 'mcpauth_logins_total',
      help: 'Upstream logins by result',
      labelNames: ['result'],
      registers: [registry],
    }),
    tokensIssued: new Counter({
      name: 'mcpauth_tokens_issued_total',
      help: 'Tokens issued at the token endpoint by grant type',
      labelNames: ['grant_type'],
      registers: [registry],
    }),
    denials: new Counter({
      name: 'mcpauth_denials_total',
      help: 'Requests refused by the sidecar, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}
