/**
 * A policy option is missing or invalid. The message is the plugin's for the same options
 * (`option "issuers[0].algorithms": unsupported algorithm "HS256" (supported: RS256, ES256,
 * EdDSA)`), and `option` names the setting (`(policy)` when the problem is the document itself).
 */
export class PolicyConfigError extends Error {
  readonly code = 'POLICY_CONFIG_INVALID';
  readonly option: string;

  readonly problem: string;

  constructor(option: string, problem: string, source?: string) {
    const text = option === '(policy)' ? problem : `option "${option}": ${problem}`;
    super(source === undefined ? text : `${source}: ${text}`);
    this.name = 'PolicyConfigError';
    this.option = option;
    this.problem = problem;
  }

  /** The same problem, with the file it was found in named first. */
  inSource(source: string): PolicyConfigError {
    return new PolicyConfigError(this.option, this.problem, source);
  }
}
