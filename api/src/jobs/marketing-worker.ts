import { parseCronItems, type ParsedCronItem, type TaskList } from "graphile-worker";
import { LoginLimiter } from "../auth/login-limiter.ts";
import { createPrisma } from "../db/client.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { INBOUND_TASK, processInbound } from "../marketing/inbound.ts";
import { recordBreaker, type WorkerScope } from "../marketing/outcomes.ts";
import { publishTarget, type PublishPayload } from "../marketing/publish.ts";
import { PUBLISH_TASK } from "../marketing/queue.ts";
import { refreshExpiringTokens } from "../marketing/refresh.ts";
import { checkStatus, STATUS_TASK, type StatusPayload } from "../marketing/status.ts";
import { createMarketingRuntime } from "../marketing/runtime.ts";

export const REFRESH_TASK = "marketing.refresh_tokens";

/**
 * The marketing side of a worker: `marketing.publish` (one post on one channel, marketing/publish.ts),
 * `marketing.check_status` (a post the platform still reviews, marketing/status.ts), `marketing.inbound` (a platform
 * notification, marketing/inbound.ts) and the hourly `marketing.refresh_tokens`, with their own Prisma client and this process's circuit breakers, whose
 * transitions are recorded on the account (so it shows its breaker's state).
 */
export function createMarketingWorker(env: Env, databaseUrl: string, log: Logger): { tasks: TaskList; cronItems: ParsedCronItem[]; close(): Promise<void> } {
  const scope: WorkerScope = { prisma: createPrisma(databaseUrl, env), services: { env, loginLimiter: new LoginLimiter() }, log: log.child({ component: "marketing" }) };
  // one account's transitions are recorded in the order they happened (half_open then closed comes ms apart)
  const recording = new Map<string, Promise<void>>();
  const runtime = createMarketingRuntime(env, (key, state) => {
    const [, tenantId, accountId] = key.split(":");
    if (!tenantId || !accountId) return;
    scope.log.warn({ accountId, state }, "channel account circuit breaker changed state");
    const next = (recording.get(key) ?? Promise.resolve())
      .then(() => recordBreaker(scope, tenantId, accountId, state))
      .catch((err) => scope.log.error({ err, accountId }, "recording a breaker state failed"));
    recording.set(key, next);
    void next.then(() => recording.get(key) === next && recording.delete(key));
  });
  return {
    tasks: {
      [PUBLISH_TASK]: (payload, helpers) => publishTarget(scope, runtime, payload as PublishPayload, helpers),
      [STATUS_TASK]: (payload, helpers) => checkStatus(scope, runtime, payload as StatusPayload, helpers),
      [INBOUND_TASK]: async (payload) => {
        const { notified } = await processInbound(scope, runtime, (payload as { inboundId: string }).inboundId);
        if (notified) scope.log.info({ notified }, "platform notification turned into events");
      },
      [REFRESH_TASK]: async () => {
        const counts = await refreshExpiringTokens(scope, runtime);
        if (counts.refreshed || counts.needsReconnect || counts.failed) scope.log.info(counts, "channel account tokens refreshed");
      },
    },
    cronItems: parseCronItems([{ task: REFRESH_TASK, match: "23 * * * *", identifier: REFRESH_TASK }]),
    close: () => scope.prisma.$disconnect(),
  };
}
