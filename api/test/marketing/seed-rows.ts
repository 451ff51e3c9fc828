import type { Prisma } from "../../src/db/client.ts";

/**
 * Marketing rows of one tenant (a channel account that needs reconnecting, a scheduled and a failed post with their
 * channels and an attempt, a connect attempt in progress), written directly: other tenants' objects for the isolation
 * matrix to aim at. Tokens are placeholders (the account holds none).
 */
export async function seedMarketing(prisma: Prisma, tenantId: string): Promise<void> {
  const account = await prisma.channelAccount.create({
    data: { tenantId, platform: "facebook", externalId: `iso-${tenantId.slice(0, 8)}`, name: "Isolation Page", status: "needs_reconnect", tokenKeyId: "none", lastError: "seeded" },
  });
  for (const [status, target] of [["scheduled", "pending"], ["failed", "failed"]] as const) {
    const post = await prisma.marketingPost.create({ data: { tenantId, text: `Isolation ${status}`, status, scheduledAt: new Date(Date.now() + 86_400_000) } });
    const t = await prisma.marketingPostTarget.create({ data: { tenantId, postId: post.id, channelAccountId: account.id, status: target, idempotencyKey: crypto.randomUUID() } });
    await prisma.marketingPublishAttempt.create({ data: { tenantId, targetId: t.id, outcome: target === "failed" ? "failed" : null, error: target === "failed" ? "seeded" : null } });
  }
  await prisma.channelConnectAttempt.create({
    data: { tenantId, platform: "facebook", state: `iso.${crypto.randomUUID()}`, codeVerifierSealed: "none", tokenKeyId: "none", returnTo: "/marketing", expiresAt: new Date(Date.now() + 600_000), candidates: [{ externalId: "1", name: "x" }] },
  });
}
