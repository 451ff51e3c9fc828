import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DomainEvent } from "../src/events/domain-event.ts";
import { postgresEventTarget } from "../src/events/postgres-bridge.ts";
import { createDomainPubSub, topicFor } from "../src/events/pubsub.ts";
import { createLogger } from "../src/logger.ts";
import { createTestDatabase } from "./support/database.ts";

const tenantId = randomUUID();
const event = (before: unknown, after: Record<string, unknown>): DomainEvent =>
  ({ id: randomUUID(), type: "job.updated", tenantId, entityType: "job", entityId: String(after.id), action: "updated", occurredAt: new Date(), requestId: "r", actor: { kind: "system", label: "test" }, before, after }) as unknown as DomainEvent;

/** Two processes' pubsubs over one database without Redis (here two bridges in one process: each has its own origin). */
describe("live events through PostgreSQL (no Redis)", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let a: ReturnType<typeof postgresEventTarget>;
  let b: ReturnType<typeof postgresEventTarget>;
  beforeAll(async () => {
    db = await createTestDatabase();
    a = postgresEventTarget(db.url, createLogger("silent"));
    b = postgresEventTarget(db.url, createLogger("silent"));
    await new Promise((r) => setTimeout(r, 500)); // both LISTEN
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await db?.drop();
  });

  it("delivers an event to the other process once, with its dates, and to its own subscribers once", async () => {
    const [pa, pb] = [createDomainPubSub(a.target), createDomainPubSub(b.target)];
    const [onA, onB] = [pa.subscribe(topicFor(tenantId, "job")), pb.subscribe(topicFor(tenantId, "job"))];
    const sent = event(null, { id: randomUUID(), status: "scheduled", updatedAt: new Date("2026-12-04T10:00:00Z") });
    pa.publish(topicFor(tenantId, "job"), sent);
    const [gotA, gotB] = await Promise.all([onA.next(), onB.next()]);
    expect(gotA.value.id).toBe(sent.id);
    expect(gotB.value.id).toBe(sent.id);
    expect((gotB.value.after as { updatedAt: Date }).updatedAt).toEqual(new Date("2026-12-04T10:00:00Z"));
    // exactly once on each side: the next event is the next one published, not a repeat
    const second = event(null, { id: randomUUID() });
    pb.publish(topicFor(tenantId, "job"), second);
    expect((await onA.next()).value.id).toBe(second.id);
    expect((await onB.next()).value.id).toBe(second.id);
    await Promise.all([onA.return(), onB.return()]);
  });

  it("sends an event too large for a notification without its before row; one still too large stays in its process", async () => {
    const [pa, pb] = [createDomainPubSub(a.target), createDomainPubSub(b.target)];
    const [onA, onB] = [pa.subscribe(topicFor(tenantId, "job")), pb.subscribe(topicFor(tenantId, "job"))];
    const big = "x".repeat(6_000);
    const withBigBefore = event({ notes: big, other: big }, { id: randomUUID(), notes: "short" });
    pa.publish(topicFor(tenantId, "job"), withBigBefore);
    expect((await onA.next()).value.before).toEqual({ notes: big, other: big }); // its own process: whole
    const remote = (await onB.next()).value;
    expect(remote.id).toBe(withBigBefore.id);
    expect(remote.before).toBeNull();
    const tooBig = event(null, { id: randomUUID(), notes: big + big });
    const small = event(null, { id: randomUUID() });
    pa.publish(topicFor(tenantId, "job"), tooBig);
    pa.publish(topicFor(tenantId, "job"), small);
    expect((await onA.next()).value.id).toBe(tooBig.id);
    expect((await onB.next()).value.id).toBe(small.id); // the other process never got the too-large one
    await Promise.all([onA.return(), onB.return()]);
  });
});
