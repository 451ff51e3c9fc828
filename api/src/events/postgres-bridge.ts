import { randomUUID } from "node:crypto";
import type { PubSubEventTarget } from "graphql-yoga";
import pg from "pg";
import type { Logger } from "pino";
import type { DomainEvent } from "./domain-event.ts";
import { localTarget, reviveEvent, type DomainTopics } from "./pubsub.ts";

type Target = PubSubEventTarget<DomainTopics>;

/** The one channel every process of a database shares (NOTIFY is per database). */
export const EVENTS_CHANNEL = "h2o_events";
/** PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_900;

/**
 * Live events across processes without Redis (the `npm start` default): the API, the worker and the CLI share
 * them through PostgreSQL's LISTEN/NOTIFY on one connection each. A publish reaches this process's listeners at once
 * and the other processes' through `pg_notify` (sent after the change committed, as every publish is). Delivery is
 * at-most-once like the Redis target's: an event that does not fit a notification is sent without its `before` row,
 * and one that still does not fit stays in its process (logged); a lost connection is reopened, and events sent
 * meanwhile are missed (clients catch up with `updatedAfter`).
 */
export function postgresEventTarget(databaseUrl: string, log: Logger): { target: Target; close(): Promise<void> } {
  const origin = randomUUID();
  const local = localTarget();
  const bridgeLog = log.child({ component: "pubsub-postgres" });
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  const sending = new Set<Promise<unknown>>();

  const open = () => {
    if (closed) return;
    const c = new pg.Client({ connectionString: databaseUrl, application_name: "h2o-acp-events" });
    c.on("notification", (n) => {
      if (n.channel !== EVENTS_CHANNEL || !n.payload) return;
      try {
        const message = JSON.parse(n.payload) as { origin: string; topic: string; event: DomainEvent };
        if (message.origin === origin) return;
        local.dispatchEvent(new CustomEvent(message.topic, { detail: reviveEvent(message.event) }) as never);
      } catch (err) {
        bridgeLog.warn({ err }, "an event notification could not be read");
      }
    });
    const reopen = (err?: Error) => {
      if (client !== c) return;
      client = null;
      c.end().catch(() => undefined);
      if (err) bridgeLog.error({ err }, "events connection lost; reopening");
      if (!closed) retry = setTimeout(open, 1_000);
    };
    c.on("error", reopen);
    c.on("end", () => reopen());
    client = c;
    c.connect()
      .then(() => c.query(`LISTEN ${EVENTS_CHANNEL}`))
      .catch((err: Error) => reopen(err));
  };
  open();

  const notify = (topic: string, event: DomainEvent) => {
    let payload = JSON.stringify({ origin, topic, event });
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) payload = JSON.stringify({ origin, topic, event: { ...event, before: null } });
    if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES) {
      bridgeLog.warn({ topic, eventId: event.id, type: event.type }, "event too large for a notification: other processes miss it");
      return;
    }
    if (!client) return bridgeLog.warn({ topic, eventId: event.id }, "events connection down: other processes miss this event");
    const sent = client.query("SELECT pg_notify($1, $2)", [EVENTS_CHANNEL, payload]).catch((err: Error) => bridgeLog.error({ err, topic }, "event notification failed"));
    sending.add(sent);
    void sent.finally(() => sending.delete(sent));
  };

  const target = {
    addEventListener: local.addEventListener.bind(local),
    removeEventListener: local.removeEventListener.bind(local),
    dispatchEvent(event: CustomEvent<DomainEvent>) {
      notify(event.type, event.detail);
      return local.dispatchEvent(event as never);
    },
  } as unknown as Target;

  return {
    target,
    async close() {
      closed = true;
      clearTimeout(retry);
      await Promise.allSettled([...sending]);
      const c = client;
      client = null;
      await c?.end().catch(() => undefined);
    },
  };
}
