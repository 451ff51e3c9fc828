import type { Env } from "../env.ts";
import { webhookConfig, type WebhookConfig } from "./config.ts";
import type { WebhookDeliverer } from "./deliverer.ts";
import { SecretBox } from "./secret-box.ts";
import { SvixDeliverer } from "./svix-deliverer.ts";

/** How long an endpoint may keep failing before it is disabled (and admins notified). */
export const DISABLE_FAILING_ENDPOINT_AFTER_MS = 5 * 24 * 3_600_000;

export interface WebhookSettings {
  config: WebhookConfig;
  box: SecretBox;
  /** After how long of continuous failure an endpoint is disabled. */
  disableAfterMs: number;
}

let settings: WebhookSettings | null = null;
let portalDeliverer: SvixDeliverer | null = null;

/** Set once at start-up by every process that serves webhook mutations (buildApp) or delivers them (the worker). */
export function configureWebhooks(env: Env): WebhookSettings {
  settings = { config: webhookConfig(env), box: new SecretBox(env.ENCRYPTION_KEY), disableAfterMs: env.WEBHOOK_DISABLE_AFTER_MS };
  portalDeliverer = null;
  return settings;
}

export function webhookSettings(): WebhookSettings {
  if (!settings) throw new Error("webhooks not configured: call configureWebhooks(env) at start-up");
  return settings;
}

/** The payload bound; the documented default when this process never configured webhooks. */
export const maxPayloadBytes = () => settings?.config.maxPayloadBytes ?? 256 * 1024;

/** Whether webhooks go through Svix in this process's configuration. */
export const usesSvix = () => !!settings?.config.svix;

/** The API process's Svix client, for portal links; null without Svix. Endpoint mirroring happens in the worker. */
export function svixForApi(): WebhookDeliverer | null {
  const { config } = webhookSettings();
  if (!config.svix) return null;
  portalDeliverer ??= new SvixDeliverer({ apiKey: config.svix.apiKey, serverUrl: config.svix.serverUrl, urlPolicy: config.urlPolicy, requestTimeoutMs: config.timeoutMs });
  return portalDeliverer;
}
