import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import type { PubSubEventTarget } from "graphql-yoga";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Env } from "../env.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import type { DomainEvent, EntityType } from "./domain-event.ts";
import { tracing } from "../telemetry/hooks.ts";
import { postgresEventTarget } from "./postgres-bridge.ts";

/** Topics are namespaced by tenant: a subscriber can only ever listen to its own tenant's events. */
export type DomainTopic = `tenant:${string}:${EntityType}`;
/** Every event of one tenant, whatever its entity type (what `tenantEvents` listens to). */
export type TenantTopic = `tenant:${string}:*`;
export type DomainTopics = { [topic: DomainTopic | TenantTopic]: [DomainEvent] };

export const topicFor = (tenantId: string, entityType: EntityType): DomainTopic => `tenant:${tenantId}:${entityType}`;
export const tenantTopicFor = (tenantId: string): TenantTopic => `tenant:${tenantId}:*`;

/** Events a subscription may hold before its consumer takes them; past it, the subscription ends with this error. */
export const DEFAULT_MAX_QUEUED_EVENTS = 1_000;

export class SubscriberOverflowError extends Error {
  override name = "SubscriberOverflowError";
  constructor(limit: number) {
    super(`subscriber fell behind: more than ${limit} events queued; catch up with the queries' updatedAfter filter and subscribe again`);
  }
}

/**
 * The pubsub of domain events.
 * - `publish(topic, event)` delivers the event to the entity topic's subscribers and to the tenant-wide topic's
 *   (`tenant:<id>:*`), on this process or (with a Redis event target) on every API replica. It never throws and
 *   never waits: delivery is at-most-once, in publish order per publisher; catching up after a gap is the
 *   queries' `updatedAfter` filter.
 * - `subscribe(topic)` listens from the moment it is called. Each subscription buffers at most `maxQueued` events
 *   for a consumer that has not taken them yet; one more ends it with a SubscriberOverflowError (memory stays
 *   bounded however slow a consumer is). `keep`, when given, is asked as each event arrives: an event it refuses is
 *   never queued nor counted, and one it throws on ends the subscription with that error. `return()` stops listening.
 * Across Redis, an event arrives as JSON with its dates revived (`occurredAt` and the DateTime columns of
 * `before`/`after`).
 */
export interface DomainPubSub {
  publish(topic: DomainTopic, event: DomainEvent): void;
  subscribe(topic: DomainTopic | TenantTopic, options?: { maxQueued?: number; keep?: (event: DomainEvent) => boolean }): DomainSubscription;
}

/** A subscription's events, in publish order; `return()` stops listening and ends a pending `next()`. */
export interface DomainSubscription extends AsyncIterableIterator<DomainEvent> {
  return(): Promise<IteratorResult<DomainEvent>>;
  throw(err?: unknown): Promise<IteratorResult<DomainEvent>>;
}

type Target = PubSubEventTarget<DomainTopics>;

type Listener = EventListener | EventListenerObject;

/**
 * The in-process event target: each topic's listeners in a Set, so subscribing and unsubscribing cost O(1) however
 * many listen. (Node's EventTarget walks a topic's whole listener list on every add and remove, which made connecting
 * the n-th subscriber of a tenant cost O(n): 20,000 subscribers took minutes to connect.) A dispatch reaches the
 * listeners present when it starts and not removed meanwhile, in subscription order; one that throws does not keep the event from the others,
 * and the first error is rethrown after all of them ran.
 */
export function localTarget(): Target {
  const topics = new Map<string, Set<Listener>>();
  return {
    addEventListener(topic: string, listener: Listener | null) {
      if (!listener) return;
      let listeners = topics.get(topic);
      if (!listeners) topics.set(topic, (listeners = new Set()));
      listeners.add(listener);
    },
    removeEventListener(topic: string, listener: Listener | null) {
      const listeners = topics.get(topic);
      if (!listeners || !listener) return;
      listeners.delete(listener);
      if (!listeners.size) topics.delete(topic);
    },
    dispatchEvent(event: Event) {
      const listeners = topics.get(event.type);
      if (!listeners) return true;
      let failure: { err: unknown } | null = null;
      for (const listener of [...listeners]) {
        if (!topics.get(event.type)?.has(listener)) continue; // removed by an earlier listener of this dispatch
        try {
          if (typeof listener === "function") listener(event);
          else listener.handleEvent(event);
        } catch (err) {
          failure ??= { err };
        }
      }
      if (failure) throw failure.err;
      return true;
    },
  } as unknown as Target;
}

