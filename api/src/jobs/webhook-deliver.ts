import type { JobHelpers } from "graphile-worker";
import type pg from "pg";
import { tracing } from "../telemetry/hooks.ts";
import { runMutation } from "../events/pipeline.ts";
import type { WebhookEndpointConfig } from "../webhooks/deliverer.ts";
import { recordAttempt, type EndpointAfter } from "../webhooks/attempt-log.ts";
import { headDueStatement, readLine, type DrainEndpoint, type PendingDelivery } from "../webhooks/drain-line.ts";
import { lockEndpoint } from "../webhooks/endpoint-lock.ts";
import { disableEndpoint } from "../webhooks/endpoints.ts";
import { barrierHolds, barrierHoldsStatement, beforeBarrier, type EventPosition } from "../webhooks/fanout-barrier.ts";
import { endpointConfig } from "../webhooks/endpoint-secrets.ts";
import { webhookDeliverJob } from "./definitions.ts";
import { addJob, type JobHandler } from "./queue.ts";
import { systemContext } from "../context.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";

/**
 * A delivery due this much later than now counts as due: a wake-up job runs when the database's clock reaches its
 * time, and this process's clock may be a little behind (kept small: retries must not come early).
 */
const EARLY_SLACK_MS = 50;
/** How long one job drains an endpoint before giving its worker slot to others (a new job carries on at once). */
const DRAIN_BUDGET_MS = 10_000;
/** Pending deliveries read at once, oldest event first. */
const BATCH = 100;
/** A rate-limit deferral up to this long is waited out in the job; a longer one becomes a wake-up job. */
const MAX_INLINE_DEFERRAL_MS = 1_000;

/**
 * Why a drain stopped: nothing deliverable, the rest waits behind the fan-out barrier (whose fan-out wakes the
 * endpoint), the head of the line is due later, or its time budget is spent.
 */
type Stop = { kind: "idle" } | { kind: "held"; barrier: EventPosition } | { kind: "wait"; until: Date } | { kind: "yield" };

/**
 * `webhook.deliver`: drains one endpoint (built-in deliverer). Ordering, the guarantee this is built around:
 * - an endpoint gets its messages in event order (`occurredAt`, as set in the committing transaction; events of
 *   transactions committing at the same moment go in the order their messages are seen). One drain per endpoint
 *   runs at a time, across all workers (an advisory lock, webhooks/endpoint-lock.ts), and it always attempts the
 *   endpoint's oldest pending delivery, and only one older than the fan-out barrier: deliveries are made by
 *   `webhook.fanout` jobs, which commit in any order, so what comes at or after the tenant's oldest message not yet
 *   fanned out waits (the drain ends; that message's fan-out wakes it: webhooks/fanout-barrier.ts). The order comes
 *   from the data, never from job timing (a job retried after an error, a wake-up or a crash recovery can run late
 *   or twice without reordering anything); a fan-out job that keeps failing holds the tenant's later deliveries
 *   until its retry succeeds;
 * - while a message is being retried, later messages to that endpoint wait behind it (head-of-line blocking), until
 *   it succeeds or has failed for good after the last attempt of the schedule; a rate-limit deferral holds the line
 *   the same way. Svix does otherwise (later messages overtake a retrying one); a partner of the built-in deliverer
 *   can rely on order. The price: one failing message delays its endpoint's others (the circuit breaker and the
 *   auto-disable below bound how long), and an endpoint gets one request at a time (its throughput is one over its
 *   response time; WEBHOOK_ENDPOINT_CONCURRENCY caps the deliverer, and the worker stays below it);
 * - replayed or resent messages are old events: they join the line by their event time.
 * Durability:
 * - the attempt row, the delivery's new state and the endpoint's failure streak are written in one statement (one
 *   transaction, on the drain's own locked connection: webhooks/attempt-log.ts) after each attempt, before the next; a crash before it repeats the attempt with the same `webhook-id`;
 * - a job that finds the endpoint locked ends at once: the drain holding it looks again after unlocking, so work that
 *   arrived meanwhile is never stranded; a drain stopped by a not-yet-due head leaves one wake-up job
 *   (`deliverAt`, keyed per endpoint) for that time; one stopped by the barrier is woken by the barrier's fan-out;
 * - an endpoint failing continuously for WEBHOOK_DISABLE_AFTER_MS is disabled through the mutation pipeline
 *   (`webhook_endpoint.disabled`: audited, sent to subscribers and to the tenant's other endpoints); its pending
 *   deliveries wait and resume, oldest first, when it is enabled again.
 */
