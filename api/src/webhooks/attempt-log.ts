import type pg from "pg";
import { query } from "../db/sql.ts";
import type { AttemptRecord } from "./deliverer.ts";

/** The delivery's state after an attempt (the drain decides it from the outcome). */
export interface DeliveryUpdate {
  deliveryId: string;
  status: "pending" | "succeeded" | "failed";
  nextAttemptAt: Date | null;
}

/** The endpoint as it stands after the attempt was recorded. */
export interface EndpointAfter {
  version: number;
  disabled: boolean;
  failingSince: Date | null;
}

/**
 * Records one attempt in ONE statement (so one transaction, one round trip): the attempt row, the delivery's new
 * state, and the endpoint's failure streak (`failingSince` set by the first failure of a run, cleared by a success;
 * the endpoint row is written only when that changes). Returns the endpoint after it, or null when it is gone.
 * Runs on the drain's own connection, as the tenant (webhooks/endpoint-lock.ts), without Prisma: this is the hot path
 * of delivery. A prepared statement (named): planned once per connection, not at every attempt (planning this
 * statement took twice the server time of running it).
 * Asynchronous commit (`synchronous_commit = off`, set for the drain's length by webhooks/endpoint-lock.ts): a commit
 * returns without waiting for the WAL flush (3 ms a commit on this kind of machine, which capped an endpoint at ~300
 * attempts/s). What that risks: a crash of the database server itself (not of a worker: the commit is in the server)
 * can forget the last few hundred ms of attempt records; those deliveries are then sent again, in order, with the
 * same `webhook-id`: at-least-once, as for a worker crash. Never a lost or reordered delivery; the database stays
 * consistent (PostgreSQL's documented guarantee).
 * Times are UTC both ways (the columns are `timestamp(3)` as Prisma writes them; read back as `timestamptz`).
 */
export async function recordAttempt(client: pg.PoolClient, record: AttemptRecord, update: DeliveryUpdate): Promise<EndpointAfter | null> {
  const { rows } = await query<EndpointAfter & { changed: Date | null; wasChanged: boolean }>(client, {
    name: "h2o_record_attempt",
    text: `WITH attempt AS (
       INSERT INTO "WebhookAttempt" ("id", "tenantId", "deliveryId", "messageId", "endpointId", "attempt", "startedAt", "latencyMs", "statusCode", "responseBodyExcerpt", "error", "success")
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ), delivery AS (
       UPDATE "WebhookDelivery" SET "status" = $12::"WebhookDeliveryStatus", "attempts" = $5, "nextAttemptAt" = $13, "lastAttemptAt" = $6,
         "lastStatusCode" = $8, "lastError" = $10, "updatedAt" = (now() AT TIME ZONE 'UTC')
       WHERE "id" = $2
     ), streak AS (
       UPDATE "WebhookEndpoint" SET "failingSince" = CASE WHEN $11 THEN NULL ELSE $6::timestamp END, "updatedAt" = (now() AT TIME ZONE 'UTC')
       WHERE "id" = $4 AND "tenantId" = $1 AND ("failingSince" IS NOT NULL) = $11
       RETURNING "failingSince"
     )
     SELECT e."version", e."disabled", (SELECT count(*) > 0 FROM streak) AS "wasChanged",
       (SELECT "failingSince" AT TIME ZONE 'UTC' FROM streak) AS "changed", e."failingSince" AT TIME ZONE 'UTC' AS "failingSince"
     FROM "WebhookEndpoint" e WHERE e."id" = $4 AND e."tenantId" = $1`,
    values: [
      record.tenantId, update.deliveryId, record.messageId, record.endpointId, record.attempt, utc(record.startedAt), record.latencyMs,
      record.statusCode, record.responseBodyExcerpt, record.error, record.success, update.status, update.nextAttemptAt && utc(update.nextAttemptAt),
    ],
  });
  const row = rows[0];
  if (!row) return null;
  return { version: row.version, disabled: row.disabled, failingSince: row.wasChanged ? row.changed : row.failingSince };
}

/** Prisma's DateTime columns are `timestamp(3)` holding UTC: an ISO string in UTC goes in as exactly that. */
const utc = (d: Date) => d.toISOString();
