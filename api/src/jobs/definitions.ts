import { z } from "zod";
import type { AuditWorkerDeps } from "./audit-maintenance.ts";
import type { MarketingWorkerDeps } from "./marketing-worker.ts";
import { defineJob } from "./queue.ts";
import type { WebhookWorkerDeps } from "./webhook-worker.ts";

/**
 * Every job the worker runs: one definition each (id, payload schema, how it is enqueued, schedule, handler). Each
 * worker side builds its task list from its own list below (jobs/queue.ts `taskListOf`); enqueuing goes through a
 * definition's `jobs` and jobs/queue.ts, nowhere else.
 */

const uuid = z.uuid();
const traceparent = z.string().max(100).optional();

/** Drain jobs run ahead of fan-out jobs: what is fanned out is sent before a backlog of fan-outs is worked through. */
const DELIVER_PRIORITY = -1;

/**
 * `webhook.fanout` (jobs/webhook-fanout.ts): sends one outbox message on, enqueued with it in the change's
 * transaction (webhooks/outbox.ts). Built-in: creates its deliveries and wakes the drains; no job key and no named
 * queue, so it is picked up at its commit (NOTIFY), like a drain (order is the drains' business: see
 * `webhook.deliver`). Svix: hands it to Svix; one tenant's sends and endpoint mirroring share a serial queue, so an
 * endpoint exists in Svix before its events.
 */
export const webhookFanoutJob = defineJob({
  id: "webhook.fanout",
  payload: z.object({ tenantId: uuid, messageId: uuid, traceparent }),
  jobs: {
    of: (payload: { tenantId: string; messageId: string; traceparent?: string }, svix: boolean) => ({
      payload: payload.traceparent ? payload : { tenantId: payload.tenantId, messageId: payload.messageId },
      ...(svix ? { jobKey: `webhook.fanout:${payload.messageId}`, queueName: `webhook-svix:${payload.tenantId}` } : {}),
    }),
  },
  handler: async () => (await import("./webhook-fanout.ts")).fanoutHandler,
});

/**
 * `webhook.deliver` (jobs/webhook-deliver.ts, where the ordering guarantee is explained): drains one endpoint's
 * pending deliveries, oldest event first (built-in deliverer). Added by every fan-out and every change that gives
 * the endpoint something to send. Keyed per endpoint, so requests collapse: at most one waiting job per endpoint,
 * and one running (a request made while the drain runs makes a new job, which runs after it: nothing is missed).
 * A transaction that adds the job holds its row until it commits; callers adding several add them in endpoint id
 * order, so two never wait for each other crosswise.
 * - `now`: drain now;
 * - `at`: the same drain when the endpoint's oldest pending delivery is due (a retry, a rate-limit deferral), one
 *   waiting per endpoint.
 */
export const webhookDeliverJob = defineJob({
  id: "webhook.deliver",
  payload: z.object({ tenantId: uuid, endpointId: uuid, traceparent }),
  jobs: {
    now: (tenantId: string, endpointId: string, trace?: string) => ({
      payload: trace ? { tenantId, endpointId, traceparent: trace } : { tenantId, endpointId },
      jobKey: `webhook.deliver:${endpointId}`,
      priority: DELIVER_PRIORITY,
    }),
    at: (tenantId: string, endpointId: string, runAt: Date, trace?: string) => ({
      payload: trace ? { tenantId, endpointId, traceparent: trace } : { tenantId, endpointId },
      jobKey: `webhook.deliver-at:${endpointId}`,
      runAt,
      priority: DELIVER_PRIORITY,
    }),
  },
  handler: async () => (await import("./webhook-deliver.ts")).deliverHandler,
});

/** `webhook.sync_endpoint` (Svix, jobs/webhook-sync-endpoint.ts): mirrors one endpoint to Svix, in the tenant's Svix queue. */
export const webhookSyncEndpointJob = defineJob({
  id: "webhook.sync_endpoint",
  payload: z.object({ tenantId: uuid, endpointId: uuid, rotate: z.boolean().default(false) }),
  jobs: {
    of: (tenantId: string, endpointId: string, rotate = false) => ({ payload: { tenantId, endpointId, rotate }, queueName: `webhook-svix:${tenantId}` }),
  },
  handler: async () => (await import("./webhook-sync-endpoint.ts")).syncEndpointHandler,
});