export function deliverHandler(deps: WebhookWorkerDeps): JobHandler<{ tenantId: string; endpointId: string; traceparent?: string }> {
  return async ({ tenantId, endpointId, traceparent }, helpers) => {
    const run = () => drainWhileDue(tenantId, endpointId, helpers);
    return tracing.span ? tracing.span("webhook.deliver", { "app.tenant_id": tenantId, "app.endpoint_id": endpointId }, traceparent, run) : run();
  };
  async function drainWhileDue(tenantId: string, endpointId: string, helpers: JobHelpers): Promise<void> {
    for (;;) {
      const session = await lockEndpoint(deps.locks, tenantId, endpointId);
      if (!session) return;
      let stop: Stop;
      try {
        stop = await drain(deps, tenantId, endpointId, session.client);
      } catch (err) {
        await session.unlock().catch(() => undefined); // the connection is destroyed if even that fails
        throw err;
      }
      if (stop.kind === "yield") {
        await session.unlock();
        return addJob(helpers, webhookDeliverJob.jobs.now(tenantId, endpointId, tracing.traceparent?.()));
      }
      // after unlocking (same round trip), look again for what came meanwhile (its job found the endpoint locked and
      // ended); held at the barrier, only whether that barrier is gone (its fan-out's wake-up job, if still to come,
      // finds it unlocked)
      const client = session.client;
      const rows = await session.unlock(stop.kind === "held" ? barrierHoldsStatement(client, stop.barrier) : headDueStatement(client, tenantId, endpointId));
      if (stop.kind === "wait") await addJob(helpers, webhookDeliverJob.jobs.at(tenantId, endpointId, stop.until, tracing.traceparent?.()));
      const again = stop.kind === "held" ? rows.length === 0 : rows.length > 0 && (rows[0]!.due as Date).getTime() <= Date.now() + EARLY_SLACK_MS;
      if (!again) return;
    }
  }
}

/**
 * Attempts the line in order. A success's record is written (sent to the database) before the next attempt goes
 * out, and confirmed while that attempt is in flight: the next request overlaps the previous record's round trip,
 * not the other way round. A crash still repeats only the request in flight (a statement the server has received
 * commits without its client); a record that fails makes the job fail, and its retry sends that delivery again
 * (same `webhook-id`) before the next. What the record says of the endpoint (gone, disabled, changed) is acted on
 * one attempt later, like a change committed while an attempt is in flight.
 */
async function drain(deps: WebhookWorkerDeps, tenantId: string, endpointId: string, conn: pg.PoolClient): Promise<Stop> {
  const deadline = Date.now() + DRAIN_BUDGET_MS;
  const config = configCache(deps);
  let recording: Promise<EndpointAfter | null> | null = null;
  const confirmed = async () => {
    const after = recording && (await recording);
    recording = null;
    return after;
  };
  try {
    for (;;) {
      await confirmed(); // before reading the line, which must not see a sent delivery as pending
      const line = await heldLine(conn, tenantId, endpointId, BATCH);
      const endpoint = line.endpoint;
      if (!endpoint || endpoint.disabled) return { kind: "idle" };
      for (const delivery of line.pending) {
        const due = delivery.nextAttemptAt ?? delivery.createdAt;
        if (due.getTime() > Date.now() + EARLY_SLACK_MS) return { kind: "wait", until: due };
        const step = await attempt(deps, conn, config(endpoint), delivery, deadline);
        const previous = recording ? await confirmed() : undefined;
        if (step.kind !== "delivered") return step.stop;
        recording = step.recorded;
        if (Date.now() >= deadline) return { kind: "yield" };
        if (previous === null || previous?.disabled) return { kind: "idle" };
        if (previous && previous.version !== endpoint.version) break; // changed (URL, secrets, state): read it again
      }
      if (line.held) return { kind: "held", barrier: line.held };
      if (line.pending.length < BATCH) return { kind: "idle" };
    }
  } finally {
    await confirmed();
  }
}

/**
 * The endpoint and up to `take` of its pending deliveries, oldest event first, stopping at the fan-out barrier
 * (webhooks/fanout-barrier.ts), read in one statement (webhooks/drain-line.ts). `held`: the barrier that deliveries
 * wait behind; its fan-out, still to commit, will wake this endpoint.
 */
