import type { JobHelpers } from "graphile-worker";
import { marketingCheckStatusJob } from "../jobs/definitions.ts";
import { addJob } from "../jobs/queue.ts";
import { tenantScoped } from "../db/tenancy.ts";
import { ProviderError } from "../integrations/provider.ts";
import { finishTarget, type WorkerScope } from "./outcomes.ts";
import { credentialsOf, type MarketingRuntime } from "./runtime.ts";

/** Looks before a post still in review is left as published (the delay doubles each time). */
export const MAX_STATUS_CHECKS = 8;

export interface StatusPayload {
  tenantId: string;
  targetId: string;
  checks: number;
}

export function enqueueStatusCheck(helpers: Pick<JobHelpers, "addJob">, payload: StatusPayload, baseMs: number): Promise<void> {
  const delay = baseMs * 2 ** payload.checks;
  return addJob(helpers, marketingCheckStatusJob.jobs.at(payload, new Date(Date.now() + delay)));
}

/**
 * One look at a published channel's post on the platform (`SocialProvider.fetchStatus`). Guarantees:
 * 1. live: nothing changes; still processing: another look later (doubling delay) up to MAX_STATUS_CHECKS;
 * 2. rejected: the channel becomes FAILED with the reason, through the pipeline (the post's status follows:
 *    `marketing_post.failed` or `partially_published`);
 * 3. a failed look (network, 5xx, breaker open) is another look later; a refused token leaves the post as it is
 *    (the account's own calls will show it). A channel no longer PUBLISHED is left alone.
 */
export async function checkStatus(scope: WorkerScope, runtime: MarketingRuntime, payload: StatusPayload, helpers: Pick<JobHelpers, "addJob">): Promise<void> {
  const target = await tenantScoped(scope.prisma, payload.tenantId).marketingPostTarget.findUnique({ where: { id: payload.targetId }, include: { channelAccount: true } });
  if (!target || target.status !== "published" || !target.externalPostId) return;
  const account = target.channelAccount;
  const provider = runtime.provider(account.platform);
  if ("unavailable" in provider || !account.accessTokenSealed) return;
  const again = () => (payload.checks + 1 < MAX_STATUS_CHECKS ? enqueueStatusCheck(helpers, { ...payload, checks: payload.checks + 1 }, runtime.env.MARKETING_STATUS_CHECK_MS) : undefined);
  let state;
  try {
    state = await provider.fetchStatus(credentialsOf(runtime, { ...account, accessTokenSealed: account.accessTokenSealed }), target.externalPostId);
  } catch (err) {
    if (err instanceof ProviderError && err.kind === "retryable") return again();
    scope.log.warn({ targetId: target.id, reason: (err as Error).message }, "could not look at a published post's status");
    return;
  }
  if (state === "processing") return again();
  if (state === "rejected") await finishTarget(scope, payload.tenantId, target.id, { status: "failed", lastError: `${account.platform} rejected the post after review` });
}
