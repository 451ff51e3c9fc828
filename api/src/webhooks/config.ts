import type { Env } from "../env.ts";
import type { UrlPolicy } from "./ssrf.ts";

/** Everything webhook delivery reads from the environment, with the production-dependent defaults resolved. */
export interface WebhookConfig {
  /** Delay before attempt n+1, counted from attempt n (index 0: delay of the first attempt). */
  retryScheduleMs: readonly number[];
  /** Relative jitter applied to each delay: 0.2 spreads a delay over ±20 %. */
  retryJitter: number;
  timeoutMs: number;
  maxPayloadBytes: number;
  endpointConcurrency: number;
  breakerThreshold: number;
  breakerOpenMs: number;
  urlPolicy: UrlPolicy;
  /** Set when webhooks go through Svix instead of the built-in deliverer. */
  svix: { apiKey: string; serverUrl?: string } | null;
}

/** How long a rotated-out signing secret keeps verifying (Svix's default grace period). */
export const SECRET_ROTATION_GRACE_MS = 24 * 3_600_000;

/**
 * The webhook settings of `env`. `WEBHOOK_ALLOW_HTTP` and `WEBHOOK_ALLOW_LOOPBACK` default to allowed outside
 * production and refused in production; an explicit value wins in every environment.
 */
export function webhookConfig(env: Env): WebhookConfig {
  const devDefault = !env.isProduction;
  return {
    retryScheduleMs: env.WEBHOOK_RETRY_SCHEDULE_MS,
    retryJitter: 0.2,
    timeoutMs: env.WEBHOOK_TIMEOUT_MS,
    maxPayloadBytes: env.WEBHOOK_MAX_PAYLOAD_BYTES,
    endpointConcurrency: env.WEBHOOK_ENDPOINT_CONCURRENCY,
    breakerThreshold: env.WEBHOOK_BREAKER_THRESHOLD,
    breakerOpenMs: env.WEBHOOK_BREAKER_OPEN_MS,
    urlPolicy: {
      allowHttp: env.WEBHOOK_ALLOW_HTTP ?? devDefault,
      allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK ?? devDefault,
    },
    svix: env.SVIX_API_KEY ? { apiKey: env.SVIX_API_KEY, serverUrl: env.SVIX_SERVER_URL } : null,
  };
}