async function heldLine(conn: pg.PoolClient, tenantId: string, endpointId: string, take: number) {
  for (;;) {
    const { barrier, endpoint, pending } = await readLine(conn, tenantId, endpointId, take);
    const open = pending.findIndex((d) => !beforeBarrier(d.message, barrier));
    if (open < 0) return { endpoint, pending, held: null };
    if (await barrierHolds(conn, barrier!)) return { endpoint, pending: pending.slice(0, open), held: barrier };
  }
}

type Step = { kind: "delivered"; recorded: Promise<EndpointAfter | null> } | { kind: "stopped"; stop: Stop };

/**
 * One attempt at the head of the line (rate-limit deferrals waited out when short), recorded in one statement: a
 * failure's record awaited here (it may disable the endpoint), a success's handed back to the drain to confirm.
 */
async function attempt(deps: WebhookWorkerDeps, conn: pg.PoolClient, endpoint: WebhookEndpointConfig, delivery: PendingDelivery, deadline: number): Promise<Step> {
  const { prisma, deliverer, settings, log } = deps;
  if (deliverer.kind !== "builtin") throw new Error("webhook.deliver runs with the built-in deliverer only");
  const { tenantId } = endpoint;
  const { message } = delivery;
  const number = delivery.attempts + 1;
  for (;;) {
    const send = () => deliverer.attempt({ id: message.id, tenantId, eventType: message.eventType, payload: message.payload }, { endpoint, attempt: number });
    const outcome = tracing.span
      ? await tracing.span("webhook.attempt", { "app.endpoint_id": endpoint.id, "app.message_id": message.id, "app.event_type": message.eventType, "app.attempt": number }, delivery.traceparent ?? undefined, async () => {
          const sent = await send();
          tracing.annotate?.({ "http.response.status_code": sent.record?.statusCode ?? undefined, "app.outcome": sent.status });
          return sent;
        })
      : await send();
    if (outcome.status === "deferred") {
      const waitMs = outcome.nextAttemptAt!.getTime() - Date.now();
      if (waitMs > MAX_INLINE_DEFERRAL_MS || Date.now() + waitMs >= deadline) return { kind: "stopped", stop: { kind: "wait", until: outcome.nextAttemptAt! } };
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, waitMs)));
      continue;
    }

    const record = outcome.record!;
    const status = outcome.status === "succeeded" ? "succeeded" : outcome.status === "failed" ? "failed" : "pending";
    const recorded = recordAttempt(conn, record, { deliveryId: delivery.id, status, nextAttemptAt: outcome.nextAttemptAt });
    if (record.success) {
      recorded.catch(() => undefined); // rejected meanwhile, it is not unhandled: the drain's await gets the error
      return { kind: "delivered", recorded }; // confirmed by the drain, during the next attempt
    }
    const after = await recorded;

    const failingSince = after?.failingSince;
    if (failingSince && Date.now() - failingSince.getTime() >= settings.disableAfterMs) {
      const ctx = await systemContext(tenantId, "webhooks", log, deps.services, prisma);
      if (!ctx) return { kind: "stopped", stop: { kind: "idle" } };
      const days = Math.round(settings.disableAfterMs / 86_400_000);
      await runMutation(ctx, { entityType: "webhook_endpoint", action: "updated" }, (tx) =>
        disableEndpoint(tx, endpoint.id, `deliveries failed continuously since ${failingSince.toISOString()} (${days} days or more)`),
      );
      log.warn({ tenantId, endpointId: endpoint.id, failingSince }, "webhook endpoint disabled after failing continuously");
      return { kind: "stopped", stop: { kind: "idle" } };
    }
    if (outcome.status === "retrying") return { kind: "stopped", stop: { kind: "wait", until: outcome.nextAttemptAt! } };
    return { kind: "delivered", recorded: Promise.resolve(after) }; // failed for good: the line moves on
  }
}

/** Decrypts an endpoint's secrets once per version of it (every change to URL, secrets or state bumps the version). */
function configCache({ settings }: WebhookWorkerDeps) {
  let cached: { version: number; config: WebhookEndpointConfig } | null = null;
  return (row: DrainEndpoint) => {
    if (cached?.version !== row.version || cached.config.id !== row.id) cached = { version: row.version, config: endpointConfig(settings.box, row) };
    return cached.config;
  };
}
