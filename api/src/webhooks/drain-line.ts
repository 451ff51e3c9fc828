import type pg from "pg";
import { query } from "../db/sql.ts";
import type { WebhookEndpoint } from "../generated/prisma/client.ts";
import { BARRIER_SQL, type EventPosition } from "./fanout-barrier.ts";

/** One pending delivery at the head of an endpoint's line, with what its attempt sends. */
export interface PendingDelivery {
  id: string;
  attempts: number;
  nextAttemptAt: Date | null;
  createdAt: Date;
  traceparent: string | null;
  message: EventPosition & { eventType: string; payload: string };
}

/** The endpoint's columns a drain needs (webhooks/endpoint-secrets.ts `endpointConfig` takes them). */
export type DrainEndpoint = Pick<WebhookEndpoint, "id" | "tenantId" | "url" | "description" | "filterTypes" | "rateLimitPerSecond" | "disabled" | "secrets" | "version">;

export interface Line {
  /** Null when the endpoint is gone. */
  endpoint: DrainEndpoint | null;
  /** Up to `take` of its pending deliveries, oldest event first: event time, then message id. */
  pending: PendingDelivery[];
  /** The fan-out barrier (webhooks/fanout-barrier.ts), or null when every message is fanned out. */
  barrier: EventPosition | null;
}

/**
 * An endpoint's line in ONE statement, so in one snapshot: the endpoint, the fan-out barrier, and its pending
 * deliveries with their messages. One snapshot is what the barrier needs (every message before it was fanned out,
 * so its deliveries are among the pending read). Runs on the drain's locked connection, as the tenant
 * (webhooks/endpoint-lock.ts), prepared once per connection. A row per pending delivery (the endpoint's and the
 * barrier's columns repeated), or one row with none when nothing is pending. Times are read as UTC (Prisma's
 * `timestamp(3)` columns hold UTC).
 */
export async function readLine(client: pg.ClientBase, tenantId: string, endpointId: string, take: number): Promise<Line> {
  const { rows } = await query<LineRow>(client, { name: "h2o_drain_line", text: LINE_SQL, values: [tenantId, endpointId, take] });
  const first = rows[0];
  if (!first) return { endpoint: null, pending: [], barrier: null };
  const endpoint: DrainEndpoint = {
    id: first.id,
    tenantId: first.tenantId,
    url: first.url,
    description: first.description,
    filterTypes: first.filterTypes,
    rateLimitPerSecond: first.rateLimitPerSecond,
    disabled: first.disabled,
    secrets: first.secrets,
    version: first.version,
  };
  const barrier = first.barrierId ? { id: first.barrierId, occurredAt: first.barrierAt! } : null;
  const pending = rows
    .filter((r) => r.deliveryId)
    .map((r) => ({
      id: r.deliveryId!,
      attempts: r.attempts!,
      nextAttemptAt: r.nextAttemptAt,
      createdAt: r.createdAt!,
      traceparent: r.traceparent,
      message: { id: r.messageId!, occurredAt: r.occurredAt!, eventType: r.eventType!, payload: r.payload! },
    }));
  return { endpoint, pending, barrier };
}

type LineRow = DrainEndpoint & {
  barrierId: string | null;
  barrierAt: Date | null;
  deliveryId: string | null;
  attempts: number | null;
  nextAttemptAt: Date | null;
  createdAt: Date | null;
  traceparent: string | null;
  messageId: string | null;
  occurredAt: Date | null;
  eventType: string | null;
  payload: string | null;
};

const LINE_SQL = `WITH barrier AS (${BARRIER_SQL}),
  pending AS (
    SELECT d."id", d."attempts", d."nextAttemptAt", d."createdAt", d."traceparent", d."messageId", m."occurredAt", m."eventType", m."payload"
    FROM "WebhookDelivery" d JOIN "WebhookMessage" m ON m."id" = d."messageId"
    WHERE d."tenantId" = $1::uuid AND d."endpointId" = $2::uuid AND d."status" = 'pending'
    ORDER BY m."occurredAt", d."messageId"
    LIMIT $3)
  SELECT e."id", e."tenantId", e."url", e."description", e."filterTypes", e."rateLimitPerSecond", e."disabled", e."secrets", e."version",
    b."id" AS "barrierId", b."occurredAt" AS "barrierAt",
    p."id" AS "deliveryId", p."attempts", p."nextAttemptAt" AT TIME ZONE 'UTC' AS "nextAttemptAt", p."createdAt" AT TIME ZONE 'UTC' AS "createdAt",
    p."traceparent", p."messageId", p."occurredAt" AT TIME ZONE 'UTC' AS "occurredAt", p."eventType", p."payload"
  FROM "WebhookEndpoint" e LEFT JOIN barrier b ON true LEFT JOIN pending p ON true
  WHERE e."id" = $2::uuid AND e."tenantId" = $1::uuid
  ORDER BY p."occurredAt", p."messageId"`;

/**
 * Whether the endpoint's line has a head to attempt (enabled, pending): its due time, as a statement with its
 * literals in, for a simple query after the drain's unlock (webhooks/endpoint-lock.ts); no row when there is none.
 */
export function headDueStatement(client: pg.ClientBase, tenantId: string, endpointId: string): string {
  const [t, e] = [client.escapeLiteral(tenantId), client.escapeLiteral(endpointId)];
  return `SELECT coalesce(d."nextAttemptAt", d."createdAt") AT TIME ZONE 'UTC' AS "due"
    FROM "WebhookDelivery" d JOIN "WebhookMessage" m ON m."id" = d."messageId" JOIN "WebhookEndpoint" e ON e."id" = d."endpointId"
    WHERE d."tenantId" = ${t}::uuid AND d."endpointId" = ${e}::uuid AND d."status" = 'pending' AND NOT e."disabled"
    ORDER BY m."occurredAt", d."messageId" LIMIT 1`;
}
