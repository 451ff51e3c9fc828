import type { Prisma } from "../db/client.ts";
import type { WebhookEndpoint } from "../generated/prisma/client.ts";
import type { WebhookEndpointConfig } from "./deliverer.ts";
import type { SecretBox } from "./secret-box.ts";
import type { EndpointSecret } from "./signing.ts";

/** Anything that runs raw SQL inside the caller's transaction (a Prisma transaction client, tenant-scoped or not). */
type RawExecutor = {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
};

export type PrismaTx = Parameters<Parameters<Prisma["$transaction"]>[0]>[0];

/** Seals an endpoint's secrets for its `secrets` column; the endpoint id is bound to the ciphertext. */
export function sealSecrets(box: SecretBox, endpointId: string, secrets: readonly EndpointSecret[]): string {
  return box.seal(JSON.stringify(secrets.map((s) => ({ secret: s.secret, expiresAt: s.expiresAt?.toISOString() ?? null }))), `webhook-endpoint:${endpointId}`);
}

export function openSecrets(box: SecretBox, row: Pick<WebhookEndpoint, "id" | "secrets">): EndpointSecret[] {
  const parsed = JSON.parse(box.open(row.secrets, `webhook-endpoint:${row.id}`)) as Array<{ secret: string; expiresAt: string | null }>;
  return parsed.map((s) => ({ secret: s.secret, expiresAt: s.expiresAt ? new Date(s.expiresAt) : null }));
}

/** The deliverers' view of a stored endpoint (secrets decrypted: only ever in memory). */
export function endpointConfig(box: SecretBox, row: Pick<WebhookEndpoint, "id" | "tenantId" | "url" | "description" | "filterTypes" | "rateLimitPerSecond" | "disabled" | "secrets">): WebhookEndpointConfig {
  return {
    id: row.id,
    tenantId: row.tenantId,
    url: row.url,
    description: row.description,
    filterTypes: row.filterTypes,
    rateLimitPerSecond: row.rateLimitPerSecond,
    disabled: row.disabled,
    secrets: openSecrets(box, row),
  };
}

/** What events, audit and pubsub carry of an endpoint: everything but its secrets. */
export function endpointView(row: WebhookEndpoint) {
  const { secrets: _secrets, tenantId: _tenantId, ...view } = row;
  return view;
}

/** One graphile-worker job, as `graphile_worker.add_jobs` takes it. */
export interface JobSpec {
  identifier: string;
  payload: Record<string, unknown>;
  queueName?: string | null;
  runAt?: Date | null;
  maxAttempts?: number;
  /** Lower runs first (graphile-worker's `priority`; 0 unless given). */
  priority?: number;
  /** Jobs with the same key collapse into one (a running one is left to finish and a new one created). */
  jobKey?: string | null;
}

/**
 * Enqueues worker jobs inside the caller's transaction (one statement for any number): they exist exactly when the
 * transaction commits, and the worker hears of them at commit (NOTIFY). The queue is the system's, not the
 * tenant's: `h2o_enqueue_jobs` (migration enqueue_as_system) adds them with its owner's rights, whether the
 * transaction runs as the application role (inside a mutation's change) or as the system.
 */
export async function enqueueJobs(tx: RawExecutor, jobs: readonly JobSpec[]): Promise<void> {
  if (jobs.length === 0) return;
  await tx.$executeRaw`SELECT h2o_enqueue_jobs(${JSON.stringify(jobs.map(graphileJobSpec))}::json)`;
}

/** A job as `graphile_worker.add_jobs` takes it (its `job_spec` type), ready for JSON. */
export const graphileJobSpec = (j: JobSpec) => ({
  identifier: j.identifier,
  payload: j.payload,
  queue_name: j.queueName ?? null,
  run_at: j.runAt?.toISOString() ?? null,
  max_attempts: j.maxAttempts ?? 25,
  job_key: j.jobKey ?? null,
  priority: j.priority ?? 0,
});

/** Removes waiting jobs by their job keys inside the caller's transaction (a running one is left to finish), as the system. */
export async function removeJobs(tx: RawExecutor, jobKeys: readonly string[]): Promise<void> {
  if (jobKeys.length === 0) return;
  await tx.$executeRaw`SELECT h2o_remove_jobs(${[...jobKeys]}::text[])`;
}

const DELIVER_PRIORITY = -1;

/** The job identifiers, their keys and queues: one place, used by the outbox, the API and the worker. */
export const webhookJobs = {
  /**
   * Sends one outbox message on (jobs/webhook-fanout.ts). Built-in: creates its deliveries and wakes the drains; no
   * job key and no named queue, so it is picked up at its commit (NOTIFY), like a drain; order is kept by the drains
   * (webhooks/fanout-barrier.ts), not by these jobs. Svix: hands it to Svix; one tenant's sends and endpoint
   * mirroring share a serial queue, so an endpoint exists in Svix before its events.
   */
  fanout: (tenantId: string, messageId: string, svix: boolean, traceparent?: string): JobSpec => ({
    identifier: "webhook.fanout",
    payload: traceparent ? { tenantId, messageId, traceparent } : { tenantId, messageId },
    ...(svix ? { jobKey: `webhook.fanout:${messageId}`, queueName: `webhook-svix:${tenantId}` } : {}),
  }),
  /**
   * Built-in: delivers an endpoint's pending deliveries, oldest event first (jobs/webhook-deliver.ts). Added by
   * every fan-out and every change that gives the endpoint something to send. Keyed per endpoint, so the requests
   * collapse: at most one waiting job per endpoint, and one running (a request made while the drain runs makes a new
   * job, which runs after it: nothing is missed). Unkeyed, every fan-out made a job per waiting endpoint, and nearly
   * all of them only found the endpoint locked by its drain: at a thousand deliveries a second, most of the worker's
   * time. A transaction that adds the job holds its row until it commits; callers adding several add them in endpoint
   * id order, so two of them never wait for each other crosswise. One drain per endpoint runs at a time, under an
   * advisory lock. Ahead of fan-out jobs (priority -1): what is fanned out is sent before a backlog of fan-out jobs is
   * worked through (most of which find their message already fanned out by a batch: jobs/webhook-fanout.ts).
   */
  deliver: (tenantId: string, endpointId: string, traceparent?: string): JobSpec => ({
    identifier: "webhook.deliver",
    payload: traceparent ? { tenantId, endpointId, traceparent } : { tenantId, endpointId },
    jobKey: `webhook.deliver:${endpointId}`,
    priority: DELIVER_PRIORITY,
  }),
  /** The same drain, when the endpoint's oldest pending delivery is due (a retry, a rate-limit deferral); one per endpoint. */
  deliverAt: (tenantId: string, endpointId: string, runAt: Date, traceparent?: string): JobSpec => ({
    identifier: "webhook.deliver",
    payload: traceparent ? { tenantId, endpointId, traceparent } : { tenantId, endpointId },
    jobKey: `webhook.deliver-at:${endpointId}`,
    runAt,
    priority: DELIVER_PRIORITY,
  }),
  syncEndpoint: (tenantId: string, endpointId: string, rotate = false): JobSpec => ({
    identifier: "webhook.sync_endpoint",
    payload: { tenantId, endpointId, rotate },
    queueName: `webhook-svix:${tenantId}`,
  }),
};
