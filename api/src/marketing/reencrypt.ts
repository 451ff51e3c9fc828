import type { Prisma } from "../db/client.ts";
import { tenantScoped } from "../db/tenancy.ts";
import { tokenContext, type TokenBox } from "../integrations/token-box.ts";

/**
 * `npm run cli -- tokens:reencrypt`: re-seals every stored OAuth token (channel accounts and connect attempts in
 * progress) under the current ENCRYPTION_KEY. Run it with the new key as ENCRYPTION_KEY and the old one(s) in
 * ENCRYPTION_KEY_PREVIOUS; afterwards no row names an old key id, so the old key can be dropped. Idempotent (rows
 * already under the current key are left alone); each row is rewritten in its own statement, so a crash midway
 * leaves every row readable with one of the keys. Prints counts only, never a token.
 */
export async function reencryptTokens(prisma: Prisma, box: TokenBox): Promise<{ accounts: number; attempts: number }> {
  const counts = { accounts: 0, attempts: 0 };
  for (const { id: tenantId } of await prisma.tenant.findMany({ select: { id: true } })) {
    const accounts = await tenantScoped(prisma, tenantId).channelAccount.findMany({ where: { tokenKeyId: { not: box.keyId } } });
    for (const a of accounts) {
      const reseal = (sealed: string | null, context: string) => (sealed ? box.reseal(sealed, a.tokenKeyId, context).sealed : null);
      await tenantScoped(prisma, tenantId).channelAccount.updateMany({
        where: { id: a.id, tokenKeyId: a.tokenKeyId },
        data: { accessTokenSealed: reseal(a.accessTokenSealed, tokenContext.access(a.id)), refreshTokenSealed: reseal(a.refreshTokenSealed, tokenContext.refresh(a.id)), tokenKeyId: box.keyId },
      });
      counts.accounts++;
    }
    const attempts = await tenantScoped(prisma, tenantId).channelConnectAttempt.findMany({ where: { tokenKeyId: { not: box.keyId } } });
    for (const a of attempts) {
      const reseal = (sealed: string | null, context: string) => (sealed ? box.reseal(sealed, a.tokenKeyId, context).sealed : null);
      await tenantScoped(prisma, tenantId).channelConnectAttempt.updateMany({
        where: { id: a.id, tokenKeyId: a.tokenKeyId },
        data: {
          codeVerifierSealed: reseal(a.codeVerifierSealed, tokenContext.verifier(a.id))!,
          userTokenSealed: reseal(a.userTokenSealed, tokenContext.userToken(a.id)),
          refreshTokenSealed: reseal(a.refreshTokenSealed, tokenContext.userRefresh(a.id)),
          tokenKeyId: box.keyId,
        },
      });
      counts.attempts++;
    }
  }
  return counts;
}
