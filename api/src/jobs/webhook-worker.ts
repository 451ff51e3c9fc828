import { CircuitState } from "cockatiel";
import pg from "pg";
import { LoginLimiter } from "../auth/login-limiter.ts";
import type { Services } from "../context.ts";
import type { TaskList } from "graphile-worker";
import { createPrisma, poolConfig, type Prisma } from "../db/client.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { detailedCatalog } from "../webhooks/catalog-schemas.ts";
import { createDeliverer } from "../webhooks/create-deliverer.ts";
import type { WebhookDeliverer } from "../webhooks/deliverer.ts";
import { configureWebhooks, type WebhookSettings } from "../webhooks/runtime.ts";
import { webhookJobDefinitions } from "./definitions.ts";
import { taskListOf } from "./queue.ts";

/** What the webhook tasks of one worker share: their own Prisma client, the deliverer, the settings. */
export interface WebhookWorkerDeps {
  prisma: Prisma;
  deliverer: WebhookDeliverer;
  settings: WebhookSettings;
  /**
   * The webhook tasks' own connections, one per job slot: a drain holds its endpoint's lock on one
   * (webhooks/endpoint-lock.ts), a built-in fan-out runs its transaction on one (jobs/webhook-fanout.ts).
   */
  locks: pg.Pool;
  /** For the system context of the changes the worker makes itself (context.ts `systemContext`). */
  services: Services;
  log: Logger;
}

/**
 * The webhook side of a worker: its tasks (`webhook.fanout`, `webhook.deliver`, `webhook.sync_endpoint`) bound to
 * a deliverer (Svix when configured, the built-in one otherwise). With Svix, the event catalog is declared to it
 * first. The built-in deliverer's attempts are written by the deliver task itself, with the delivery's new state, in
 * one statement (webhooks/attempt-log.ts). `concurrency` is the worker's number of job slots.
 */
export async function createWebhookWorker(env: Env, databaseUrl: string, log: Logger, concurrency: number): Promise<{ tasks: TaskList; close(): Promise<void> }> {
  const settings = configureWebhooks(env);
  const prisma = createPrisma(databaseUrl, env);
  const locks = new pg.Pool({ ...poolConfig(databaseUrl, { ...env, DB_POOL_MAX: concurrency }), application_name: "h2o-acp-webhook-locks" });
  locks.on("error", (err) => log.error({ err }, "webhook lock pool: idle client error"));
  const deliverer = createDeliverer(settings.config, (state) =>
    log.warn({ component: "webhooks", svixCircuit: CircuitState[state] }, `Svix circuit ${CircuitState[state]}`),
  );
  if (deliverer.kind === "svix") await deliverer.syncEventTypes(await detailedCatalog());
  const services: Services = { env, loginLimiter: new LoginLimiter() };
  const deps: WebhookWorkerDeps = { prisma, deliverer, settings, locks, services, log: log.child({ component: "webhooks" }) };
  return {
    tasks: await taskListOf(webhookJobDefinitions, deps),
    async close() {
      await deliverer.close();
      await prisma.$disconnect();
      await locks.end();
    },
  };
}
