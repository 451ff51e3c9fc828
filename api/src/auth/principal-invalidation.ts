import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import type { Env } from "../env.ts";
import type { DomainEvent } from "../events/domain-event.ts";
import { flushKeyUsage, useKeyUsageLog } from "./api-key-usage.ts";
import { PrincipalCache, principalCache, usePrincipalCache, type PrincipalInvalidation } from "./principal-cache.ts";

/** The invalidation channel's heartbeat: a PING this often, and a reconnect when one goes unanswered this long. */
export const HEARTBEAT_MS = 1_000;
export const HEARTBEAT_TIMEOUT_MS = 2_000;

const origin = randomUUID();
let publish: ((change: PrincipalInvalidation) => void) | null = null;

/**
 * Drops the cached rights a change makes wrong, in this process at once and, when the invalidation channel is
 * connected (`startPrincipalCache` with REDIS_URL), in every other replica (one Redis message; replicas apply it
 * as it arrives, well within a second). Call it after the change is committed. Never throws.
 */
export function invalidatePrincipals(change: PrincipalInvalidation): void {
  principalCache.invalidate(change);
  publish?.(change);
}

/**
 * The invalidations a committed domain event implies: the same changes that close live connections
 * (auth/access-watch.ts), taken broadly: any change to a user (disabled, password changed), to a membership (added,
 * re-roled, removed), to an API key (revoked), or to the tenant's configuration (capabilities, limits).
 */
export function invalidatePrincipalsFor(event: DomainEvent): void {
  const row = (event.after ?? event.before) as { userId?: unknown } | null;
  switch (event.entityType) {
    case "user":
      return invalidatePrincipals({ userId: event.entityId });
    case "membership":
      return invalidatePrincipals(typeof row?.userId === "string" ? { userId: row.userId } : { tenantId: event.tenantId });
    case "api_key":
      return invalidatePrincipals({ apiKeyId: event.entityId });
    case "tenant_config":
      return invalidatePrincipals({ tenantId: event.tenantId });
    default:
      return;
  }
}

/**
 * Configures the process's principal cache from `env` and, with REDIS_URL, connects its invalidation channel
 * (`REDIS_KEY_PREFIX` + `principal-invalidations`): a subscriber connection of its own, and `publisher` (the
 * pubsub's publishing connection) to send. Fail-safe rules (principal-cache.ts): until subscribed, and whenever the
 * subscriber connection closes or misses a heartbeat (PING every HEARTBEAT_MS, answered within
 * HEARTBEAT_TIMEOUT_MS), entries older than PRINCIPAL_CACHE_OUTAGE_MS are looked up again; once subscribed again,
 * the cache is emptied. So stale rights last at most PRINCIPAL_CACHE_OUTAGE_MS (plus HEARTBEAT_TIMEOUT_MS when the
 * connection dies silently), and never more than PRINCIPAL_CACHE_MAX_AGE_MS. `close()` flushes the API keys'
 * `lastUsedAt` and disconnects.
 */
export function startPrincipalCache(
  env: Pick<Env, "REDIS_URL" | "REDIS_KEY_PREFIX" | "PRINCIPAL_CACHE_MAX_AGE_MS" | "PRINCIPAL_CACHE_OUTAGE_MS" | "PRINCIPAL_CACHE_MAX_ENTRIES">,
  log: Logger,
  options: { publisher?: Redis | null; registry?: Registry } = {},
): { close(): Promise<void> } {
  const cache = new PrincipalCache({ maxEntries: env.PRINCIPAL_CACHE_MAX_ENTRIES, maxAgeMs: env.PRINCIPAL_CACHE_MAX_AGE_MS, outageMs: env.PRINCIPAL_CACHE_OUTAGE_MS });
  usePrincipalCache(cache);
  const channelLog = log.child({ component: "principal-cache" });
  useKeyUsageLog(channelLog);
  if (options.registry) registerMetrics(options.registry, cache);
  const stopChannel = env.REDIS_URL && options.publisher ? connectChannel(env.REDIS_URL, env.REDIS_KEY_PREFIX + "principal-invalidations", options.publisher, cache, channelLog) : null;
  return {
    async close() {
      await stopChannel?.();
      await flushKeyUsage();
      cache.clear();
    },
  };
}

function connectChannel(url: string, channel: string, publisher: Redis, cache: PrincipalCache, log: Logger): () => Promise<void> {
  cache.channelDown(); // nothing heard yet: trust entries only briefly until subscribed
  const subscriber = new Redis(url, { maxRetriesPerRequest: null, connectionName: "h2o-acp-principals", retryStrategy: (n) => Math.min(100 * n, 1_000) });
  let lastError = "";
  subscriber.on("error", (err: Error) => {
    if (err.message !== lastError) log.error({ err }, "principal invalidation channel: redis error");
    lastError = err.message;
  });
  const down = () => cache.channelDown();
  subscriber.on("close", down);
  subscriber.on("reconnecting", down);
  subscriber.on("ready", () => {
    subscriber.subscribe(channel).then(
      () => {
        lastError = "";
        cache.channelUp();
      },
      (err: Error) => log.error({ err }, "principal invalidation channel: subscribe failed"),
    );
  });
  subscriber.on("message", (from: string, message: string) => {
    if (from !== channel) return;
    const parsed = parseMessage(message);
    if (parsed && parsed.origin !== origin) cache.invalidate(parsed.change);
  });
  let closing = false;
  const heartbeat = setInterval(() => {
    if (subscriber.status !== "ready") return;
    const timeout = setTimeout(() => {
      if (closing) return;
      log.warn("principal invalidation channel: heartbeat missed, reconnecting");
      cache.channelDown();
      subscriber.disconnect(true);
    }, HEARTBEAT_TIMEOUT_MS);
    subscriber.ping().then(() => clearTimeout(timeout), () => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  publish = (change) => void publisher.publish(channel, JSON.stringify({ origin, change })).catch((err: Error) => log.error({ err, change }, "principal invalidation: publish failed"));
  return async () => {
    closing = true;
    clearInterval(heartbeat);
    publish = null;
    subscriber.disconnect(); // not QUIT: that would wait for a Redis that may be away
  };
}

const KINDS = ["userId", "sessionId", "apiKeyId", "tenantId"] as const;

/** A message from the channel, or null when it is not one of ours (anything else on the channel is ignored). */
function parseMessage(message: string): { origin: string; change: PrincipalInvalidation } | null {
  try {
    const m = JSON.parse(message) as { origin?: unknown; change?: Record<string, unknown> };
    if (typeof m.origin !== "string" || !m.change || typeof m.change !== "object") return null;
    if (m.change.all === true) return { origin: m.origin, change: { all: true } };
    const kind = KINDS.find((k) => typeof m.change![k] === "string");
    return kind ? { origin: m.origin, change: { [kind]: m.change[kind] } as PrincipalInvalidation } : null;
  } catch {
    return null;
  }
}

function registerMetrics(registry: Registry, cache: PrincipalCache) {
  new Counter({
    name: "principal_cache_lookups_total",
    help: "Requests' principal resolutions, answered from the cache (hit) or looked up in the database (miss)",
    labelNames: ["result"] as const,
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ result: "hit" }, cache.stats.hits);
      this.inc({ result: "miss" }, cache.stats.misses);
    },
  });
  new Gauge({
    name: "principal_cache_channel_up",
    help: "1 when the principal cache hears invalidations (in-process, or its Redis channel is subscribed); 0 during an outage",
    registers: [registry],
    collect() {
      this.set(cache.channel === "down" ? 0 : 1);
    },
  });
}
