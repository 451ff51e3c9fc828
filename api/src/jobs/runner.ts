import { EventEmitter } from "node:events";
import { Logger as GraphileLogger, run, type Runner, type TaskList, type WorkerEvents } from "graphile-worker";
import pg from "pg";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { poolConfig } from "../db/client.ts";
import { auditMaintenance } from "./audit-maintenance.ts";
import { createWebhookWorker } from "./webhook-worker.ts";
import { createMarketingWorker } from "./marketing-worker.ts";
import { configurePipeline } from "../events/hooks.ts";
import { startWorkerLiveness } from "./worker-liveness.ts";
import { recordCompletions } from "./completions.ts";

export interface WorkerHandle {
  runner: Runner;
  /** `SELECT 1` through the worker's own pool: resolves when the worker can reach its database */
  ping(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts graphile-worker on the application database (its schema `graphile_worker` is migrated on start).
 * `stop` waits for running jobs to finish; a job interrupted by a crash is picked up again as soon as a live worker
 * sees its worker is dead (worker-liveness.ts), not after graphile-worker's 4-hour lock timeout. `testTasks`: tasks a
 * test adds to the definitions' (a job of its own to run).
 */
export async function startWorker(env: Env, databaseUrl: string, log: Logger, concurrency = 4, testTasks: TaskList = {}): Promise<WorkerHandle> {
  const pool = new pg.Pool(poolConfig(databaseUrl, { ...env, DB_POOL_MAX: Math.max(env.DB_POOL_MAX, concurrency + 2) }));
  // errors of idle clients (pool) and of checked-out ones (each client): logged, never an uncaught exception
  pool.on("error", (err) => log.error({ err }, "worker pool: idle client error"));
  pool.on("connect", (client) => client.on("error", (err) => log.error({ err }, "worker pool: client error")));
  configurePipeline(env); // the worker's own changes (disabling a failing endpoint) are audited and outboxed too
  const webhooks = await createWebhookWorker(env, databaseUrl, log, concurrency);
  const audit = await auditMaintenance(env, log);
  const marketing = await createMarketingWorker(env, databaseUrl, log);
  await audit.onStart(pool);
  const events = new EventEmitter() as unknown as WorkerEvents;
  const liveness = await startWorkerLiveness({ databaseUrl, events, log, intervalMs: env.WORKER_RECOVERY_INTERVAL_MS });
  const completions = recordCompletions(events, pool, log, env.WORKER_COMPLETED_RETENTION_HOURS);
  const runner = await run({
    pgPool: pool,
    concurrency,
    noHandleSignals: true,
    // new jobs are announced (NOTIFY at commit); future runAt jobs (webhook retries) and the next job of a named
    // queue are found by polling: keep it short
    pollInterval: 200,
    // jobs finished in the same tick are marked complete in one statement. No localQueue (batched fetching): it locks
    // a batch of jobs into one process, and a second worker process then sits idle (test/scale-workers.test.ts)
    preset: { worker: { completeJobBatchDelay: 0 } },
    // every job of jobs/definitions.ts, each side with its own dependencies
    taskList: { ...webhooks.tasks, ...audit.tasks, ...marketing.tasks, ...testTasks },
    parsedCronItems: [...audit.cronItems, ...marketing.cronItems],
    logger: graphileLogger(log),
    events,
  });
  await liveness.recover().catch((err) => log.error({ err }, "worker crash recovery failed"));
  return {
    runner,
    ping: () => pool.query("SELECT 1").then(() => undefined),
    async stop() {
      await runner.stop();
      await completions.stop();
      await liveness.stop();
      await webhooks.close();
      await marketing.close();
      await pool.end();
    },
  };
}

function graphileLogger(log: Logger): GraphileLogger {
  const child = log.child({ component: "graphile-worker" });
  const levels = { error: "error", warning: "warn", info: "info", debug: "debug" } as const;
  return new GraphileLogger((scope) => (level, message, meta) => {
    child[levels[level as keyof typeof levels] ?? "info"]({ ...scope, ...meta }, message);
  });
}
