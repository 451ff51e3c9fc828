import type { TenantTx } from "../events/pipeline.ts";
import { tenantOwned } from "../db/tenancy.ts";
import { webhookDeliverJob } from "../jobs/definitions.ts";
import { enqueueJobs } from "../jobs/queue.ts";

/** Makes each (message, endpoint) pair pending again with a full retry schedule, and wakes the endpoints' drains (they take them by event time). */
export async function requeue(tx: TenantTx, tenantId: string, pairs: Array<{ messageId: string; endpointId: string; occurredAt: Date }>, includeSucceeded: boolean): Promise<string[]> {
  if (!pairs.length) return [];
  const existing = await tx.webhookDelivery.findMany({ where: { OR: pairs.map((p) => ({ messageId: p.messageId, endpointId: p.endpointId })) } });
  const byPair = new Map(existing.map((d) => [`${d.messageId}:${d.endpointId}`, d]));
  const missing = pairs.filter((p) => !byPair.has(`${p.messageId}:${p.endpointId}`));
  const again = existing.filter((d) => d.status === "failed" || (includeSucceeded && d.status === "succeeded"));
  const created = await tx.webhookDelivery.createManyAndReturn({
    data: missing.map((p) => tenantOwned({ messageId: p.messageId, endpointId: p.endpointId, nextAttemptAt: p.occurredAt })),
    skipDuplicates: true,
    select: { id: true, endpointId: true, messageId: true },
  });
  if (again.length) await tx.webhookDelivery.updateMany({ where: { id: { in: again.map((d) => d.id) } }, data: { status: "pending", attempts: 0, nextAttemptAt: new Date() } });
  const queued = [...created, ...again];
  await enqueueJobs(tx, [...new Set(queued.map((d) => d.endpointId))].sort().map((endpointId) => webhookDeliverJob.jobs.now(tenantId, endpointId)));
  return queued.map((d) => d.id);
}
