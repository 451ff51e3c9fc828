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

  it("filters as events arrive: a refused event is never queued nor counted toward the bound; a filter that throws ends the subscription with its error", async () => {
    const ps = createDomainPubSub();
    const even = ps.subscribe(topicFor("t1", "job"), { maxQueued: 3, keep: (e) => Number(e.id.slice(1)) % 2 === 0 });
    // six events, three kept: past the bound of 3 if the refused ones were queued or counted
    for (let n = 1; n <= 6; n++) ps.publish(topicFor("t1", "job"), event("t1", n));
    expect([(await even.next()).value.id, (await even.next()).value.id, (await even.next()).value.id]).toEqual(["e2", "e4", "e6"]);
    // a pending next() is answered by the next kept event, not by a refused one
    const pending = even.next();
    ps.publish(topicFor("t1", "job"), event("t1", 7));
    ps.publish(topicFor("t1", "job"), event("t1", 8));
    expect((await pending).value.id).toBe("e8");
    await even.return();

    const faulty = ps.subscribe(topicFor("t1", "job"), {
      keep: (e) => {
        if (e.id === "e2") throw new Error("filter failed");
        return true;
      },
    });
    const waiting = faulty.next();
    ps.publish(topicFor("t1", "job"), event("t1", 1));
    expect((await waiting).value.id).toBe("e1");
    const next = faulty.next();
    ps.publish(topicFor("t1", "job"), event("t1", 2)); // publish itself does not throw
    await expect(next).rejects.toThrow("filter failed");
    expect(await faulty.next()).toEqual({ value: undefined, done: true });
  });

  it("revives the dates of an event that crossed Redis as JSON, and only those", () => {
    const revived = reviveEvent(JSON.parse(JSON.stringify(event("t1", 1))));
    expect(revived).toEqual(event("t1", 1));
    expect((revived.after as { notes: unknown }).notes).toBe("2026-01-01T00:00:00.000Z");
  });
});
