import { enqueueJobs, removeJobs } from "../webhooks/store.ts";

/** The task that publishes one post on one channel (jobs/marketing-publish.ts). */
export const PUBLISH_TASK = "marketing.publish";

/** One job per post and channel, keyed by the channel target: enqueuing again replaces the waiting job. */
export const publishJobKey = (targetId: string) => `marketing-publish:${targetId}`;

type RawTx = Parameters<typeof enqueueJobs>[0];

/**
 * Enqueues the publication of these targets at `runAt` inside the caller's transaction (the job exists exactly when
 * the change commits). A waiting job of the same target is replaced, so rescheduling never leaves a second one.
 */
export function enqueuePublish(tx: RawTx, tenantId: string, targetIds: readonly string[], runAt: Date): Promise<void> {
  return enqueueJobs(
    tx,
    targetIds.map((targetId) => ({ identifier: PUBLISH_TASK, payload: { tenantId, targetId }, runAt, jobKey: publishJobKey(targetId), maxAttempts: 5 })),
  );
}

/** Removes the waiting publish jobs of these targets inside the caller's transaction (a running one is left to see the cancel). */
export function removePublish(tx: RawTx, targetIds: readonly string[]): Promise<void> {
  return removeJobs(tx, targetIds.map(publishJobKey));
}
