import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startWorker } from "../src/jobs/runner.ts";
import { createLogger } from "../src/logger.ts";
import { enqueueJobs } from "../src/jobs/queue.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, seedDemo } from "./support/domain.ts";

const JOBS = `query($states: [WorkerJobState!], $tasks: [String!]) { workerJobs(states: $states, tasks: $tasks) { id task state subject attempts maxAttempts lastError runAt } }`;
const RETRY = `mutation($id: ID!) { retryWorkerJob(input: { id: $id }) { id state attempts lastError } }`;
const CANCEL = `mutation($id: ID!) { cancelWorkerJob(input: { id: $id }) { id task } }`;

describe("the job view: a tenant's background jobs, retry and cancel of failed ones, completed ones", () => {
  let t: TestApp;
  let prisma: Prisma;
  const tenants: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    for (const slug of ["all_county", "h2o"]) tenants[slug] = (await prisma.tenant.findUniqueOrThrow({ where: { slug } })).id;
    await prisma.$transaction(async (tx) => {
      await enqueueJobs(tx, [
        { identifier: "marketing.publish", payload: { tenantId: tenants.all_county, targetId: "a-failed" }, maxAttempts: 5 },
        { identifier: "marketing.publish", payload: { tenantId: tenants.all_county, targetId: "a-retrying" }, maxAttempts: 5 },
        { identifier: "webhook.deliver", payload: { tenantId: tenants.all_county, endpointId: "a-queued" }, runAt: new Date(Date.now() + 3_600_000) },
        { identifier: "marketing.publish", payload: { tenantId: tenants.h2o, targetId: "b-failed" }, maxAttempts: 5 },
        { identifier: "marketing.inbound", payload: { inboundId: "system" } },
      ]);
    });
    // what a worker leaves behind: spent attempts with their error, a failed attempt waiting for the next
    await prisma.$executeRaw`UPDATE graphile_worker._private_jobs SET attempts = max_attempts, last_error = 'POST /1111/feed: 503 (#2) Service temporarily unavailable' WHERE payload->>'targetId' IN ('a-failed', 'b-failed')`;
    await prisma.$executeRaw`UPDATE graphile_worker._private_jobs SET attempts = 2, last_error = 'timed out after 10000 ms', run_at = now() + interval '5 minutes' WHERE payload->>'targetId' = 'a-retrying'`;
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const list = async (tenant: string, variables: Record<string, unknown> = {}) => {
    const res = await t.gql<any>(JOBS, variables, as(tenant, "admin"));
    expect(res.errors).toBeUndefined();
    return res.data.workerJobs as Array<{ id: string; task: string; state: string; subject: string; attempts: number; lastError: string | null }>;
  };

  it("lists the tenant's jobs only, each in its state with its last error, filtered by state and task", async () => {
    const mine = await list("all_county");
    expect(mine.map((j) => [j.subject, j.state]).sort()).toEqual([["endpointId=a-queued", "QUEUED"], ["targetId=a-failed", "FAILED"], ["targetId=a-retrying", "RETRYING"]]);
    expect(mine.find((j) => j.state === "FAILED")!.lastError).toMatch(/503/);
    expect((await list("all_county", { states: ["FAILED"] })).map((j) => j.subject)).toEqual(["targetId=a-failed"]);
    expect((await list("all_county", { tasks: ["webhook.deliver"] })).map((j) => j.subject)).toEqual(["endpointId=a-queued"]);
    expect((await list("h2o")).map((j) => j.subject)).toEqual(["targetId=b-failed"]);
    const tooMany = await t.gql<any>(`{ workerJobs(first: 1000) { id } }`, {}, as("all_county", "admin"));
    expect(tooMany.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("retries and cancels failed jobs of the tenant only; anything else is refused and changes nothing", async () => {
    const [failed] = await list("all_county", { states: ["FAILED"] });
    const [foreign] = await list("h2o");
    const [retrying] = await list("all_county", { states: ["RETRYING"] });
    const snapshot = () => prisma.$queryRaw`SELECT id::text, attempts, run_at, last_error FROM graphile_worker._private_jobs ORDER BY id`;
    const before = JSON.stringify(await snapshot());
    for (const m of [RETRY, CANCEL]) {
      expect((await t.gql<any>(m, { id: foreign!.id }, as("all_county", "admin"))).errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
      expect((await t.gql<any>(m, { id: retrying!.id }, as("all_county", "admin"))).errors?.[0]?.extensions?.code).toBe("CONFLICT");
      expect((await t.gql<any>(m, { id: "not-a-job" }, as("all_county", "admin"))).errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
      for (const role of ["marketer", "viewer", "dispatcher"] as const) expect((await t.gql<any>(m, { id: failed!.id }, as("all_county", role))).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    }
    expect((await t.gql<any>(JOBS, {}, as("all_county", "marketer"))).errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(JSON.stringify(await snapshot())).toBe(before);

    const audited = () => prisma.$queryRaw<Array<{ eventType: string; entityId: string; actorKind: string; before: any; after: any }>>`
      SELECT "eventType", "entityId", "actorKind", "before", "after" FROM "AuditEvent" WHERE "entityType" = 'worker_job' ORDER BY "changedAt"`;
    expect(await audited()).toEqual([]); // the refusals above left no trace

    const retried = await t.gql<any>(RETRY, { id: failed!.id }, as("all_county", "admin"));
    expect(retried.data.retryWorkerJob).toMatchObject({ id: failed!.id, state: "QUEUED", attempts: 0 });
    const cancelled = await t.gql<any>(CANCEL, { id: foreign!.id }, as("h2o", "owner"));
    expect(cancelled.data.cancelWorkerJob).toEqual({ id: foreign!.id, task: "marketing.publish" });
    expect(await list("h2o")).toEqual([]);

    // both through the mutation pipeline: an audit row each, with the job before and after
    const rows = await audited();
    expect(rows.map((r) => [r.eventType, r.entityId, r.actorKind])).toEqual([["worker_job.retried", failed!.id, "user"], ["worker_job.cancelled", foreign!.id, "user"]]);
    expect(rows[0]!.before).toMatchObject({ state: "failed", attempts: 5, lastError: expect.stringMatching(/503/), task: "marketing.publish" });
    expect(rows[0]!.after).toMatchObject({ state: "queued", attempts: 0 });
    expect(rows[1]!.before).toMatchObject({ state: "failed", payload: { targetId: "b-failed" } });
    expect(rows[1]!.after).toBeNull();
    const trail = await t.gql<any>(`{ auditEvents(first: 5, filter: { entityType: "worker_job" }) { edges { node { eventType entityId } } } }`, {}, as("all_county", "admin"));
    expect(trail.errors).toBeUndefined();
    expect(trail.data.auditEvents.edges.map((e: any) => e.node)).toEqual([{ eventType: "worker_job.retried", entityId: failed!.id }]);
  });

  it("lists completed jobs (recorded by the worker as graphile-worker reports them), the tenant's only, and prunes them after the retention", async () => {
    // a completion recorded two days ago: past the 24 hours, the worker's first prune deletes it
    await prisma.$executeRaw`INSERT INTO "WorkerJobCompletion" ("id", "tenantId", "task", "attempts", "maxAttempts", "payload", "createdAt", "completedAt")
      VALUES (999999, ${tenants.all_county}::uuid, 'webhook.deliver', 1, 25, '{"endpointId":"old"}', now() - interval '2 days', now() - interval '2 days')`;
    expect((await list("all_county", { states: ["COMPLETED"] })).map((j) => j.subject)).toEqual(["endpointId=old"]);
    const endpointId = "00000000-0000-4000-8000-000000000001"; // no such endpoint: the drain finds nothing and succeeds
    await prisma.$transaction((tx) => enqueueJobs(tx, [{ identifier: "webhook.deliver", payload: { tenantId: tenants.all_county, endpointId } }, { identifier: "webhook.deliver", payload: { tenantId: tenants.h2o, endpointId } }]));
    const worker = await startWorker(t.env, t.db.url, createLogger("silent"), 2);
    try {
      await expect.poll(async () => (await list("all_county", { states: ["COMPLETED"] })).map((j) => j.subject), { timeout: 15_000, interval: 100 }).toEqual([`endpointId=${endpointId}`]);
    } finally {
      await worker.stop();
    }
    const res = await t.gql<any>(`{ workerJobs(states: [COMPLETED]) { task state attempts completedAt lastError } }`, {}, as("all_county", "admin"));
    expect(res.data.workerJobs).toEqual([{ task: "webhook.deliver", state: "COMPLETED", attempts: 1, completedAt: expect.any(String), lastError: null }]);
    expect(Date.now() - Date.parse(res.data.workerJobs[0].completedAt)).toBeLessThan(60_000);
    expect((await list("h2o", { states: ["COMPLETED"] })).map((j) => j.subject)).toEqual([`endpointId=${endpointId}`]);
  });
});
