// Consent is remembered per (user, client), not per browser session: MCP clients open a fresh
// system browser (or another profile) for each authorization, and the user should see the
// consent page once per client, not once per browser.
import { createHash } from 'node:crypto';
import type { Adapter, Grant, KoaContextWithOIDC } from 'oidc-provider';

export class ConsentIndex {
  readonly #adapter: Adapter;
  readonly #ttlSeconds: number;

  constructor(adapter: Adapter, ttlSeconds: number) {
    this.#adapter = adapter;
    this.#ttlSeconds = ttlSeconds;
  }

  static key(accountId: string, clientId: string): string {
    return createHash('sha256').update(`${accountId}\n${clientId}`).digest('base64url');
  }

  async grantIdFor(accountId: string, clientId: string): Promise<string | undefined> {
    const found = (await this.#adapter.find(ConsentIndex.key(accountId, clientId))) as { grantId?: string } | undefined;
    return found?.grantId;
  }

  async remember(accountId: string, clientId: string, grantId: string): Promise<void> {
    await this.#adapter.upsert(ConsentIndex.key(accountId, clientId), { grantId } as never, this.#ttlSeconds);
  }
}

/**
 * `loadExistingGrant`: the grant of this interaction, of this browser session, or the one the
 * user gave this client earlier (any session). A grant that expired, was revoked (refresh token
 * reuse revokes it) or belongs to someone else is ignored, so consent is asked again.
 */
export function createLoadExistingGrant(index: ConsentIndex) {
  return async (ctx: KoaContextWithOIDC): Promise<Grant | undefined> => {
    const { oidc } = ctx;
    const clientId = oidc.client!.clientId;
    const accountId = oidc.session!.accountId;
    if (!accountId) return undefined;
    const candidates = [
      oidc.result?.consent?.grantId,
      oidc.session!.grantIdFor(clientId),
      await index.grantIdFor(accountId, clientId),
    ];
    for (const grantId of candidates) {
      if (!grantId) continue;
      const grant = await oidc.provider.Grant.find(grantId);
      if (grant && grant.accountId === accountId && grant.clientId === clientId) return grant;
    }
    return undefined;
  };
}
