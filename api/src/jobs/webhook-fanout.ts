import type { Task } from "graphile-worker";
import { z } from "zod";
import { tenantOwned } from "../db/tenancy.ts";
import { endpointWantsEvent } from "../webhooks/deliverer.ts";
import { enqueueJobs, webhookJobs, withTenantTx } from "../webhooks/store.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";

export const fanoutPayload = z.object({ tenantId: z.uuid(), messageId: z.uuid() });

/**
 * `webhook.fanout`: sends one outbox message on (enqueued with it, in the mutation's transaction: webhooks/outbox.ts).
 * - Built-in deliverer ({@link fanOutBuiltin}): creates the message's deliveries and wakes the drains, in one
 *   transaction.
 * - Svix: hands the message to Svix, which fans it out to the subscribed endpoints itself. One idempotent send (the
 *   event id is the idempotency key); a re-run after a crash sends nothing new.
 * Either way the message is marked fanned out (`fannedOutAt`) once done. A job that fails is retried by
 * graphile-worker (exponential backoff); with the built-in deliverer, the tenant's later messages wait for it
 * meanwhile (webhooks/fanout-barrier.ts): order over speed.
 */
export function fanoutTask(deps: WebhookWorkerDeps): Task {
  const { prisma, deliverer } = deps;
  return async (raw) => {
    const { tenantId, messageId } = fanoutPayload.parse(raw);
    if (!deliverer.fansOut) return fanOutBuiltin(deps, tenantId, messageId);
    const message = await withTenantTx(prisma, tenantId, (tx) => tx.webhookMessage.findFirst({ where: { id: messageId, tenantId } }));
    if (!message || message.providerMessageId) return; // deleted with its tenant, or already sent
    const sent = await deliverer.send({ id: message.id, tenantId, eventType: message.eventType, payload: message.payload });
    const providerMessageId = sent.via === "svix" ? sent.providerMessageId : null;
    await withTenantTx(prisma, tenantId, (tx) => tx.webhookMessage.updateMany({ where: { id: messageId, tenantId }, data: { providerMessageId, fannedOutAt: new Date() } }));
  };
}

/**
 * Built-in fan-out, one transaction (a re-run after a crash finds the message fanned out, or redoes it all):
 * 1. the message is marked fanned out, which moves the barrier of the tenant's endpoints (waiting, first, for any
 *    drain that holds the message's row as the barrier it stops at: webhooks/fanout-barrier.ts);
 * 2. one WebhookDelivery per endpoint that existed when the event occurred, is enabled and subscribes to the
 *    message's type (the target endpoint only, for a test event); `skipDuplicates`, as a resend may have made one;
 * 3. a drain job for every enabled endpoint of the tenant with pending deliveries: the endpoints that just got one,
 *    and any whose drain stopped at this message's barrier. Read after step 1, so it sees those drains' deliveries.
 */
async function fanOutBuiltin({ prisma }: WebhookWorkerDeps, tenantId: string, messageId: string): Promise<void> {
  await withTenantTx(prisma, tenantId, async (tx) => {
    const [message] = await tx.webhookMessage.updateManyAndReturn({
      where: { id: messageId, tenantId, fannedOutAt: null },
      data: { fannedOutAt: new Date() },
      select: { eventType: true, occurredAt: true, targetEndpointId: true },
    });
    if (!message) return; // deleted with its tenant, or done before a crash
    const endpoints = await tx.webhookEndpoint.findMany({
      where: { tenantId, disabled: false, createdAt: { lte: message.occurredAt }, ...(message.targetEndpointId ? { id: message.targetEndpointId } : {}) },
      select: { id: true, disabled: true, filterTypes: true },
    });
    const deliveries = endpoints
      .filter((e) => message.targetEndpointId || endpointWantsEvent(e, message.eventType))
      .map((e) => tenantOwned({ tenantId, messageId, endpointId: e.id, nextAttemptAt: message.occurredAt }));
    if (deliveries.length) await tx.webhookDelivery.createMany({ data: deliveries, skipDuplicates: true });
    const waiting = await tx.webhookEndpoint.findMany({ where: { tenantId, disabled: false, deliveries: { some: { status: "pending" } } }, select: { id: true } });
    await enqueueJobs(tx, waiting.map((e) => webhookJobs.deliver(tenantId, e.id)));
  });
}
