// Short-lived records of the upstream login, kept in the shared storage so any replica can
// answer the callback. Two kinds, both single-use:
// - `tx:<state>`: what the callback needs to redeem the upstream code (PKCE verifier, nonce),
//   and which interaction it belongs to;
// - `done:<ref>`: the outcome of a completed callback, picked up by the interaction route that
//   holds the browser's interaction cookie.
import { randomBytes } from 'node:crypto';
import type { Adapter } from 'oidc-provider';
import type { LoginTransaction } from '../upstream/upstream-login.js';

export interface PendingLogin extends LoginTransaction {
  uid: string;
}

export type LoginOutcome =
  | { uid: string; accountId: string }
  | { uid: string; error: string; errorDescription: string };

const TX_TTL_SECONDS = 15 * 60;
const OUTCOME_TTL_SECONDS = 120;

export class LoginStore {
  readonly #adapter: Adapter;

  constructor(adapter: Adapter) {
    this.#adapter = adapter;
  }

  async savePending(pending: PendingLogin): Promise<void> {
    await this.#adapter.upsert(`tx:${pending.state}`, { ...pending } as never, TX_TTL_SECONDS);
  }

  /** Finds and deletes: a state value works once. */
  async takePending(state: string): Promise<PendingLogin | undefined> {
    return this.#take(`tx:${state}`) as Promise<PendingLogin | undefined>;
  }

  async saveOutcome(outcome: LoginOutcome): Promise<string> {
    const ref = randomBytes(24).toString('base64url');
    await this.#adapter.upsert(`done:${ref}`, { ...outcome } as never, OUTCOME_TTL_SECONDS);
    return ref;
  }

  async takeOutcome(ref: string): Promise<LoginOutcome | undefined> {
    return this.#take(`done:${ref}`) as Promise<LoginOutcome | undefined>;
  }

  /** Single use even with two concurrent callers: the storage's consume is atomic and throws
   *  for an already consumed record, so only one caller gets past it. */
  async #take(id: string): Promise<unknown> {
    const found = (await this.#adapter.find(id)) as { consumed?: unknown } | undefined;
    if (!found || found.consumed) return undefined;
    try {
      await this.#adapter.consume(id);
    } catch (err) {
      if ((err as { error?: unknown }).error === 'invalid_grant') return undefined;
      throw err;
    }
    await this.#adapter.destroy(id);
    return found;
  }
}