/** One job per post and channel, keyed by the channel target: enqueuing again replaces the waiting job. */
export const publishJobKey = (targetId: string) => `marketing-publish:${targetId}`;

/** `marketing.publish` (marketing/publish.ts): publishes one post on one channel at `runAt`. */
export const marketingPublishJob = defineJob({
  id: "marketing.publish",
  payload: z.object({ tenantId: uuid, targetId: uuid }),
  jobs: {
    at: (payload: { tenantId: string; targetId: string }, runAt: Date) => ({ payload, runAt, jobKey: publishJobKey(payload.targetId), maxAttempts: 5 }),
  },
  handler: async () => {
    const { publishTarget } = await import("../marketing/publish.ts");
    return (deps: MarketingWorkerDeps) => (payload, helpers) => publishTarget(deps.scope, deps.runtime, payload, helpers);
  },
});

/** `marketing.check_status` (marketing/status.ts): one look at a post the platform still reviews (Google local posts). */
export const marketingCheckStatusJob = defineJob({
  id: "marketing.check_status",
  payload: z.object({ tenantId: uuid, targetId: uuid, checks: z.number().int().min(0) }),
  jobs: {
    at: (payload: { tenantId: string; targetId: string; checks: number }, runAt: Date) => ({ payload, runAt, jobKey: `marketing-status:${payload.targetId}`, maxAttempts: 3 }),
  },
  handler: async () => {
    const { checkStatus } = await import("../marketing/status.ts");
    return (deps: MarketingWorkerDeps) => (payload, helpers) => checkStatus(deps.scope, deps.runtime, payload, helpers);
  },
});

/** `marketing.inbound` (marketing/inbound.ts): turns a stored platform notification into domain events. */
export const marketingInboundJob = defineJob({
  id: "marketing.inbound",
  payload: z.object({ inboundId: uuid }),
  jobs: { of: (inboundId: string) => ({ payload: { inboundId }, jobKey: `marketing-inbound:${inboundId}`, maxAttempts: 10 }) },
  handler: async () => {
    const { processInbound } = await import("../marketing/inbound.ts");
    return (deps: MarketingWorkerDeps) => async ({ inboundId }) => {
      const { notified } = await processInbound(deps.scope, deps.runtime, inboundId);
      if (notified) deps.scope.log.info({ notified }, "platform notification turned into events");
    };
  },
});

/** `marketing.refresh_tokens` (marketing/refresh.ts): hourly, refreshes channel tokens about to expire. */
export const marketingRefreshTokensJob = defineJob({
  id: "marketing.refresh_tokens",
  payload: z.object({}),
  cron: () => "23 * * * *",
  handler: async () => {
    const { refreshExpiringTokens } = await import("../marketing/refresh.ts");
    return (deps: MarketingWorkerDeps) => async () => {
      const counts = await refreshExpiringTokens(deps.scope, deps.runtime);
      if (counts.refreshed || counts.needsReconnect || counts.failed) deps.scope.log.info(counts, "channel account tokens refreshed");
    };
  },
});

/**
 * `audit.partitions` (audit/partitions.ts): the current month's and the next AUDIT_PARTITIONS_AHEAD months'
 * partitions in place, rows moved out of the DEFAULT partition; daily (AUDIT_PARTITIONS_CRON) and when the worker
 * starts. Idempotent.
 */
export const auditPartitionsJob = defineJob({
  id: "audit.partitions",
  payload: z.object({}).passthrough(),
  cron: (env) => env.AUDIT_PARTITIONS_CRON,
  handler: async () => (await import("./audit-maintenance.ts")).partitionsHandler,
});

/** `audit.archive` (audit/archive.ts): archives expired partitions, daily at 03:47 UTC. Idempotent. */
export const auditArchiveJob = defineJob({
  id: "audit.archive",
  payload: z.object({}).passthrough(),
  cron: () => "47 3 * * *",
  handler: async () => (await import("./audit-maintenance.ts")).archiveHandler,
});

/** Each worker side's jobs: its task list and schedules are built from these. */
export const webhookJobDefinitions = [webhookFanoutJob, webhookDeliverJob, webhookSyncEndpointJob];
export const marketingJobDefinitions = [marketingPublishJob, marketingCheckStatusJob, marketingInboundJob, marketingRefreshTokensJob];
export const auditJobDefinitions = [auditPartitionsJob, auditArchiveJob];
