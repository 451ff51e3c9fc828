import { circuitBreaker, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy, type CircuitState } from "cockatiel";
import { ApiException, Svix, type EndpointUpdate } from "svix";
import type { EventTypeDefinition, PortalLink, SvixDelivery, SvixSent, WebhookEndpointConfig, WebhookMessage } from "./deliverer.ts";
import { expandPatterns } from "./catalog.ts";
import { checkWebhookUrl, type UrlPolicy } from "./ssrf.ts";

export interface SvixDelivererOptions {
  apiKey: string;
  /** A self-hosted Svix server (or the test stand-in); Svix's cloud, by the key's region, when unset. */
  serverUrl?: string;
  urlPolicy: UrlPolicy;
  /** Per Svix API call, retries of 5xx included by the svix client. */
  requestTimeoutMs?: number;
  /** The human name of a tenant's Svix application; the tenant id when unset. */
  applicationName?: (tenantId: string) => string;
  /** Consecutive failed Svix calls (5xx, timeouts, network) that open the circuit, and how long it stays open. */
  breakerThreshold?: number;
  breakerOpenMs?: number;
  /** Told of every circuit change (open, half-open, closed), e.g. to log it. */
  onCircuitChange?: (state: CircuitState) => void;
}

/** Svix's answers that are not outages (a 4xx: conflict, not found, bad request) never count against the circuit. */
const isOutage = (err: Error) => !(err instanceof ApiException && err.code >= 400 && err.code < 500);

const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/**
 * Delivers through Svix: one Svix application per tenant (`uid` = tenant id, created on first use with
 * getOrCreate), our endpoints mirrored with our endpoint id as `uid` (URL, filter types, throttle rate, secret),
 * and each message created once, with the event id as `eventId` and as the idempotency key, so a repeated
 * `send` (a worker crash, a replayed job) never duplicates a delivery. Svix owns fan-out, retries and the
 * attempt log from there; `send` resolves when Svix has accepted the message.
 */
export class SvixDeliverer implements SvixDelivery {
  readonly kind = "svix";
  private readonly svix: Svix;
  /** Tenants whose application exists: a cache of this process, never a source of truth. */
  private readonly knownApps = new Set<string>();
  /**
   * One circuit around every call to Svix (cockatiel): after `breakerThreshold` consecutive outages it opens, and
   * calls fail at once with cockatiel's BrokenCircuitError (the worker retries the job later) instead of waiting on
   * timeouts; after `breakerOpenMs` one call probes. Its state: {@link circuitState}.
   */
  private readonly breaker: CircuitBreakerPolicy;

  constructor(private readonly options: SvixDelivererOptions) {
    const raw = new Svix(options.apiKey, { serverUrl: options.serverUrl, requestTimeout: options.requestTimeoutMs ?? 15_000 });
    this.breaker = circuitBreaker(handleWhen(isOutage), {
      halfOpenAfter: options.breakerOpenMs ?? 30_000,
      breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
    });
    this.breaker.onStateChange((state) => options.onCircuitChange?.(state));
    this.svix = guarded(raw, this.breaker);
  }

  /** The Svix circuit's state in this process: Closed, Open, HalfOpen or Isolated (cockatiel's CircuitState). */
  circuitState(): CircuitState {
    return this.breaker.state;
  }

  /** Creates or updates each event type (Svix's PUT is an upsert); Svix refuses endpoint filters on unknown types. */
  async syncEventTypes(catalog: readonly EventTypeDefinition[]): Promise<void> {
    for (const type of catalog) {
      await this.svix.eventType.update(type.name, { description: type.description, schemas: type.schemas ?? null, archived: false });
    }
  }

  /** Gets or creates the tenant's application. Idempotent; after the first call, free in this process. */
  async ensureApplication(tenantId: string): Promise<void> {
    if (this.knownApps.has(tenantId)) return;
    await this.svix.application.getOrCreate({ name: this.appName(tenantId), uid: tenantId });
    this.knownApps.add(tenantId);
  }

