import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { AppError, ErrorCode } from "../src/errors.ts";
import type { DomainEvent } from "../src/events/domain-event.ts";
import { testHooks } from "./support/hooks.ts";
import { pubsub, topicFor, type DomainTopic } from "../src/events/pubsub.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { CREATE_JOB, fails, ok, seedDemo } from "./support/domain.ts";

/** Collects what the pubsub publishes on a topic until stopped. */
function listen(topic: DomainTopic) {
  const events: DomainEvent[] = [];
  const iterator = pubsub.subscribe(topic);
  const done = (async () => {
    for await (const event of iterator) events.push(event as DomainEvent);
  })();
  return { events, stop: async () => (await iterator.return(), await done) };
}
const STATUS = `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id version status } } }`;

describe("the mutation pipeline", () => {
  let t: TestApp;
  let prisma: Prisma;
  let tenantId: string;
  let otherTenantId: string;
  let builderId: string;
  const unregister: Array<() => void> = [];
  const hooks = testHooks();
  beforeAll(async () => {
    t = await startTestApp({}, { hooks: hooks.list });
    prisma = await seedDemo(t);
    tenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } })).id;
    otherTenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: "h2o" } })).id;
    builderId = (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
  });
  afterEach(() => unregister.splice(0).forEach((u) => u()));
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const input = (community: string) => ({ input: { builderId, community, scheduledDate: "2026-04-01" } });

  it("publishes one event per committed change on the tenant's topic, after commit, with before and after", async () => {
    const mine = listen(topicFor(tenantId, "job"));
    const theirs = listen(topicFor(otherTenantId, "job"));
    const job = (await ok(t, CREATE_JOB, input("Evented"))).createJob.job;
    await ok(t, STATUS, { input: { id: job.id, expectedVersion: 1, status: "UNDERGROUND" } });
    await new Promise((r) => setTimeout(r, 20));
    await Promise.all([mine.stop(), theirs.stop()]);
    expect(mine.events.map((e) => e.type)).toEqual(["job.created", "job.status_changed"]);
    const [created, moved] = mine.events as [DomainEvent<any>, DomainEvent<any>];
    expect(created).toMatchObject({ tenantId, entityType: "job", action: "created", before: null, after: { community: "Evented", version: 1 } });
    expect(moved).toMatchObject({ action: "status_changed", before: { status: "scheduled", version: 1 }, after: { status: "underground", version: 2 } });
    expect(created.entityId).toBe(moved.entityId);
    expect(created.id).not.toBe(moved.id);
    expect(theirs.events).toEqual([]);
  });

  it("runs registered hooks inside the transaction, with app.tenant_id set and the change visible", async () => {
    const seen: Array<{ setting: string; rowVisible: boolean; type: string }> = [];
    unregister.push(
      hooks.add({
        name: "probe",
        async run(tx, event) {
          const [row] = await tx.$queryRaw<{ setting: string }[]>`SELECT current_setting('app.tenant_id', true) AS setting`;
          const visible = await tx.job.findUnique({ where: { id: event.entityId } });
          seen.push({ setting: row!.setting, rowVisible: !!visible, type: event.type });
        },
      }),
    );
    await ok(t, CREATE_JOB, input("Hooked"));
    expect(seen).toEqual([{ setting: tenantId, rowVisible: true, type: "job.created" }]);
    const [after] = await prisma.$queryRaw<{ setting: string | null }[]>`SELECT current_setting('app.tenant_id', true) AS setting`;
    expect(after!.setting || null).toBeNull();
  });

  it("rolls the whole change back when a hook fails: nothing written, nothing published", async () => {
    const job = (await ok(t, CREATE_JOB, input("Rollback"))).createJob.job;
    unregister.push(
      hooks.add({
        name: "failing audit",
        async run() {
          throw new AppError(ErrorCode.CONFLICT, "audit write failed");
        },
      }),
    );
    const events = listen(topicFor(tenantId, "job"));
    const before = await prisma.job.count();
    const created = await fails(t, CREATE_JOB, input("Never"));
    expect(created.message).toBe("audit write failed");
    const moved = await fails(t, STATUS, { input: { id: job.id, expectedVersion: 1, status: "UNDERGROUND" } });
    expect(moved.extensions?.code).toBe("CONFLICT");
    await new Promise((r) => setTimeout(r, 20));
    await events.stop();
    expect(await prisma.job.count()).toBe(before);
    expect(await prisma.job.count({ where: { community: "Never" } })).toBe(0);
    const dbId = Buffer.from(job.id, "base64").toString().split(":")[1]!;
    expect(await prisma.job.findUniqueOrThrow({ where: { id: dbId } })).toMatchObject({ status: "scheduled", version: 1 });
    expect(events.events).toEqual([]);
  });

  it("rolls back a failing mutation's earlier writes in the same transaction", async () => {
    unregister.push(
      hooks.add({
        name: "writes then fails",
        async run(tx, event) {
          await tx.job.update({ where: { id: event.entityId }, data: { notes: "written by the hook" } });
          throw new Error("boom");
        },
      }),
    );
    const err = await fails(t, CREATE_JOB, input("Half"));
    expect(err.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(await prisma.job.count({ where: { OR: [{ community: "Half" }, { notes: "written by the hook" }] } })).toBe(0);
  });
});
