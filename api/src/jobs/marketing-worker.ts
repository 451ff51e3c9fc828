import type { ParsedCronItem, TaskList } from "graphile-worker";
import { LoginLimiter } from "../auth/login-limiter.ts";
import { createPrisma } from "../db/client.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { recordBreaker, type WorkerScope } from "../marketing/outcomes.ts";
import { createMarketingRuntime, type MarketingRuntime } from "../marketing/runtime.ts";
import { marketingJobDefinitions } from "./definitions.ts";
import { cronItemsOf, taskListOf } from "./queue.ts";

/** What the marketing jobs share: their Prisma client and log, and this process's providers and breakers. */
export interface MarketingWorkerDeps {
  scope: WorkerScope;
  runtime: MarketingRuntime;
}

/**
 * The marketing side of a worker: `marketing.publish` (one post on one channel, marketing/publish.ts),
 * `marketing.check_status` (a post the platform still reviews, marketing/status.ts), `marketing.inbound` (a platform
 * notification, marketing/inbound.ts) and the hourly `marketing.refresh_tokens`, with their own Prisma client and this process's circuit breakers, whose
 * transitions are recorded on the account (so it shows its breaker's state).
 */
export async function createMarketingWorker(env: Env, databaseUrl: string, log: Logger): Promise<{ tasks: TaskList; cronItems: ParsedCronItem[]; close(): Promise<void> }> {
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
    tasks: await taskListOf(marketingJobDefinitions, { scope, runtime }),
    cronItems: cronItemsOf(marketingJobDefinitions, env),
    close: () => scope.prisma.$disconnect(),
  };
}
