import { auditHook } from "../audit/hook.ts";
import type { Env } from "../env.ts";
import { webhookOutbox } from "../webhooks/outbox.ts";
import { configureWebhooks } from "../webhooks/runtime.ts";
import type { TransactionalHook } from "./pipeline.ts";

/**
 * What commits with every change, in this order, in every process that runs `runMutation` (API, worker, CLI): the
 * audit row, then the webhook outbox messages and their fan-out jobs. The one list the pipeline runs, unless the
 * process's services give it another (`Services.hooks`: tests and benchmarks that add or leave out a hook).
 */
export const pipelineHooks: readonly TransactionalHook[] = [auditHook, webhookOutbox];

/** Configures what the hooks need (the webhook runtime: delivery mode, payload bound). Call once at start-up. */
export function configurePipeline(env: Env): void {
  configureWebhooks(env);
}
