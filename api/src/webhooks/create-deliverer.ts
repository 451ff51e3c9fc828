import type { CircuitState } from "cockatiel";
import { BuiltinDeliverer } from "./builtin-deliverer.ts";
import type { WebhookConfig } from "./config.ts";
import type { WebhookDeliverer } from "./deliverer.ts";
import { SvixDeliverer } from "./svix-deliverer.ts";

/**
 * The process's deliverer: Svix when `SVIX_API_KEY` is set (`SVIX_SERVER_URL` for a self-hosted server),
 * the built-in one otherwise. Svix calls run through a circuit breaker (WEBHOOK_BREAKER_THRESHOLD / _OPEN_MS);
 * `onSvixCircuitChange` hears its state changes. The built-in deliverer's attempts are recorded by the worker's drain
 * (webhooks/attempt-log.ts); Svix keeps its own log.
 */
export function createDeliverer(config: WebhookConfig, onSvixCircuitChange?: (state: CircuitState) => void): WebhookDeliverer {
  if (config.svix) {
    return new SvixDeliverer({
      apiKey: config.svix.apiKey,
      serverUrl: config.svix.serverUrl,
      urlPolicy: config.urlPolicy,
      requestTimeoutMs: config.timeoutMs,
      breakerThreshold: config.breakerThreshold,
      breakerOpenMs: config.breakerOpenMs,
      onCircuitChange: onSvixCircuitChange,
    });
  }
  return new BuiltinDeliverer({ config });
}