  /** Creates the Svix endpoint with our current secret, or, when it exists (409), replaces its settings. */
  async upsertEndpoint(endpoint: WebhookEndpointConfig): Promise<void> {
    await checkWebhookUrl(endpoint.url, this.options.urlPolicy);
    const settings: EndpointUpdate = {
      uid: endpoint.id,
      url: endpoint.url,
      description: endpoint.description ?? "",
      filterTypes: endpoint.filterTypes?.length ? expandPatterns(endpoint.filterTypes) : null,
      throttleRate: endpoint.rateLimitPerSecond,
      disabled: endpoint.disabled,
    };
    await this.withApp(endpoint.tenantId, async () => {
      try {
        await this.svix.endpoint.create(endpoint.tenantId, { ...settings, secret: endpoint.secrets[0]?.secret ?? null });
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
        await this.svix.endpoint.update(endpoint.tenantId, endpoint.id, settings);
      }
    });
  }

  /** Deletes the mirrored endpoint; one that is already gone counts as deleted. */
  async deleteEndpoint(tenantId: string, endpointId: string): Promise<void> {
    try {
      await this.svix.endpoint.delete(tenantId, endpointId);
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
    }
  }

  /** Makes `secrets[0]` Svix's current secret; the previous one verifies until the latest `expiresAt` of the others. */
  async rotateSecret(endpoint: WebhookEndpointConfig): Promise<void> {
    const [current, ...older] = endpoint.secrets;
    if (!current) throw new Error(`endpoint ${endpoint.id} has no secret`);
    const until = Math.max(0, ...older.map((s) => (s.expiresAt ? s.expiresAt.getTime() : 0)));
    const gracePeriodSeconds = Math.min(MAX_GRACE_SECONDS, Math.max(0, Math.round((until - Date.now()) / 1000)));
    await this.svix.endpoint.rotateSecret(endpoint.tenantId, endpoint.id, { key: current.secret, gracePeriodSeconds });
  }

  /** Hands the message to Svix, idempotently; a message Svix already has (same event id) resolves to that message. */
  async send(message: WebhookMessage): Promise<SvixSent> {
    const created = await this.withApp(message.tenantId, async () => {
      try {
        return await this.svix.message.create(
          message.tenantId,
          { eventType: message.eventType, eventId: message.id, payload: JSON.parse(message.payload) },
          { idempotencyKey: message.id, withContent: false },
        );
      } catch (err) {
        if (!isStatus(err, 409)) throw err;
        return await this.svix.message.get(message.tenantId, message.id);
      }
    });
    return { via: "svix", providerMessageId: created.id };
  }

  /** A magic link to Svix's app portal for the tenant's admins (creates the application when missing). */
  async appPortalLink(tenantId: string): Promise<PortalLink> {
    const access = await this.svix.authentication.appPortalAccess(tenantId, { application: { name: this.appName(tenantId), uid: tenantId } });
    this.knownApps.add(tenantId);
    return { url: access.url, token: access.token };
  }

  async close(): Promise<void> {}

  private appName(tenantId: string): string {
    return this.options.applicationName?.(tenantId) ?? tenantId;
  }

  /** Runs `fn` once the tenant's application exists; when Svix says it does not (404), forgets it and tries once more. */
  private async withApp<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    await this.ensureApplication(tenantId);
    try {
      return await fn();
    } catch (err) {
      if (!isStatus(err, 404)) throw err;
      this.knownApps.delete(tenantId);
      await this.ensureApplication(tenantId);
      return await fn();
    }
  }
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

/** The client with every API method's call run through the breaker (`svix.message.create(...)` and the rest). */
function guarded(svix: Svix, breaker: CircuitBreakerPolicy): Svix {
  const wrapResource = (resource: object) =>
    new Proxy(resource, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver);
        return typeof value === "function" ? (...args: unknown[]) => breaker.execute(() => value.apply(target, args)) : value;
      },
    });
  return new Proxy(svix, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      return value && typeof value === "object" ? wrapResource(value) : value;
    },
  });
}
