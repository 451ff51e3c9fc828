import { patternMatches } from "./catalog.ts";
import type { EndpointSecret } from "./signing.ts";

/** A partner endpoint as our database holds it; both deliverers take this same shape. */
export interface WebhookEndpointConfig {
  /** Our endpoint id; the `uid` of the mirrored Svix endpoint. */
  id: string;
  tenantId: string;
  url: string;
  description?: string;
  /** Event types the endpoint wants; `null` or empty: all of them. */
  filterTypes: readonly string[] | null;
  /** Messages per second at most; `null`: no limit beyond the concurrency limit. */
  rateLimitPerSecond: number | null;
  disabled: boolean;
  /** The current secret first; rotated-out secrets carry `expiresAt` (see `rotateSecrets`). */
  secrets: readonly EndpointSecret[];
}

/** One event, ready to send. */
export interface WebhookMessage {
  /** The event id: the `webhook-id` header, Svix's `eventId`, and the idempotency key of every send. */
  id: string;
  tenantId: string;
  eventType: string;
  /** The serialized envelope (`serializeEnvelope`): exactly the bytes signed and sent. */
  payload: string;
}

/** Built-in delivery: which endpoint to attempt, and which attempt (1-based) this is. */
export interface DeliveryTarget {
  endpoint: WebhookEndpointConfig;
  attempt: number;
}

/** One HTTP attempt (or one refused before any byte was sent: SSRF, open circuit), as it is recorded. */
export interface AttemptRecord {
  messageId: string;
  tenantId: string;
  endpointId: string;
  attempt: number;
  startedAt: Date;
  latencyMs: number;
  /** The response status; `null` when no response arrived (timeout, refused, connection error, open circuit). */
  statusCode: number | null;
  /** The first 1 KiB (at most) of the response body. */
  responseBodyExcerpt: string | null;
  error: string | null;
  success: boolean;
}

/**
 * Hears each attempt the built-in deliverer makes, before `send` resolves (a rejection makes it reject): an observer
 * for tests and tools. The worker does not use one: its drain writes each attempt with the delivery's new state in
 * one statement (webhooks/attempt-log.ts).
 */
export interface AttemptRecorder {
  record(attempt: AttemptRecord): Promise<void>;
}

export type EndpointDeliveryStatus =
  /** 2xx: done. */
  | "succeeded"
  /** The attempt failed; attempt again at `nextAttemptAt`. */
  | "retrying"
  /** The attempt failed and it was the last of the schedule. */
  | "failed"
  /** Not attempted (the endpoint's concurrency or rate limit is reached here): the same attempt again at `nextAttemptAt`. */
  | "deferred";

export interface EndpointDelivery {
  endpointId: string;
  attempt: number;
  status: EndpointDeliveryStatus;
  /** `null` when deferred. */
  record: AttemptRecord | null;
  /** When to run the next (or, for `deferred`, the same) attempt; `null` when succeeded or failed. */
  nextAttemptAt: Date | null;
}

/** Svix accepted the message and owns fan-out, retries and the attempt log from here. */
export interface SvixSent {
  via: "svix";
  providerMessageId: string;
}

/** One outcome per target, in the order of the targets. */
export interface BuiltinSent {
  via: "builtin";
  deliveries: EndpointDelivery[];
}

/** An entry of the event catalog, as the provider needs it to let endpoints filter on it. */
export interface EventTypeDefinition {
  /** e.g. `job.created`: letters, digits, `-`, `_`, `.`. */
  name: string;
  description: string;
  /** JSON Schema of the payload, by payload version (`{ "1": {...} }`), as Svix shows it in its portal. */
  schemas?: Record<string, unknown>;
}

export interface PortalLink {
  url: string;
  token: string;
}

/**
 * Sends webhooks for one process, through Svix or by itself (`kind` says which, and what `send` takes and gives);
 * both sign with the Standard Webhooks scheme and the same `whsec_` secrets, so a receiver cannot tell them apart.
 *
 * Guarantees and limits:
 * - sending is idempotent per `message.id`: Svix dedupes on it (idempotency key and eventId); the built-in
 *   deliverer sends it as `webhook-id`, so a receiver dedupes a repeated attempt.
 * - sending is at-least-once only together with a durable caller: the worker task records the outcome and
 *   schedules `nextAttemptAt`. Nothing here retries in-process or outlives the call.
 * - Svix fans out: `send(message)` and the provider picks the subscribed endpoints from the mirrored `filterTypes`.
 *   The built-in deliverer does not: the caller names each endpoint with its attempt number (see
 *   {@link endpointWantsEvent}) and gets one outcome for each.
 * - Endpoint methods mirror our database to the provider; the database stays the source of truth. They are
 *   idempotent (upsert, delete of a missing endpoint succeeds) and check the URL against the SSRF policy.
 */
export type WebhookDeliverer = BuiltinDelivery | SvixDelivery;

/** Delivers by itself, one HTTP attempt per target. */
export interface BuiltinDelivery extends EndpointMirror {
  readonly kind: "builtin";
  /** One attempt at one endpoint (or a deferral when the endpoint is at its limits): what the worker's drain makes. */
  attempt(message: WebhookMessage, target: DeliveryTarget): Promise<EndpointDelivery>;
  /** One attempt at each target, concurrently, each under its own endpoint's guards. */
  send(message: WebhookMessage, targets: readonly DeliveryTarget[]): Promise<BuiltinSent>;
}

/** Hands each message to Svix, which fans it out, retries and keeps the attempt log. */
export interface SvixDelivery extends EndpointMirror {
  readonly kind: "svix";
  send(message: WebhookMessage): Promise<SvixSent>;
}

interface EndpointMirror {
  /** Declares the event catalog to the provider (Svix refuses endpoint filters on unknown types); idempotent. */
  syncEventTypes(catalog: readonly EventTypeDefinition[]): Promise<void>;
  upsertEndpoint(endpoint: WebhookEndpointConfig): Promise<void>;
  deleteEndpoint(tenantId: string, endpointId: string): Promise<void>;
  /** After `rotateSecrets` was stored: makes `secrets[0]` current, older ones verifying until they expire. */
  rotateSecret(endpoint: WebhookEndpointConfig): Promise<void>;
  /** A link to the provider's self-service portal for a tenant's admins; `null` when there is none (built-in). */
  appPortalLink(tenantId: string): Promise<PortalLink | null>;
  close(): Promise<void>;
}

/** Whether an endpoint receives events of `eventType`: enabled, and no filter or the type in it. */
export function endpointWantsEvent(endpoint: Pick<WebhookEndpointConfig, "disabled" | "filterTypes">, eventType: string): boolean {
  if (endpoint.disabled) return false;
  return !endpoint.filterTypes?.length || endpoint.filterTypes.some((pattern) => patternMatches(pattern, eventType));
}
