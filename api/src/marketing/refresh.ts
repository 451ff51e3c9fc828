import { tenantScoped } from "../db/tenancy.ts";
import { ProviderError } from "../integrations/provider.ts";
import { tokenContext } from "../integrations/token-box.ts";
import { markNeedsReconnect, type WorkerScope } from "./outcomes.ts";
import { credentialsOf, type MarketingRuntime } from "./runtime.ts";

/** Tokens expiring within this window are refreshed by the recurring task. */
export const REFRESH_AHEAD_MS = 7 * 24 * 3_600_000;

/**
 * Refreshes every connected account whose token expires within REFRESH_AHEAD_MS (the `marketing.refresh_tokens`
 * task, hourly): the new tokens are sealed under the current key and stored; a platform that refuses (expired or
 * revoked grant) turns the account NEEDS_RECONNECT with the reason (event `channel_account.needs_reconnect`); a
 * retryable failure leaves it for the next run. Returns how many were refreshed and how many need reconnecting.
 */
export async function refreshExpiringTokens(scope: WorkerScope, runtime: MarketingRuntime, now = new Date()) {
  const { prisma } = scope;
  const counts = { refreshed: 0, needsReconnect: 0, failed: 0 };
  const tenants = await prisma.tenant.findMany({ select: { id: true } });
  for (const { id: tenantId } of tenants) {
    const accounts = await tenantScoped(prisma, tenantId).channelAccount.findMany({
      where: { status: "connected", tokenExpiresAt: { lt: new Date(now.getTime() + REFRESH_AHEAD_MS) } },
    });
    for (const account of accounts) {
      const provider = runtime.provider(account.platform);
      if ("unavailable" in provider || !account.accessTokenSealed) continue;
      try {
        const current = credentialsOf(runtime, { ...account, accessTokenSealed: account.accessTokenSealed });
        const tokens = await provider.refresh(current);
        const access = runtime.box.seal(tokens.accessToken, tokenContext.access(account.id));
        // Google does not issue a new refresh token on refresh: the old one is kept (sealed again, under the current key)
        const refreshToken = tokens.refreshToken ?? current.refreshToken;
        const refresh = refreshToken ? runtime.box.seal(refreshToken, tokenContext.refresh(account.id)).sealed : null;
        await tenantScoped(prisma, tenantId).channelAccount.update({
          where: { id: account.id },
          data: { accessTokenSealed: access.sealed, refreshTokenSealed: refresh, tokenKeyId: access.keyId, tokenExpiresAt: tokens.expiresAt, lastError: null },
        });
        counts.refreshed++;
      } catch (err) {
        if (err instanceof ProviderError && err.kind !== "retryable") {
          await markNeedsReconnect(scope, tenantId, account.id, `token refresh refused: ${err.message}`);
          counts.needsReconnect++;
        } else {
          scope.log.warn({ accountId: account.id, reason: (err as Error).message }, "token refresh failed; trying again next run");
          counts.failed++;
        }
      }
    }
  }
  return counts;
}
