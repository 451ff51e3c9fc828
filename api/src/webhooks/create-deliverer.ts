import { BuiltinDeliverer } from "./builtin-deliverer.ts";
import type { WebhookConfig } from "./config.ts";
import type { AttemptRecorder, WebhookDeliverer } from "./deliverer.ts";
import { SvixDeliverer } from "./svix-deliverer.ts";

/**
 * The process's deliverer: Svix when `SVIX_API_KEY` is set (`SVIX_SERVER_URL` for a self-hosted server),
 * the built-in one otherwise. `recorder` receives the built-in deliverer's attempts; Svix keeps its own log.
 */
export function createDeliverer(config: WebhookConfig, recorder: AttemptRecorder): WebhookDeliverer {
  if (config.svix) {
    return new SvixDeliverer({
      apiKey: config.svix.apiKey,
      serverUrl: config.svix.serverUrl,
      urlPolicy: config.urlPolicy,
      requestTimeoutMs: config.timeoutMs,
    });
  }
  return new BuiltinDeliverer({ config, recorder });
}
