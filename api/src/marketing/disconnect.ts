import type { Context } from "../context.ts";
import { notFound } from "../errors.ts";
import { runMutation } from "../events/pipeline.ts";
import { publicAccount } from "./accounts.ts";
import { credentialsOf, marketingRuntime } from "./runtime.ts";

/**
 * Disconnects an account: the platform's grant is revoked where it allows it (a failed revoke is logged, never
 * blocks the disconnect), then, in one pipeline transaction, the sealed tokens are erased and the status is
 * DISCONNECTED (event `channel_account.disconnected`). Its pending posts fail on it with "account disconnected".
 */
export async function disconnectAccount(ctx: Context, id: string) {
  const runtime = marketingRuntime(ctx.services.env);
  const account = await ctx.db.channelAccount.findUnique({ where: { id } });
  if (!account) throw notFound("channel account");
  const provider = runtime.provider(account.platform);
  if (!("unavailable" in provider) && account.accessTokenSealed) {
    try {
      await provider.revoke(credentialsOf(runtime, { ...account, accessTokenSealed: account.accessTokenSealed }));
    } catch (err) {
      ctx.log.warn({ accountId: id, platform: account.platform, reason: (err as Error).message }, "revoking a channel account's grant failed; disconnecting anyway");
    }
  }
  return runMutation(ctx, { entityType: "channel_account", action: "updated" }, async (tx) => {
    const after = await tx.channelAccount.update({
      where: { id },
      data: { status: "disconnected", accessTokenSealed: null, refreshTokenSealed: null, tokenExpiresAt: null, version: { increment: 1 } },
    });
    return { result: { channelAccount: after }, entityId: id, before: publicAccount(account), after: publicAccount(after), eventType: "channel_account.disconnected" };
  });
}
