import type pg from "pg";
import { query } from "../db/sql.ts";

/** A message's place in event order: event time, then id for events of the same millisecond. */
export interface EventPosition {
  id: string;
  occurredAt: Date;
}

/**
 * The fan-out barrier of one endpoint (built-in deliverer), as a subquery on `$1` (tenant) and `$2` (endpoint): the
 * tenant's oldest message not yet fanned out that the endpoint could get (any message but a test event aimed at
 * another endpoint); no row when there is none.
 *
 * Why: the outbox only writes messages; a `webhook.fanout` job per message creates their deliveries later, and those
 * jobs run in parallel and commit in any order. A drain that sent a pending delivery while an older message was
 * still waiting for its fan-out could deliver a newer event before an older one. So a drain sends only deliveries
 * whose message is strictly before the barrier ({@link beforeBarrier}); the rest wait, and the fan-out job that
 * moves the barrier wakes the drains (jobs/webhook-fanout.ts). A fan-out job that fails holds the tenant's later
 * deliveries until graphile-worker's retry of it succeeds: order over speed.
 *
 * Read it in the same snapshot as the endpoint's pending deliveries (one statement: webhooks/drain-line.ts), or
 * before them: every message older than the barrier was fanned out when the barrier was read, so its deliveries are
 * among the pending ones read (or already sent). The scan orders by all four columns of its index (tenantId,
 * fannedOutAt, occurredAt, id), so it needs no sort (qualified: the output column `occurredAt`, in UTC, is another).
 */
export const BARRIER_SQL = `SELECT w."id", w."occurredAt" AT TIME ZONE 'UTC' AS "occurredAt" FROM "WebhookMessage" w
    WHERE w."tenantId" = $1::uuid AND w."fannedOutAt" IS NULL AND (w."targetEndpointId" IS NULL OR w."targetEndpointId" = $2::uuid)
    ORDER BY w."tenantId", w."fannedOutAt", w."occurredAt", w."id"
    LIMIT 1`;

/**
 * Whether the barrier still holds, checked by a drain before it stops at it, so that no wake-up is lost: true when
 * the barrier message is still not fanned out, and then its row stays locked (`FOR SHARE`) until the statement's
 * transaction ends. The fan-out job marks the message fanned out before it looks for endpoints with pending
 * deliveries to wake; the lock keeps that look after this check, so it sees every pending delivery the drain saw,
 * and wakes the endpoint. False when the message has been fanned out meanwhile (after waiting for a fan-out that is
 * committing): read the line again. One statement, its own transaction.
 */
export async function barrierHolds(client: pg.ClientBase, barrier: EventPosition): Promise<boolean> {
  const { rows } = await query(client, { name: "h2o_barrier_holds", text: BARRIER_HOLDS_SQL, values: [barrier.id] });
  return rows.length > 0;
}

const BARRIER_HOLDS_SQL = `SELECT 1 FROM "WebhookMessage" WHERE "id" = $1::uuid AND "fannedOutAt" IS NULL FOR SHARE`;

/** {@link barrierHolds} as a statement of its own with its literal in, for a simple query (webhooks/endpoint-lock.ts `unlock`). */
export const barrierHoldsStatement = (client: pg.ClientBase, barrier: EventPosition) =>
  BARRIER_HOLDS_SQL.replace("$1", client.escapeLiteral(barrier.id));

/** Whether a message comes before the barrier in event order (everything does when there is no barrier). */
export function beforeBarrier(message: EventPosition, barrier: EventPosition | null): boolean {
  if (!barrier) return true;
  const [a, b] = [message.occurredAt.getTime(), barrier.occurredAt.getTime()];
  return a < b || (a === b && message.id < barrier.id);
}
