import { query } from "../db/sql.ts";
import type pg from "pg";
import { endpointWantsEvent } from "../webhooks/deliverer.ts";
import { tenantScoped } from "../db/tenancy.ts";
import { webhookDeliverJob } from "./definitions.ts";
import { graphileJobSpec, type JobHandler } from "./queue.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";
import { tracing } from "../telemetry/hooks.ts";

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
export function fanoutHandler(deps: WebhookWorkerDeps): JobHandler<{ tenantId: string; messageId: string; traceparent?: string }> {
  const { prisma, deliverer } = deps;
  const doneHere = new FannedOutHere();
  const builtin = async (tenantId: string, messageId: string | null, limit: number) => {
    const ids = await fanOutBuiltin(deps, tenantId, messageId, limit);
    doneHere.add(ids.filter((id) => id !== messageId)); // the running job's own message has no job to come
    return ids.length;
  };
  return async ({ tenantId, messageId, traceparent }) => {
    const run = () => fanout(tenantId, messageId);
    return tracing.span ? tracing.span("webhook.fanout", { "app.tenant_id": tenantId, "app.message_id": messageId }, traceparent, run) : run();
  };
  async function fanout(tenantId: string, messageId: string): Promise<void> {
    if (deliverer.kind === "builtin") {
      if (doneHere.take(messageId)) return; // fanned out by one of this process's batches: nothing to ask the database
      let fannedOut: number;
      try {
        fannedOut = await builtin(tenantId, messageId, FANOUT_BATCH);
      } catch (err) {
        // a message of the batch may be one whose fan-out fails: this job's own message alone, so that a failing
        // message fails its own job only (and holds the tenant's later deliveries: the barrier), not every batch
        deps.log.warn({ err, tenantId, messageId }, "webhook fan-out batch failed; fanning out the job's own message alone");
        await builtin(tenantId, messageId, 1);
        return;
      }
      // a full batch means more are waiting: go on with the next ones, oldest first, rather than leave them to their
      // own jobs, queued behind this one's drains (those jobs remain: one that fails here is left to them)
      try {
        while (fannedOut === FANOUT_BATCH) fannedOut = await builtin(tenantId, null, FANOUT_BATCH);
      } catch (err) {
        deps.log.warn({ err, tenantId }, "webhook fan-out batch failed; its messages are left to their own jobs");
      }
      return;
    }
    // as the tenant, under row-level security (db/tenancy.ts): the worker reads and marks only that tenant's message
    const db = tenantScoped(prisma, tenantId);
    const message = await db.webhookMessage.findFirst({ where: { id: messageId } });
    if (!message || message.providerMessageId) return; // deleted with its tenant, or already sent
    const { providerMessageId } = await deliverer.send({ id: message.id, tenantId, eventType: message.eventType, payload: message.payload });
    await db.webhookMessage.updateMany({ where: { id: messageId }, data: { providerMessageId, fannedOutAt: new Date() } });
  }
}

/** Messages one built-in fan-out job takes on at most: its own and the tenant's others not yet fanned out. */
const FANOUT_BATCH = 500;

/**
 * The ids of messages this process's fan-out batches committed, whose own jobs are still to come: such a job has
 * nothing to do, and ends without a transaction (under a sustained load, nearly every message is fanned out by an
 * earlier message's batch, and its job's four statements were half of the worker's). Only ever a shortcut: a message,
 * once fanned out, stays so; a job whose id is not here (another worker's batch, or one forgotten past the bound)
 * asks the database as before.
 */
