import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, fails, ok, seedDemo } from "./support/domain.ts";

const JOB = `id version status allowedNextStatuses community lot scheduledDate assignedCrew amountCents archivedAt builder { id name }`;
const CREATE = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { ${JOB} } } }`;
const UPDATE = `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { ${JOB} } } }`;
const STATUS = `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { ${JOB} } } }`;
const ARCHIVE = `mutation($input: ArchiveJobInput!) { archiveJob(input: $input) { job { ${JOB} } } }`;

describe("jobs", () => {
  let t: TestApp;
  let prisma: Prisma;
  let builderId: string;
  let otherBuilderId: string;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    const data = await ok(t, `{ builders(first: 2) { edges { node { id } } } }`);
    [builderId, otherBuilderId] = data.builders.edges.map((e: any) => e.node.id);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const create = (input: Record<string, unknown> = {}) =>
    ok(t, CREATE, { input: { builderId, community: "Test Ridge", scheduledDate: "2026-03-02", lot: "17", ...input } }).then((d) => d.createJob.job);

  it("creates, reads by node id, updates and archives a job", async () => {
    const job = await create({ amountCents: 1_250_000, assignedCrew: "Crew Z" });
    expect(job).toMatchObject({ version: 1, status: "SCHEDULED", community: "Test Ridge", scheduledDate: "2026-03-02", amountCents: 1_250_000 });
    expect(job.allowedNextStatuses).toEqual(["UNDERGROUND", "ON_HOLD", "CANCELLED"]);
    const read = await ok(t, `query($id: ID!) { node(id: $id) { ... on Job { ${JOB} } } }`, { id: job.id });
    expect(read.node).toEqual(job);

    const updated = (await ok(t, UPDATE, { input: { id: job.id, expectedVersion: 1, lot: null, notes: "gate code 1234", builderId: otherBuilderId } })).updateJob.job;
    expect(updated).toMatchObject({ version: 2, lot: null, builder: { id: otherBuilderId } });

    const archived = (await ok(t, ARCHIVE, { input: { id: job.id, expectedVersion: 2 } })).archiveJob.job;
    expect(archived.archivedAt).not.toBeNull();
    const list = await ok(t, `{ jobs(first: 100, filter: { search: "Test Ridge" }) { totalCount } }`);
    expect(list.jobs.totalCount).toBe(0);
    const withArchived = await ok(t, `{ jobs(first: 100, filter: { search: "Test Ridge", includeArchived: true }) { totalCount } }`);
    expect(withArchived.jobs.totalCount).toBe(1);
    const again = await fails(t, UPDATE, { input: { id: job.id, expectedVersion: 3, notes: "x" } });
    expect(again.extensions?.code).toBe("CONFLICT");
  });

  it("follows the state machine and names the allowed next statuses on an illegal move", async () => {
    let job = await create();
    for (const status of ["UNDERGROUND", "ROUGH_IN", "ON_HOLD", "ROUGH_IN", "TOP_OUT", "TRIM", "FINAL", "COMPLETE"]) {
      job = (await ok(t, STATUS, { input: { id: job.id, expectedVersion: job.version, status } })).changeJobStatus.job;
      expect(job.status).toBe(status);
    }
    expect(job.allowedNextStatuses).toEqual([]);
    const done = await fails(t, STATUS, { input: { id: job.id, expectedVersion: job.version, status: "TRIM" } });
    expect(done.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "status"], allowed: [], current: "COMPLETE" });

    const fresh = await create();
    const skip = await fails(t, STATUS, { input: { id: fresh.id, expectedVersion: 1, status: "FINAL" } });
    expect(skip.extensions).toMatchObject({ code: "BAD_USER_INPUT", allowed: ["UNDERGROUND", "ON_HOLD", "CANCELLED"] });
    expect(skip.message).toMatch(/allowed next: UNDERGROUND, ON_HOLD, CANCELLED/);
  });

  it("refuses a stale version with CONFLICT and the current version, and changes nothing", async () => {
    const job = await create();
    await ok(t, UPDATE, { input: { id: job.id, expectedVersion: 1, notes: "first" } });
    const stale = await fails(t, UPDATE, { input: { id: job.id, expectedVersion: 1, notes: "second" } });
    expect(stale.extensions).toMatchObject({ code: "CONFLICT", currentVersion: 2, expectedVersion: 1 });
    const statusStale = await fails(t, STATUS, { input: { id: job.id, expectedVersion: 1, status: "UNDERGROUND" } });
    expect(statusStale.extensions?.code).toBe("CONFLICT");
    const row = await prisma.job.findUniqueOrThrow({ where: { id: Buffer.from(job.id, "base64").toString().split(":")[1]! } });
    expect(row).toMatchObject({ notes: "first", version: 2, status: "scheduled" });
  });

  it("lets exactly one of two concurrent updates with the same version win", async () => {
    const job = await create();
    const results = await Promise.all(
      ["a", "b", "c"].map((notes) => t.gql(UPDATE, { input: { id: job.id, expectedVersion: 1, notes } }, as("all_county"))),
    );
    expect(results.filter((r) => !r.errors).length).toBe(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === "CONFLICT").length).toBe(2);
  });

  it("validates input: codes and field paths", async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ community: "" }, ["input", "community"]],
      [{ community: "x".repeat(121) }, ["input", "community"]],
      [{ amountCents: -5 }, ["input", "amountCents"]],
      [{ state: "Florida" }, ["input", "state"]],
      [{ postalCode: "ABCDE" }, ["input", "postalCode"]],
    ];
    for (const [input, field] of cases) {
      const err = await fails(t, CREATE, { input: { builderId, community: "Ok", scheduledDate: "2026-01-01", ...input } });
      expect(err.extensions, JSON.stringify(input)).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
    const badDate = await fails(t, CREATE, { input: { builderId, community: "Ok", scheduledDate: "2026-02-30" } });
    expect(badDate.extensions?.code).toBe("BAD_USER_INPUT");
    const notABuilder = await fails(t, CREATE, { input: { builderId: Buffer.from("Job:abc").toString("base64"), community: "Ok", scheduledDate: "2026-01-01" } });
    expect(notABuilder.extensions?.code).toBe("BAD_USER_INPUT");
    const missingBuilder = await fails(t, CREATE, { input: { builderId: Buffer.from("Builder:00000000-0000-4000-8000-000000000000").toString("base64"), community: "Ok", scheduledDate: "2026-01-01" } });
    expect(missingBuilder.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "builderId"] });
    const job = await create();
    const cleared = await fails(t, UPDATE, { input: { id: job.id, expectedVersion: 1, community: null } });
    expect(cleared.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "community"] });
    const unknown = await fails(t, UPDATE, { input: { id: Buffer.from("Job:00000000-0000-4000-8000-000000000000").toString("base64"), expectedVersion: 1, notes: "x" } });
    expect(unknown.extensions?.code).toBe("NOT_FOUND");
  });
});
