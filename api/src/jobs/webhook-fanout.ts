import type { Task } from "graphile-worker";
import { z } from "zod";
import { enqueueJobs, webhookJobs, withTenantTx } from "../webhooks/store.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";

export const fanoutPayload = z.object({ tenantId: z.uuid(), messageId: z.uuid() });

/**
 * `webhook.fanout`: one outbox message to its endpoints. Built-in: one WebhookDelivery per subscribed, enabled
 * endpoint of the message's tenant (the target endpoint only, for a test event) and one `webhook.deliver` job each,
 * in one transaction; idempotent (a re-run after a crash adds only what is missing). Svix: one idempotent send (the
 * event id is the idempotency key); Svix fans out itself.
 */
export function fanoutTask({ prisma, deliverer }: WebhookWorkerDeps): Task {
  return async (raw) => {
    const { tenantId, messageId } = fanoutPayload.parse(raw);
    const message = await withTenantTx(prisma, tenantId, (tx) => tx.webhookMessage.findFirst({ where: { id: messageId, tenantId } }));
    if (!message) return; // deleted with its tenant: nothing to send

    if (deliverer.fansOut) {
      if (message.providerMessageId) return;
      const sent = await deliverer.send({ id: message.id, tenantId, eventType: message.eventType, payload: message.payload });
      const providerMessageId = sent.via === "svix" ? sent.providerMessageId : null;
      await withTenantTx(prisma, tenantId, (tx) => tx.webhookMessage.updateMany({ where: { id: messageId, tenantId }, data: { providerMessageId, fannedOutAt: new Date() } }));
      return;
    }

    await withTenantTx(prisma, tenantId, async (tx) => {
      const endpoints = await tx.webhookEndpoint.findMany({
        where: { tenantId, disabled: false, ...(message.targetEndpointId ? { id: message.targetEndpointId } : {}) },
      });
      const targets = message.targetEndpointId ? endpoints : endpoints.filter((e) => !e.filterTypes.length || e.filterTypes.includes(message.eventType));
      const created = await tx.webhookDelivery.createManyAndReturn({
        data: targets.map((e) => ({ tenantId, messageId, endpointId: e.id, nextAttemptAt: message.occurredAt })),
        skipDuplicates: true,
        select: { id: true, endpointId: true },
      });
      await enqueueJobs(tx, created.map((d) => webhookJobs.deliver(tenantId, d.id, d.endpointId, message.occurredAt)));
      await tx.webhookMessage.updateMany({ where: { id: messageId, tenantId }, data: { fannedOutAt: new Date() } });
    });
  };
}