export function createDomainPubSub(eventTarget: Target = localTarget()): DomainPubSub {
  const dispatch = (topic: string, event: DomainEvent) =>
    eventTarget.dispatchEvent(new CustomEvent(topic, { detail: event }) as Parameters<Target["dispatchEvent"]>[0]);
  return {
    publish(topic, event) {
      dispatch(topic, event);
      dispatch(tenantTopicFor(event.tenantId), event);
    },
    subscribe(topic, { maxQueued = DEFAULT_MAX_QUEUED_EVENTS, keep } = {}) {
      return boundedSubscription(eventTarget, topic, maxQueued, keep);
    },
  };
}

function boundedSubscription(target: Target, topic: string, maxQueued: number, keep?: (event: DomainEvent) => boolean): DomainSubscription {
  const queue: DomainEvent[] = [];
  let waiting: { resolve: (r: IteratorResult<DomainEvent>) => void; reject: (e: Error) => void } | null = null;
  let failure: Error | null = null;
  let stopped = false;
  const listener = { handleEvent: (e: Event) => push((e as CustomEvent<DomainEvent>).detail) };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    queue.length = 0;
    target.removeEventListener(topic, listener as never);
  };
  function push(event: DomainEvent) {
    if (stopped) return;
    // filtered here, as the event arrives, not by a layer over next(): a subscriber pays no promise for an event it
    // does not want, and takes the ones it wants straight from here (one async step less per event at fan-out)
    if (keep) {
      try {
        if (!keep(event)) return;
      } catch (err) {
        return fail(err as Error);
      }
    }
    if (waiting) {
      const w = waiting;
      waiting = null;
      return w.resolve({ value: event, done: false });
    }
    if (queue.length < maxQueued) return void queue.push(event);
    fail(new SubscriberOverflowError(maxQueued));
  }
  /** Ends the subscription with `err`: the pending next() rejects with it, else the next one does. */
  function fail(err: Error) {
    stop();
    if (!waiting) return void (failure = err);
    const w = waiting;
    waiting = null;
    w.reject(err);
  }
  target.addEventListener(topic, listener as never);
  const done = (): IteratorResult<DomainEvent> => ({ value: undefined, done: true });
  const iterator: DomainSubscription = {
    next() {
      if (queue.length) return Promise.resolve({ value: queue.shift()!, done: false });
      if (failure) {
        const err = failure;
        failure = null;
        return Promise.reject(err);
      }
      if (stopped) return Promise.resolve(done());
      return new Promise((resolve, reject) => (waiting = { resolve, reject }));
    },
    return() {
      stop();
      waiting?.resolve(done());
      waiting = null;
      return Promise.resolve(done());
    },
    throw(err) {
      stop();
      waiting = null;
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return iterator;
}

/** The process's pubsub, fed by the mutation pipeline after commit. Replaced at start-up by `connectPubSub`. */
export let pubsub: DomainPubSub = createDomainPubSub();

export function usePubSub(next: DomainPubSub): void {
  pubsub = next;
}

/**
 * Makes the process's pubsub fan out across replicas through Redis when `REDIS_URL` is set (graphql-yoga's Redis
 * event target over two ioredis connections; channels are `REDIS_KEY_PREFIX` + topic); without Redis, across the
 * processes of `databaseUrl` through PostgreSQL's LISTEN/NOTIFY (the worker's and the CLI's changes reach the API's
 * subscribers either way); in-process only when neither is given.
 * Redis failures are logged, never thrown at a mutation: ioredis reconnects and re-subscribes by itself, and
 * events published meanwhile are lost to other replicas (at-most-once; clients catch up with `updatedAfter`).
 * `close()` quits the connections and restores the in-process pubsub.
 */
export function connectPubSub(env: Pick<Env, "REDIS_URL" | "REDIS_KEY_PREFIX">, log: Logger, databaseUrl?: string): { close(): Promise<void>; redis: Redis | null } {
  if (!env.REDIS_URL) {
    // no Redis: the processes of one database share events through PostgreSQL (events/postgres-bridge.ts)
    if (!databaseUrl) return { close: async () => undefined, redis: null };
    const previous = pubsub;
    const bridge = postgresEventTarget(databaseUrl, log);
    usePubSub(createDomainPubSub(bridge.target));
    return {
      redis: null,
      async close() {
        if (pubsub !== previous) usePubSub(previous);
        await bridge.close();
      },
    };
  }
  const previous = pubsub;
  const prefix = env.REDIS_KEY_PREFIX;
  const options = { maxRetriesPerRequest: 2, lazyConnect: false, connectionName: "h2o-acp-pubsub" };
  // the publisher also carries every request's rate-limit count: commands issued in the same tick go out in one
  // write (one system call for many requests, where each was one)
  const publisher = new Redis(env.REDIS_URL, { ...options, enableAutoPipelining: true });
  const subscriber = new Redis(env.REDIS_URL, { ...options, maxRetriesPerRequest: null });
  const redisLog = log.child({ component: "pubsub" });
  let lastError = "";
  for (const client of [publisher, subscriber])
    client.on("error", (err: Error) => {
      if (err.message !== lastError) redisLog.error({ err }, "redis connection error");
      lastError = err.message;
    });
  const failed = (what: string, channel: string) => (err: Error) => redisLog.error({ err, channel }, `redis ${what} failed`);
  // Adapters: the prefix on every channel, and no unhandled rejection when Redis is away.
  // publishes not yet answered: close() waits for them (with auto-pipelining a publish is written on the next tick,
  // and a QUIT sent before it would drop it)
  const publishing = new Set<Promise<unknown>>();
  const publishClient = {
    publish: (channel: string, message: string) => {
      const send = () => publisher.publish(prefix + channel, message);
      const sent = (tracing.span ? tracing.span("redis PUBLISH", { "db.system": "redis", "db.operation.name": "PUBLISH", "messaging.destination.name": channel }, undefined, send) : send()).catch(failed("publish", channel));
      publishing.add(sent);
      void sent.finally(() => publishing.delete(sent));
      return sent;
    },
  };
  const subscribeClient = {
    on: (_event: "message", listener: (channel: string, message: string) => void) =>
      subscriber.on("message", (channel: string, message: string) => {
        if (channel.startsWith(prefix)) listener(channel.slice(prefix.length), message);
      }),
    subscribe: (channel: string) => subscriber.subscribe(prefix + channel).catch(failed("subscribe", channel)),
    unsubscribe: (channel: string) => subscriber.unsubscribe(prefix + channel).catch(failed("unsubscribe", channel)),
  };
  const target = createRedisEventTarget<CustomEvent>({
    publishClient: publishClient as unknown as Redis,
    subscribeClient: subscribeClient as unknown as Redis,
    serializer: { stringify: (m) => JSON.stringify(m), parse: (s) => reviveEvent(JSON.parse(s)) },
  });
  usePubSub(createDomainPubSub(target as unknown as Target));
  return {
    /** The publishing connection, for plain commands too (rate-limit counters, readiness pings). */
    redis: publisher,
    async close() {
      if (pubsub !== previous) usePubSub(previous);
      await Promise.allSettled([...publishing]);
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}

const dateFields: Record<string, string[]> = {};
for (const [name, model] of Object.entries(getDatamodel().datamodel.models))
  dateFields[name] = model.fields.filter((f) => f.kind === "scalar" && f.type === "DateTime").map((f) => f.name);

/** `job` → `Job`, `service_call` → `ServiceCall`: the Prisma model of an entity type. */
export const modelOf = (entityType: string) => entityType.replace(/(^|_)([a-z])/g, (_m, _s, c: string) => c.toUpperCase());

/** A DomainEvent as parsed from JSON, with its Date values back. */
export function reviveEvent(raw: DomainEvent): DomainEvent {
  const fields = dateFields[modelOf(raw.entityType)] ?? [];
  const revive = (row: unknown) => {
    if (!row || typeof row !== "object") return row;
    const out: Record<string, unknown> = { ...(row as Record<string, unknown>) };
    for (const f of fields) if (typeof out[f] === "string") out[f] = new Date(out[f] as string);
    return out;
  };
  return { ...raw, occurredAt: new Date(raw.occurredAt), before: revive(raw.before), after: revive(raw.after) };
}
