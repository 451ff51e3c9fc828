import { marketingPublishJob, publishJobKey } from "../jobs/definitions.ts";
import { enqueueJobs, removeJobs } from "../jobs/queue.ts";

type RawTx = Parameters<typeof enqueueJobs>[0];

/**
 * Enqueues the publication of these targets at `runAt` inside the caller's transaction (the job exists exactly when
 * the change commits). A waiting job of the same target is replaced, so rescheduling never leaves a second one.
 */
export function enqueuePublish(tx: RawTx, tenantId: string, targetIds: readonly string[], runAt: Date): Promise<void> {
  return enqueueJobs(tx, targetIds.map((targetId) => marketingPublishJob.jobs.at({ tenantId, targetId }, runAt)));
}

/** Removes the waiting publish jobs of these targets inside the caller's transaction (a running one is left to see the cancel). */
export function removePublish(tx: RawTx, targetIds: readonly string[]): Promise<void> {
  return removeJobs(tx, targetIds.map(publishJobKey));
}
