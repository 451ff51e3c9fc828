import type { JobHelpers } from "graphile-worker";
import { tenantTransaction } from "../db/rls.ts";
import { tenantOwned, tenantScoped } from "../db/tenancy.ts";
import { ProviderError, type PublishRequest, type Published } from "../integrations/provider.ts";
import { BreakerOpenError } from "../integrations/resilience.ts";
import { finishTarget, markNeedsReconnect, type WorkerScope } from "./outcomes.ts";
import { marketingPublishJob } from "../jobs/definitions.ts";
import { addJob } from "../jobs/queue.ts";
import { breakerKey, credentialsOf, type MarketingRuntime } from "./runtime.ts";
import { enqueueStatusCheck } from "./status.ts";

/** Attempts of one channel (job runs, each with its own in-call retries) before it is FAILED. */
export const MAX_PUBLISH_ATTEMPTS = 6;

/** The wait before the next job run after a retryable failure: exponential with jitter, at least the Retry-After. */
export const rescheduleDelay = (attempt: number, retryAfterMs: number | null, baseMs: number) =>
  Math.max(retryAfterMs ?? 0, Math.round(baseMs * 2 ** attempt * (0.5 + Math.random() / 2)));

export interface PublishPayload {
  tenantId: string;
  targetId: string;
}

/**
 * Publishes one post on one channel (the `marketing.publish` job). Guarantees:
 * 1. idempotent: before the platform is called, the attempt is committed (target PUBLISHING, attempt count, an
 *    attempt row); a run that finds an earlier attempt (a timeout, a crash, a retry) first asks the platform for
 *    the post (`findExisting`) and keeps it instead of posting again; a target already PUBLISHED or CANCELLED is
 *    left alone, so a duplicate job does nothing;
 * 2. while the account's breaker is open, nothing is called: the job reschedules itself for when the breaker lets
 *    a trial through (publishing waits instead of piling up);
 * 3. a retryable failure reschedules the job (exponential backoff with jitter, at least Retry-After) up to
 *    MAX_PUBLISH_ATTEMPTS; a refused token marks the account NEEDS_RECONNECT and the channel FAILED; any other
 *    refusal fails the channel; each attempt row records its outcome and error;
 * 4. the final outcome goes through the pipeline (outcomes.ts `finishTarget`): audit, outbox, live event.
 */
export async function publishTarget(scope: WorkerScope, runtime: MarketingRuntime, payload: PublishPayload, helpers: Pick<JobHelpers, "addJob">): Promise<void> {
  const { prisma } = scope;
  const { tenantId, targetId } = payload;
  const db = tenantScoped(prisma, tenantId);
  const target = await db.marketingPostTarget.findUnique({ where: { id: targetId }, include: { post: true, channelAccount: true, attempts: { orderBy: { startedAt: "asc" }, take: 1 } } });
  if (!target || target.status === "published" || target.status === "cancelled" || target.post.status === "cancelled") return;
  const account = target.channelAccount;
  if (account.status !== "connected" || !account.accessTokenSealed)
    return finishTarget(scope, tenantId, targetId, { status: "failed", lastError: `the channel account is ${account.status.replace("_", " ")}` });
  const provider = runtime.provider(account.platform);
  if ("unavailable" in provider) return finishTarget(scope, tenantId, targetId, { status: "failed", lastError: provider.unavailable });
  const key = breakerKey(account.platform, tenantId, account.id);
  const reschedule = (delayMs: number) =>
    addJob(helpers, marketingPublishJob.jobs.at(payload, new Date(Date.now() + delayMs)));
  const wait = runtime.resilience.waitMs(key);
  if (wait > 0) return reschedule(wait);

  const resumed = target.attemptCount > 0;
  const since = target.attempts[0]?.startedAt ?? new Date();
  // the idempotency record, committed before any call
  const attempt = await tenantTransaction(prisma, tenantId, async (t) => {
    await t.marketingPostTarget.update({ where: { id: targetId }, data: { status: "publishing", attemptCount: { increment: 1 } } });
    if (target.post.status === "scheduled") await t.marketingPost.update({ where: { id: target.postId }, data: { status: "publishing" } });
    return t.marketingPublishAttempt.create({ data: tenantOwned({ tenantId, targetId }) });
  });
  const endAttempt = (outcome: string, error: string | null = null) =>
    db.marketingPublishAttempt.update({ where: { id: attempt.id }, data: { outcome, error, finishedAt: new Date() } });

  const credentials = credentialsOf(runtime, { ...account, accessTokenSealed: account.accessTokenSealed });
  const request: PublishRequest = { text: target.post.text, mediaUrls: target.post.mediaUrls, idempotencyKey: target.idempotencyKey, since, containerId: target.containerId };
  try {
    let published: Published | null = resumed ? await provider.findExisting(credentials, request) : null;
    const outcome = published ? "found_existing" : "published";
    published ??= await provider.publish(credentials, request, (containerId) =>
      db.marketingPostTarget.update({ where: { id: targetId }, data: { containerId } }).then(() => undefined),
    );
    await endAttempt(outcome);
    await finishTarget(scope, tenantId, targetId, { status: "published", externalPostId: published.externalPostId, externalUrl: published.url, lastError: null });
    // the platform still reviews it (Google): the status task looks again until it is live or rejected
    if (published.processing) await enqueueStatusCheck(helpers, { tenantId, targetId, checks: 0 }, runtime.env.MARKETING_STATUS_CHECK_MS);
  } catch (err) {
    const message = (err as Error).message.slice(0, 500);
    if (err instanceof ProviderError && err.kind === "retryable" && target.attemptCount + 1 < MAX_PUBLISH_ATTEMPTS) {
      await endAttempt("retrying", message);
      await db.marketingPostTarget.update({ where: { id: targetId }, data: { lastError: message } });
      const delay = err instanceof BreakerOpenError ? Math.max(runtime.resilience.waitMs(key), 50) : rescheduleDelay(target.attemptCount, err.retryAfterMs, runtime.env.MARKETING_HTTP_BACKOFF_MS);
      return reschedule(delay);
    }
    await endAttempt("failed", message);
    if (err instanceof ProviderError && err.kind === "auth") await markNeedsReconnect(scope, tenantId, account.id, message);
    if (!(err instanceof ProviderError)) scope.log.error({ err, targetId }, "publishing failed unexpectedly");
    await finishTarget(scope, tenantId, targetId, { status: "failed", lastError: message });
  }
}
