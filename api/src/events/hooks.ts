import "../audit/hook.ts"; // registers the audit hook when first imported: it always runs first
import type { Env } from "../env.ts";
import { registerWebhookOutbox } from "../webhooks/outbox.ts";
import { configureWebhooks } from "../webhooks/runtime.ts";

/**
 * Everything that must commit with every change, for every process that runs `runMutation` (API, worker, CLI):
 * the audit row, then the webhook outbox row and its job. Call once at start-up; calling again changes nothing.
 */
export function registerPipelineHooks(env: Env): void {
  configureWebhooks(env);
  registerWebhookOutbox();
}
