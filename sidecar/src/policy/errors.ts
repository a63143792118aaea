/**
 * A policy option is missing or invalid. `option` names it the way the user spelled the contract
 * (`issuers[1].algorithms`), so start-up fails with a message pointing at the setting.
 */
export class PolicyConfigError extends Error {
  readonly code = 'POLICY_CONFIG_INVALID';
  readonly option: string;

  constructor(option: string, problem: string) {
    super(`policy option ${option}: ${problem}`);
    this.name = 'PolicyConfigError';
    this.option = option;
  }
}
