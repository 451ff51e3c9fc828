import { systemContext, type Services } from "../context.ts";
import type { Prisma } from "../db/client.ts";
import { runMutation } from "../events/pipeline.ts";
import type { MarketingPostStatus, MarketingTargetStatus } from "../generated/prisma/enums.ts";
import type { BreakerStateName } from "../integrations/resilience.ts";
import type { Logger } from "../logger.ts";
import { publicAccount } from "./accounts.ts";

/** What the worker's changes need: its own Prisma client and the process's services (for the system context). */
export interface WorkerScope {
  prisma: Prisma;
  services: Services;
  log: Logger;
}

/** A post's status from its channels' (published when all are, failed when all failed, partially when mixed). */
export function postStatusOf(targets: Array<{ status: MarketingTargetStatus }>): MarketingPostStatus {
  const done = targets.filter((t) => t.status === "published" || t.status === "failed");
  if (done.length < targets.length) return "publishing";
  if (done.every((t) => t.status === "published")) return "published";
  return done.some((t) => t.status === "published") ? "partially_published" : "failed";
}

const postEventType: Partial<Record<MarketingPostStatus, string>> = {
  published: "marketing_post.published",
  partially_published: "marketing_post.partially_published",
  failed: "marketing_post.failed",
};

/**
 * The end of one channel's publication, through the pipeline as the system (one transaction: the target, the
 * post's aggregate status, the audit row, the outbox; then the live event). Channels of one post finish one after
 * the other (the post's row is locked first), so the last one always sees the others' outcomes. The event is
 * `marketing_post.published | partially_published | failed` when the post reached that state, else
 * `marketing_post.status_changed`.
 */
export async function finishTarget(scope: WorkerScope, tenantId: string, targetId: string, data: { status: MarketingTargetStatus; externalPostId?: string; externalUrl?: string | null; lastError?: string | null }) {
  const ctx = await systemContext(tenantId, "marketing", scope.log, scope.services, scope.prisma);
  if (!ctx) return;
  await runMutation(ctx, { entityType: "marketing_post", action: "status_changed" }, async (tx) => {
    // the post's row first, locked: two channels finishing at once would otherwise each read the other as still
    // publishing (READ COMMITTED: neither sees the other's uncommitted target) and leave the post PUBLISHING for good.
    // The statements after the lock see every channel committed before it
    await tx.$queryRaw`SELECT 1 FROM "MarketingPost" WHERE "id" = (SELECT "postId" FROM "MarketingPostTarget" WHERE "id" = ${targetId}::uuid) FOR UPDATE`;
    const target = await tx.marketingPostTarget.update({ where: { id: targetId }, data: { ...data, publishedAt: data.status === "published" ? new Date() : undefined } });
    const before = await tx.marketingPost.findUniqueOrThrow({ where: { id: target.postId } });
    const targets = await tx.marketingPostTarget.findMany({ where: { postId: target.postId }, select: { status: true } });
    const status = postStatusOf(targets);
    const after = await tx.marketingPost.update({
      where: { id: target.postId },
      data: { status, version: { increment: 1 }, ...(status === "published" || status === "partially_published" ? { publishedAt: new Date() } : {}) },
    });
    return { result: after, entityId: after.id, before, after, eventType: postEventType[status] ?? "marketing_post.status_changed" };
  });
}

/** An account whose tokens the platform refused: NEEDS_RECONNECT with the reason (event `channel_account.needs_reconnect`). */
export async function markNeedsReconnect(scope: WorkerScope, tenantId: string, accountId: string, reason: string) {
  const ctx = await systemContext(tenantId, "marketing", scope.log, scope.services, scope.prisma);
  if (!ctx) return;
  await runMutation(ctx, { entityType: "channel_account", action: "status_changed" }, async (tx) => {
    const before = await tx.channelAccount.findUniqueOrThrow({ where: { id: accountId } });
    const after = await tx.channelAccount.update({ where: { id: accountId }, data: { status: "needs_reconnect", lastError: reason.slice(0, 500), version: { increment: 1 } } });
    return { result: after, entityId: accountId, before: publicAccount(before), after: publicAccount(after), eventType: "channel_account.needs_reconnect" };
  });
}

/** Records an account's breaker transition so the account shows it (event `channel_account.updated`, live). */
export async function recordBreaker(scope: WorkerScope, tenantId: string, accountId: string, state: BreakerStateName) {
  const ctx = await systemContext(tenantId, "marketing", scope.log, scope.services, scope.prisma);
  if (!ctx) return;
  await runMutation(ctx, { entityType: "channel_account", action: "updated" }, async (tx) => {
    const before = await tx.channelAccount.findUniqueOrThrow({ where: { id: accountId } });
    const after = await tx.channelAccount.update({ where: { id: accountId }, data: { breakerState: state, breakerChangedAt: new Date() } });
    return { result: after, entityId: accountId, before: publicAccount(before), after: publicAccount(after) };
  });
}
