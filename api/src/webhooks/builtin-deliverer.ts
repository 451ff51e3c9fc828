import type { WebhookConfig } from "./config.ts";
import type {
  AttemptRecord,
  AttemptRecorder,
  BuiltinDelivery,
  BuiltinSent,
  DeliveryTarget,
  EndpointDelivery,
  WebhookEndpointConfig,
  WebhookMessage,
} from "./deliverer.ts";
import { EndpointGuards } from "./endpoint-guards.ts";
import { createAgents, postWebhook, type PostOutcome } from "./http-post.ts";
import { nextAttemptAt } from "./retry-schedule.ts";
import { activeSecrets, signPayload } from "./signing.ts";
import { tracing } from "../telemetry/hooks.ts";
import { checkWebhookUrl } from "./ssrf.ts";

export const WEBHOOK_USER_AGENT = "H2O-ACP-Webhooks/1.0";

export interface BuiltinDelivererOptions {
  config: Omit<WebhookConfig, "svix" | "maxPayloadBytes">;
  /** Hears every attempt before it is answered (tests); the worker records attempts itself. */
  recorder?: AttemptRecorder;
  /** The clock for signing timestamps and schedules; tests may pin it. */
  now?: () => Date;
  /** The jitter source of {@link nextAttemptAt}. */
  random?: () => number;
}

/**
 * Delivers by itself: each `send` makes exactly one attempt per target (or defers it when that endpoint is at
 * its concurrency or rate limit), signs it with every active secret of the endpoint, tells the
 * {@link AttemptRecorder} (when given) before returning, and says when the next attempt is due on the configured schedule.
 * 2xx is success; anything else, a timeout, a refused address or an open circuit is a failed attempt.
 * Targets are attempted concurrently, each under its own endpoint's guards.
 */
export class BuiltinDeliverer implements BuiltinDelivery {
  readonly kind = "builtin";
  private readonly guards: EndpointGuards;
  private readonly agents: ReturnType<typeof createAgents>;
  private readonly now: () => Date;
  private readonly random: () => number;

  constructor(private readonly options: BuiltinDelivererOptions) {
    const { config } = options;
    this.guards = new EndpointGuards({
      concurrency: config.endpointConcurrency,
      breakerThreshold: config.breakerThreshold,
      breakerOpenMs: config.breakerOpenMs,
    });
    this.agents = createAgents(config.endpointConcurrency);
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  /** Nothing to declare: the worker filters endpoints itself. */
  async syncEventTypes(): Promise<void> {}

  /** Checks the URL against the SSRF policy (resolving the host); a changed endpoint starts with a closed circuit. */
  async upsertEndpoint(endpoint: WebhookEndpointConfig): Promise<void> {
    await checkWebhookUrl(endpoint.url, this.options.config.urlPolicy);
    this.guards.forget(endpoint.id);
  }

  async deleteEndpoint(_tenantId: string, endpointId: string): Promise<void> {
    this.guards.forget(endpointId);
  }

  /** Nothing to mirror: every attempt signs with the secrets the target carries. */
  async rotateSecret(_endpoint: WebhookEndpointConfig): Promise<void> {}

  async send(message: WebhookMessage, targets: readonly DeliveryTarget[]): Promise<BuiltinSent> {
    const deliveries = await Promise.all(targets.map((target) => this.attempt(message, target)));
    return { via: "builtin", deliveries };
  }

  async appPortalLink(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  async attempt(message: WebhookMessage, { endpoint, attempt }: DeliveryTarget): Promise<EndpointDelivery> {
    if (endpoint.tenantId !== message.tenantId) throw new Error(`endpoint ${endpoint.id} belongs to another tenant than message ${message.id}`);
    if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be 1 or more, got ${attempt}`);
    if (activeSecrets(endpoint.secrets, this.now()).length === 0) throw new Error(`endpoint ${endpoint.id} has no active signing secret`);
    const { config } = this.options;

    const outcome = await this.guards.run(endpoint.id, endpoint.rateLimitPerSecond, async () => {
      const at = this.now();
      const headers: Record<string, string> = { ...signPayload(message.id, at, message.payload, activeSecrets(endpoint.secrets, at)), "user-agent": WEBHOOK_USER_AGENT };
      tracing.inject?.(headers); // with tracing on: `traceparent` of the attempt, for a partner that traces too
      const post = await postWebhook(endpoint.url, message.payload, headers, { policy: config.urlPolicy, timeoutMs: config.timeoutMs, agents: this.agents });
      return { ...post, success: isSuccess(post) };
    });
    const base = { endpointId: endpoint.id, attempt };
    if (outcome.kind === "deferred") {
      return { ...base, status: "deferred", record: null, nextAttemptAt: new Date(this.now().getTime() + outcome.retryAfterMs) };
    }
    const post: PostOutcome & { success: boolean } =
      outcome.kind === "ran"
        ? outcome.result
        : { startedAt: this.now(), latencyMs: 0, statusCode: null, responseBodyExcerpt: null, error: "circuit open: the endpoint keeps failing; not attempted", success: false };
    const record: AttemptRecord = { messageId: message.id, tenantId: message.tenantId, ...base, ...post };
    await this.options.recorder?.record(record);
    if (record.success) return { ...base, status: "succeeded", record, nextAttemptAt: null };
    const next = nextAttemptAt(attempt, this.now(), config.retryScheduleMs, this.random, config.retryJitter);
    return { ...base, status: next ? "retrying" : "failed", record, nextAttemptAt: next };
  }
}

function isSuccess(post: PostOutcome): boolean {
  return post.error === null && post.statusCode !== null && post.statusCode >= 200 && post.statusCode < 300;
}
