import type { PrismaTx } from "./store.ts";

/** A message's place in event order: event time, then id for events of the same millisecond. */
export interface EventPosition {
  id: string;
  occurredAt: Date;
}

/**
 * The fan-out barrier of one endpoint (built-in deliverer): the tenant's oldest message not yet fanned out that the
 * endpoint could get (any message but a test event aimed at another endpoint), or null when there is none.
 *
 * Why: the outbox only writes messages; a `webhook.fanout` job per message creates their deliveries later, and those
 * jobs run in parallel and commit in any order. A drain that sent a pending delivery while an older message was
 * still waiting for its fan-out could deliver a newer event before an older one. So a drain sends only deliveries
 * whose message is strictly before the barrier ({@link beforeBarrier}); the rest wait, and the fan-out job that
 * moves the barrier wakes the drains (jobs/webhook-fanout.ts). A fan-out job that fails holds the tenant's later
 * deliveries until graphile-worker's retry of it succeeds: order over speed.
 *
 * Read it in the drain's transaction BEFORE its pending deliveries: every message older than the barrier was fanned
 * out when the barrier was read, so its deliveries are among the pending ones read after (or already sent). The
 * scan orders by all four columns of its index (tenantId, fannedOutAt, occurredAt, id), so it needs no sort.
 */
export async function fanOutBarrier(tx: PrismaTx, tenantId: string, endpointId: string): Promise<EventPosition | null> {
  const rows = await tx.$queryRaw<EventPosition[]>`
    SELECT "id", "occurredAt" FROM "WebhookMessage"
    WHERE "tenantId" = ${tenantId}::uuid AND "fannedOutAt" IS NULL AND ("targetEndpointId" IS NULL OR "targetEndpointId" = ${endpointId}::uuid)
    ORDER BY "tenantId", "fannedOutAt", "occurredAt", "id"
    LIMIT 1`;
  return rows[0] ?? null;
}

/**
 * Whether the barrier still holds, checked by a drain before it stops at it, so that no wake-up is lost: true when
 * the barrier message is still not fanned out, and then its row stays locked (`FOR SHARE`) until `tx` ends. The
 * fan-out job marks the message fanned out before it looks for endpoints with pending deliveries to wake; the lock
 * keeps that look after `tx`, so it sees every pending delivery the drain saw, and wakes the endpoint. False when
 * the message has been fanned out meanwhile (after waiting for a fan-out that is committing): read the line again.
 */
export async function barrierHolds(tx: PrismaTx, barrier: EventPosition): Promise<boolean> {
  const rows = await tx.$queryRaw<unknown[]>`SELECT 1 FROM "WebhookMessage" WHERE "id" = ${barrier.id}::uuid AND "fannedOutAt" IS NULL FOR SHARE`;
  return rows.length > 0;
}

/** Whether a message comes before the barrier in event order (everything does when there is no barrier). */
export function beforeBarrier(message: EventPosition, barrier: EventPosition | null): boolean {
  if (!barrier) return true;
  const [a, b] = [message.occurredAt.getTime(), barrier.occurredAt.getTime()];
  return a < b || (a === b && message.id < barrier.id);
}
