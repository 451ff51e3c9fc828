// The baseline's mutation: `changeJobStatus(input: { id, expectedVersion, status }) { job { id status version } }`
// with the writes the API's pipeline makes, by hand: in ONE transaction the job row (optimistic version check, the
// job state machine), its audit row, the `job.status_changed` outbox message and its `webhook.fanout` worker job
// (graphile_worker.add_jobs, which NOTIFYs the worker at commit); after the commit the event is published on the
// same Redis channels as the API's pubsub. Five statements: BEGIN, SELECT … FOR UPDATE, UPDATE … RETURNING, one
// statement for audit + outbox + worker job, COMMIT.
// What it does less than the API: no row-level security or role switch, the audit row's actor label is not looked up
// (the API records the user's email), and no status alias messages (`job.completed`: the bench never completes a job).
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type pg from "pg";
import { jobStatus } from "../../src/domain/job-status.ts";
import type { JobStatus } from "../../src/generated/prisma/enums.ts";
import { fromGlobalId, globalId } from "./queries.ts";

export interface Caller {
  tenantId: string;
  actor: { kind: "user" | "api_key"; id: string };
  requestId: string;
  ip: string | null;
  userAgent: string | null;
  webhooksEnabled: boolean;
}

/** A GraphQL-shaped failure (`errors[0].extensions.code`), thrown to the server's handler. */
export class BaselineError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

type Row = Record<string, unknown> & { id: string; status: string; version: number; archivedAt: Date | null };

const WRITE_EVENT = `
  WITH audit AS (
    INSERT INTO "AuditEvent" ("id", "tenantId", "changedAt", "actorKind", "actorId", "actorLabel", "onBehalfOf", "action", "eventType",
                              "entityType", "entityId", "before", "after", "requestId", "ip", "userAgent")
    VALUES ($1::uuid, $2::uuid, ($3::timestamptz AT TIME ZONE 'UTC'), $4, $5, NULL, NULL, 'status_changed', 'job.status_changed',
            'job', $6, $7::jsonb, $8::jsonb, $9, $10, $11)
  ), message AS (
    INSERT INTO "WebhookMessage" (id, "tenantId", "eventType", payload, "occurredAt")
    SELECT $1::uuid, $2::uuid, 'job.status_changed', $12, ($3::timestamptz AT TIME ZONE 'UTC') WHERE $14::boolean
  )
  SELECT graphile_worker.add_jobs(ARRAY(SELECT json_populate_record(NULL::graphile_worker.job_spec, s) FROM json_array_elements($13::json) AS s))`;

export async function changeJobStatus(db: pg.Pool, redis: { client: Redis; prefix: string } | null, caller: Caller, variables: Record<string, unknown>) {
  const input = (variables.input ?? {}) as { id?: unknown; expectedVersion?: unknown; status?: unknown };
  const id = fromGlobalId(input.id, "Job");
  const to = typeof input.status === "string" ? (input.status.toLowerCase() as JobStatus) : null;
  if (!id || !to || typeof input.expectedVersion !== "number") throw new BaselineError("BAD_USER_INPUT", "invalid input");
  const client = await db.connect();
  let event: Record<string, unknown>;
  let after: Row;
  try {
    await client.query("BEGIN");
    const before = (await client.query<Row>(`SELECT * FROM "Job" WHERE id = $1 AND "tenantId" = $2 FOR UPDATE`, [id, caller.tenantId])).rows[0];
    if (!before) throw new BaselineError("NOT_FOUND", "job not found");
    if (before.version !== input.expectedVersion) throw new BaselineError("CONFLICT", `version ${before.version}, you sent ${input.expectedVersion}`);
    if (before.archivedAt) throw new BaselineError("CONFLICT", "archived");
    if (!jobStatus.next(before.status as JobStatus).includes(to)) throw new BaselineError("BAD_USER_INPUT", `cannot move from ${before.status} to ${to}`);
    after = (
      await client.query<Row>(
        `UPDATE "Job" SET status = $2::"JobStatus", "completedAt" = CASE WHEN $2 = 'complete' THEN now() AT TIME ZONE 'UTC' ELSE "completedAt" END,
                version = version + 1, "updatedAt" = now() AT TIME ZONE 'UTC' WHERE id = $1 RETURNING *`,
        [id, to],
      )
    ).rows[0]!;
    const previous = Object.fromEntries(Object.keys(before).filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).map((k) => [k, before[k]]));
    const occurredAt = new Date();
    const eventId = randomUUID();
    event = {
      id: eventId, type: "job.status_changed", tenantId: caller.tenantId, entityType: "job", entityId: id, action: "status_changed",
      occurredAt, requestId: caller.requestId, actor: caller.actor, before, after,
    };
    const payload = JSON.stringify({
      id: eventId, type: "job.status_changed", version: 1, timestamp: occurredAt.toISOString(), tenantId: caller.tenantId,
      data: { entityType: "job", entityId: id, action: "status_changed", object: after, previous, truncated: false },
    });
    const fanout = JSON.stringify(!caller.webhooksEnabled ? [] : [{ identifier: "webhook.fanout", payload: { tenantId: caller.tenantId, messageId: eventId }, queue_name: null, run_at: null, max_attempts: 25, job_key: null }]);
    await client.query(WRITE_EVENT, [
      eventId, caller.tenantId, occurredAt.toISOString(), caller.actor.kind, caller.actor.id, id, JSON.stringify(before), JSON.stringify(after),
      caller.requestId, caller.ip, caller.userAgent?.slice(0, 512) ?? null, payload, fanout, caller.webhooksEnabled,
    ]);
    await client.query("COMMIT");
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
  if (redis) {
    const message = JSON.stringify(event);
    for (const topic of [`tenant:${caller.tenantId}:job`, `tenant:${caller.tenantId}:*`]) void redis.client.publish(redis.prefix + topic, message).catch(() => undefined);
  }
  return { changeJobStatus: { job: { id: globalId("Job", after.id), status: after.status.toUpperCase(), version: after.version } } };
}
