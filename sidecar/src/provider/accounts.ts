// Accounts are the users the upstream provider vouched for. The sidecar keeps no user database:
// a login stores what the upstream ID token said (email, email_verified) under
// `<upstream iss>|<sub>`, so token claims can be minted later (refresh) without Google.
import type { Account, Adapter, FindAccount } from 'oidc-provider';
import { emailAllowed, normalizeEmail } from '../policy/email.js';

export interface AccountRecord {
  accountId: string;
  email: string;
  emailVerified: boolean;
  name?: string;
  /** epoch seconds of the last upstream login */
  loginAt: number;
}

export function accountIdFor(upstreamIssuer: string, subject: string): string {
  return `${upstreamIssuer}|${subject}`;
}

export class AccountStore {
  readonly #adapter: Adapter;
  readonly #ttlSeconds: number;

  /** `ttlSeconds` must outlive every refresh token minted for the account. */
  constructor(adapter: Adapter, ttlSeconds: number) {
    this.#adapter = adapter;
    this.#ttlSeconds = ttlSeconds;
  }

  async remember(record: AccountRecord): Promise<void> {
    await this.#adapter.upsert(record.accountId, { ...record } as never, this.#ttlSeconds);
  }

  async find(accountId: string): Promise<AccountRecord | undefined> {
    const found = (await this.#adapter.find(accountId)) as unknown as AccountRecord | undefined;
    return found ?? undefined;
  }
}

/**
 * Admission rule shared by login and every later token issuance: the upstream verified the
 * email, and the allowlist (when set) names it. Returns the refusal reason or undefined.
 */
export function accountRefusal(
  email: unknown,
  emailVerified: unknown,
  allowlist: readonly string[],
): 'email_not_verified' | 'email_not_allowed' | 'email_missing' | undefined {
  const normalized = normalizeEmail(email);
  if (normalized === undefined) return 'email_missing';
  if (emailVerified !== true) return 'email_not_verified';
  if (allowlist.length > 0 && !emailAllowed(normalized, allowlist)) return 'email_not_allowed';
  return undefined;
}

/**
 * oidc-provider `findAccount`: an account exists while its record does and it is still admitted
 * (an address removed from ALLOWED_EMAILS stops refreshing at once).
 */
export function createFindAccount(store: AccountStore, allowlist: readonly string[]): FindAccount {
  return async (_ctx, sub): Promise<Account | undefined> => {
    const record = await store.find(sub);
    if (!record || accountRefusal(record.email, record.emailVerified, allowlist)) return undefined;
    return {
      accountId: record.accountId,
      claims: () => ({ sub: record.accountId, email: record.email, email_verified: record.emailVerified }),
    };
  };
}
