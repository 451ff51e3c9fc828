import { describe, expect, it } from "vitest";
import type { DomainEvent } from "./domain-event.ts";
import { createDomainPubSub, reviveEvent, SubscriberOverflowError, tenantTopicFor, topicFor } from "./pubsub.ts";

const event = (tenantId: string, n: number): DomainEvent => ({
  id: `e${n}`,
  type: "job.updated",
  tenantId,
  entityType: "job",
  entityId: "j1",
  action: "updated",
  occurredAt: new Date("2026-01-02T03:04:05.000Z"),
  requestId: "r",
  actor: null,
  before: null,
  after: { id: "j1", scheduledDate: new Date("2026-03-01T00:00:00.000Z"), updatedAt: new Date("2026-01-02T03:04:05.000Z"), notes: "2026-01-01T00:00:00.000Z" },
});

describe("the domain pubsub", () => {
  it("delivers to the entity topic and the tenant-wide topic of the event's tenant only, in order", async () => {
    const ps = createDomainPubSub();
    const job = ps.subscribe(topicFor("t1", "job"));
    const all = ps.subscribe(tenantTopicFor("t1"));
    const other = ps.subscribe(tenantTopicFor("t2"));
    ps.publish(topicFor("t1", "job"), event("t1", 1));
    ps.publish(topicFor("t1", "job"), event("t1", 2));
    expect([(await job.next()).value.id, (await job.next()).value.id]).toEqual(["e1", "e2"]);
    expect([(await all.next()).value.id, (await all.next()).value.id]).toEqual(["e1", "e2"]);
    const pending = other.next();
    await other.return();
    expect(await pending).toEqual({ value: undefined, done: true });
  });

  it("bounds what a subscriber that does not keep up may hold, then ends it with an error", async () => {
    const ps = createDomainPubSub();
    const slow = ps.subscribe(topicFor("t1", "job"), { maxQueued: 3 });
    const fast = ps.subscribe(topicFor("t1", "job"), { maxQueued: 3 });
    for (let n = 1; n <= 5; n++) {
      ps.publish(topicFor("t1", "job"), event("t1", n));
      expect((await fast.next()).value.id).toBe(`e${n}`);
    }
    await expect(slow.next()).rejects.toBeInstanceOf(SubscriberOverflowError);
    expect(await slow.next()).toEqual({ value: undefined, done: true });
    ps.publish(topicFor("t1", "job"), event("t1", 6));
    expect((await fast.next()).value.id).toBe("e6");
  });

  it("revives the dates of an event that crossed Redis as JSON, and only those", () => {
    const revived = reviveEvent(JSON.parse(JSON.stringify(event("t1", 1))));
    expect(revived).toEqual(event("t1", 1));
    expect((revived.after as { notes: unknown }).notes).toBe("2026-01-01T00:00:00.000Z");
  });
});