class FannedOutHere {
  readonly #ids = new Set<string>();
  constructor(readonly bound = 20_000) {}
  /** Records a committed batch's ids. */
  add(ids: readonly string[]): void {
    for (const id of ids) this.#ids.add(id);
    for (const oldest of this.#ids) {
      if (this.#ids.size <= this.bound) break;
      this.#ids.delete(oldest);
    }
  }
  /** Whether `id` was fanned out here (and forgets it: a message has one job). */
  take(id: string): boolean {
    return this.#ids.delete(id);
  }
}

/**
 * Built-in fan-out, one transaction (a re-run after a crash finds the message fanned out, or redoes it all); returns
 * the ids of the messages it fanned out (`limit`: there may be more; `messageId` null: the batch only):
 * 1. the message is marked fanned out, and with it up to `limit` of the tenant's messages not yet fanned
 *    out, oldest first, those no other transaction holds (`SKIP LOCKED`: a message another fan-out is doing, or that
 *    a drain holds as the barrier it stops at, is left to its own job). Their own jobs then find them done: a
 *    backlog is fanned out a batch at a time, not a transaction per message. This moves the barrier of the tenant's
 *    endpoints (the job's own message waits, first, for any drain that holds its row: webhooks/fanout-barrier.ts);
 * 2. one WebhookDelivery per message and endpoint that existed when the event occurred, is enabled and subscribes to
 *    the message's type (the target endpoint only, for a test event); `skipDuplicates`, as a resend may have made one;
 * 3. a drain job for every enabled endpoint of the tenant with pending deliveries: the endpoints that just got one,
 *    and any whose drain stopped at one of these messages' barrier. Read after step 1, so it sees those drains'
 *    deliveries.
 * Hand-written SQL on a worker connection (`locks`), not Prisma: three round trips (steps 1 and the endpoints as a
 * simple query of several statements, each with its own snapshot, in order; step 2 and 3's jobs as one statement;
 * COMMIT), where it was nine. Asynchronous commit (as the drain's records: webhooks/attempt-log.ts): the job's
 * completion, committed synchronously after it, flushes the WAL past this commit, so a database crash can lose the
 * fan-out only together with its job's completion: the job runs again, and redoes it.
 */
async function fanOutBuiltin({ locks }: WebhookWorkerDeps, tenantId: string, messageId: string | null, limit: number): Promise<string[]> {
  const client = await locks.connect();
  let broken: Error | undefined;
  try {
    // 1. (one round trip) the messages, then the tenant's enabled endpoints, each statement with its own snapshot
    const q = (v: string) => client.escapeLiteral(v);
    const now = q(new Date().toISOString());
    const [t, own] = [q(tenantId), messageId && q(messageId)];
    const marked = `RETURNING "id", "eventType", "occurredAt" AT TIME ZONE 'UTC' AS "occurredAt", "targetEndpointId"`;
    const results = (await query(client, `BEGIN;
      SELECT set_config('app.tenant_id', ${t}, true), set_config('synchronous_commit', 'off', true);
      ${own ? `UPDATE "WebhookMessage" SET "fannedOutAt" = ${now} WHERE "id" = ${own} AND "tenantId" = ${t} AND "fannedOutAt" IS NULL ${marked};` : ""}
      UPDATE "WebhookMessage" SET "fannedOutAt" = ${now}
       WHERE "id" IN (
         SELECT "id" FROM "WebhookMessage" WHERE "tenantId" = ${t}::uuid AND "fannedOutAt" IS NULL
         ORDER BY "tenantId", "fannedOutAt", "occurredAt", "id" LIMIT ${own ? limit - 1 : limit} FOR UPDATE SKIP LOCKED)
       ${own ? `AND EXISTS (SELECT 1 FROM "WebhookMessage" WHERE "id" = ${own} AND "fannedOutAt" = ${now})` : ""}
       ${marked};
      SELECT e."id", e."filterTypes", e."createdAt" AT TIME ZONE 'UTC' AS "createdAt",
        EXISTS (SELECT 1 FROM "WebhookDelivery" d WHERE d."endpointId" = e."id" AND d."status" = 'pending') AS "waiting"
       FROM "WebhookEndpoint" e WHERE e."tenantId" = ${t}::uuid AND NOT e."disabled" ORDER BY e."id"`)) as unknown as pg.QueryResult[];
    const rows = <T,>(r: pg.QueryResult | undefined) => (r?.rows ?? []) as T[];
    const mine = own ? rows<Marked>(results[2]) : [];
    const others = rows<Marked>(results[own ? 3 : 2]);
    const endpoints = rows<{ id: string; filterTypes: string[]; createdAt: Date; waiting: boolean }>(results.at(-1));
    const messages = [...mine, ...others];
    if (!messages.length) {
      await query(client, "COMMIT"); // deleted with its tenant, or done (by a batch, or before a crash); or none left
      return [];
    }
    // tracing on: each attempt continues the trace of its own message's change (telemetry/tracing.ts)
    const traceparent = tracing.traceparent?.();
    const traces = traceparent ? await batchTraceparents(client, others.map((m) => m.id)) : null;
    const deliveries = messages.flatMap((message) =>
      endpoints
        .filter((e) => e.createdAt <= message.occurredAt)
        .filter((e) => (message.targetEndpointId ? e.id === message.targetEndpointId : endpointWantsEvent({ disabled: false, filterTypes: e.filterTypes }, message.eventType)))
        .map((e) => ({ messageId: message.id, endpointId: e.id, nextAttemptAt: message.occurredAt.toISOString(), traceparent: (message.id === messageId ? traceparent : traces?.get(message.id)) ?? null })),
    );
    // 2. (one statement) the deliveries, and a drain job for every endpoint with pending deliveries: those that just
    // got one and those that had some (a drain stopped at one of these messages' barrier), in endpoint id order
    const given = new Set(deliveries.map((d) => d.endpointId));
    const jobs = endpoints.filter((e) => e.waiting || given.has(e.id)).map((e) => graphileJobSpec(webhookDeliverJob.jobs.now(tenantId, e.id, traceparent)));
    if (deliveries.length || jobs.length) await query(client, { name: "h2o_fanout_deliveries", text: DELIVERIES_SQL, values: [tenantId, JSON.stringify(deliveries), JSON.stringify(jobs)] });
    await query(client, "COMMIT");
    return messages.map((m) => m.id);
  } catch (err) {
    await query(client, "ROLLBACK").catch((e: Error) => (broken = e));
    throw err;
  } finally {
    client.release(broken);
  }
}

type Marked = { id: string; eventType: string; occurredAt: Date; targetEndpointId: string | null };

/**
 * One WebhookDelivery per (message, endpoint) of `$2` (`skipDuplicates`: a resend may have made one), and the drain
 * jobs of `$3` (as jobs/queue.ts `enqueueJobs` would, in the same statement). Times as Prisma writes them (UTC).
 */
const DELIVERIES_SQL = `WITH created AS (
    INSERT INTO "WebhookDelivery" ("id", "tenantId", "messageId", "endpointId", "nextAttemptAt", "traceparent", "createdAt", "updatedAt")
    SELECT gen_random_uuid(), $1::uuid, d."messageId", d."endpointId", d."nextAttemptAt", d."traceparent", now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
      FROM json_to_recordset($2::json) AS d("messageId" uuid, "endpointId" uuid, "nextAttemptAt" timestamp, "traceparent" text)
    ON CONFLICT DO NOTHING)
  SELECT h2o_enqueue_jobs($3::json) WHERE json_array_length($3::json) > 0`;

/**
 * Tracing on: the trace context of the batch's other messages, from their own fan-out jobs' payloads (the mutation
 * that wrote each), so their attempts continue their own traces rather than this job's.
 */
async function batchTraceparents(client: pg.ClientBase, messageIds: string[]): Promise<Map<string, string>> {
  if (!messageIds.length) return new Map();
  const { rows } = await query<{ id: string; traceparent: string }>(client, {
    text: `SELECT payload->>'messageId' AS id, payload->>'traceparent' AS traceparent FROM graphile_worker.jobs
      WHERE task_identifier = 'webhook.fanout' AND payload->>'messageId' = ANY($1) AND payload ? 'traceparent'`,
    values: [messageIds],
  });
  return new Map(rows.map((r) => [r.id, r.traceparent]));
}
