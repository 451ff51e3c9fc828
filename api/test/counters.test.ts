import fc from "fast-check";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeSql, type Prisma } from "../src/db/client.ts";
import { repoRoot } from "../src/env.ts";
import { jobStatus } from "../src/domain/job-status.ts";
import { AppError, ErrorCode } from "../src/errors.ts";
import { testHooks } from "./support/hooks.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, CREATE_JOB, globalId, ok, seedDemo } from "./support/domain.ts";

const TENANTS = ["all_county", "h2o"] as const;
type Tenant = (typeof TENANTS)[number];

/** One step of a random history; `pick` chooses among the rows there are when it runs, `fail` rolls it back. */
type Step =
  | { kind: "create"; tenant: Tenant; fail: boolean }
  | { kind: "move"; tenant: Tenant; pick: number; to: number; fail: boolean }
  | { kind: "archive"; tenant: Tenant; pick: number; fail: boolean }
  | { kind: "unarchive"; tenant: Tenant; pick: number }
  | { kind: "bulkInsert"; tenant: Tenant; rows: number; status: number; archived: boolean }
  | { kind: "delete"; tenant: Tenant; pick: number }
  | { kind: "createCall"; fail: boolean; priority: number }
  | { kind: "changeCall"; pick: number; priority: number; status: number; fail: boolean };

const tenant = fc.constantFrom(...TENANTS);
const step: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant("create" as const), tenant, fail: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("move" as const), tenant, pick: fc.nat(), to: fc.nat(), fail: fc.boolean() }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant("archive" as const), tenant, pick: fc.nat(), fail: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant("unarchive" as const), tenant, pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("bulkInsert" as const), tenant, rows: fc.integer({ min: 1, max: 30 }), status: fc.nat(8), archived: fc.boolean() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("delete" as const), tenant, pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("createCall" as const), fail: fc.boolean(), priority: fc.nat(2) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant("changeCall" as const), pick: fc.nat(), priority: fc.nat(2), status: fc.nat(6), fail: fc.boolean() }), weight: 2 },
);

const JOB_STATUSES = ["scheduled", "underground", "rough_in", "top_out", "trim", "final", "complete", "on_hold", "cancelled"] as const;
const PRIORITIES = ["EMERGENCY", "URGENT", "ROUTINE"] as const;
const CALL_STATUSES = ["new", "scheduled", "dispatched", "in_progress", "completed", "invoiced", "cancelled"] as const;

describe("per-tenant counters: totalCount without count(*)", () => {
  let t: TestApp;
  let prisma: Prisma;
  let failNext = false;
  const hooks = testHooks();
  let unregister: () => void;
  const tenantIds = {} as Record<Tenant, string>;
  let builderId: string;
  const statements: string[] = [];
  let stop: () => void;

  beforeAll(async () => {
    stop = observeSql((s) => statements.push(s.sql));
    t = await startTestApp({}, { hooks: hooks.list });
    prisma = await seedDemo(t);
    for (const slug of TENANTS) tenantIds[slug] = (await prisma.tenant.findUniqueOrThrow({ where: { slug } })).id;
    // both tenants run jobs here, so the counters of two tenants move side by side
    await prisma.tenantConfig.update({ where: { tenantId: tenantIds.h2o }, data: { jobsEnabled: true } });
    builderId = (await prisma.builder.findFirstOrThrow({ where: { archivedAt: null } })).id;
    // a failed mutation: the change and its counters are written, then a later hook throws and all of it rolls back
    unregister = hooks.add({
      name: "fail-on-demand",
      async run() {
        if (failNext) throw new AppError(ErrorCode.CONFLICT, "rolled back on purpose");
      },
    });
  });
  afterAll(async () => {
    unregister?.();
    stop?.();
    await prisma?.$disconnect();
    await t?.close();
  });

  /** The counters, summed over shards, next to count(*) of every counted table, for every key (priority: service calls'). */
  async function countersAndCounts() {
    const counters = await prisma.$queryRaw<Array<{ key: string; n: number }>>`
      SELECT "tenantId" || ' ' || entity || ' ' || archived || ' ' || status || ' ' || priority AS key, sum(rows)::int AS n
        FROM "EntityCount" GROUP BY 1 HAVING sum(rows) <> 0 ORDER BY 1`;
    const counts = await prisma.$queryRaw<Array<{ key: string; n: number }>>`
      SELECT key, n FROM (
        SELECT "tenantId" || ' Job ' || ("archivedAt" IS NOT NULL) || ' ' || status || ' ' AS key, count(*)::int AS n FROM "Job" GROUP BY 1
        UNION ALL SELECT "tenantId" || ' Bid ' || ("archivedAt" IS NOT NULL) || ' ' || status || ' ', count(*)::int FROM "Bid" GROUP BY 1
        UNION ALL SELECT "tenantId" || ' ServiceCall ' || ("archivedAt" IS NOT NULL) || ' ' || status || ' ' || priority, count(*)::int FROM "ServiceCall" GROUP BY 1
      ) c ORDER BY 1`;
    return { counters, counts };
  }

  const jobsOf = (slug: Tenant) => prisma.job.findMany({ where: { tenantId: tenantIds[slug] }, orderBy: { id: "asc" } });
  const pickOf = <T>(rows: T[], pick: number) => (rows.length ? rows[pick % rows.length]! : null);

  async function mutate(slug: Tenant, fail: boolean, query: string, variables: Record<string, unknown>) {
    failNext = fail;
    try {
      const res = await t.gql(query, variables, as(slug));
      if (fail) expect(res.errors?.[0]?.extensions?.code, JSON.stringify(res)).toBe("CONFLICT");
      else expect(res.errors, JSON.stringify(res)).toBeUndefined();
    } finally {
      failNext = false;
    }
  }

  async function run(s: Step) {
    switch (s.kind) {
      case "create":
        return mutate(s.tenant, s.fail, CREATE_JOB, {
          input: { builderId: globalId("Builder", builderId), community: "Counted", scheduledDate: "2026-06-01" },
        });
      case "move": {
        const job = pickOf((await jobsOf(s.tenant)).filter((j) => !j.archivedAt && jobStatus.next(j.status).length), s.pick);
        if (!job) return;
        const next = jobStatus.next(job.status);
        return mutate(s.tenant, s.fail, `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id } } }`, {
          input: { id: globalId("Job", job.id), expectedVersion: job.version, status: next[s.to % next.length]!.toUpperCase() },
        });
      }
      case "archive": {
        const job = pickOf((await jobsOf(s.tenant)).filter((j) => !j.archivedAt), s.pick);
        if (!job) return;
        return mutate(s.tenant, s.fail, `mutation($input: ArchiveJobInput!) { archiveJob(input: $input) { job { id } } }`, {
          input: { id: globalId("Job", job.id), expectedVersion: job.version },
        });
      }
      case "unarchive": {
        // no mutation unarchives: a direct write, which the triggers count all the same
        const job = pickOf((await jobsOf(s.tenant)).filter((j) => j.archivedAt), s.pick);
        if (job) await prisma.job.update({ where: { id: job.id }, data: { archivedAt: null } });
        return;
      }
      case "bulkInsert":
        await prisma.$executeRaw`
          INSERT INTO "Job" (id, "tenantId", "builderId", community, status, "scheduledDate", "archivedAt", "updatedAt")
          SELECT gen_random_uuid(), ${tenantIds[s.tenant]}::uuid, ${builderId}::uuid, 'Bulk ' || g,
                 (${JOB_STATUSES[s.status]})::"JobStatus", DATE '2026-01-01', CASE WHEN ${s.archived} THEN now() END, now()
            FROM generate_series(1, ${s.rows}::int) g`;
        return;
      case "delete": {
        const job = pickOf(await jobsOf(s.tenant), s.pick);
        if (job) await prisma.job.delete({ where: { id: job.id } });
        return;
      }
      case "createCall":
        return mutate("h2o", s.fail, `mutation($input: CreateServiceCallInput!) { createServiceCall(input: $input) { serviceCall { id } } }`, {
          input: { customerName: "Counted", customerPhone: "5555550100", addressLine1: "1 Count St", problem: "drip", priority: PRIORITIES[s.priority] },
        });
      case "changeCall": {
        // a priority change through the API (rolled back when `fail`), then a status change as a direct write
        const call = pickOf(await prisma.serviceCall.findMany({ where: { tenantId: tenantIds.h2o }, orderBy: { id: "asc" } }), s.pick);
        if (!call) return;
        await mutate("h2o", s.fail, `mutation($input: UpdateServiceCallInput!) { updateServiceCall(input: $input) { serviceCall { id } } }`, {
          input: { id: globalId("ServiceCall", call.id), expectedVersion: call.version, priority: PRIORITIES[s.priority] },
        });
        await prisma.serviceCall.update({ where: { id: call.id }, data: { status: CALL_STATUSES[s.status] } });
        return;
      }
    }
  }

  it("match count(*) for every tenant, entity, status and archived after a random history with failed mutations", async () => {
    const initial = await countersAndCounts();
    expect(initial.counters.length).toBeGreaterThan(5); // the seed's rows, counted by the triggers as they went in
    expect(initial.counters).toEqual(initial.counts);
    // every kind of step at least once, in both tenants, before the random histories
    const everyKind: Step[] = TENANTS.flatMap((tenant): Step[] => [
      { kind: "create", tenant, fail: false },
      { kind: "create", tenant, fail: true },
      { kind: "move", tenant, pick: 0, to: 0, fail: false },
      { kind: "move", tenant, pick: 1, to: 1, fail: true },
      { kind: "archive", tenant, pick: 0, fail: false },
      { kind: "archive", tenant, pick: 0, fail: true },
      { kind: "bulkInsert", tenant, rows: 3, status: 7, archived: true },
      { kind: "unarchive", tenant, pick: 0 },
      { kind: "delete", tenant, pick: 0 },
      { kind: "createCall", fail: tenant === "h2o", priority: 0 },
      { kind: "changeCall", pick: 0, priority: tenant === "h2o" ? 1 : 0, status: 2, fail: false },
      { kind: "changeCall", pick: 1, priority: 2, status: 3, fail: true },
    ]);
    for (const s of everyKind) await run(s);
    const covered = await countersAndCounts();
    expect(covered.counters).toEqual(covered.counts);
    expect(covered.counters).not.toEqual(initial.counters);
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 20 }), async (steps) => {
        for (const s of steps) await run(s);
        const { counters, counts } = await countersAndCounts();
        expect(counters).toEqual(counts);
      }),
      { numRuns: 5 },
    );
  });

  it("stay exact under concurrent mutations of one tenant (sharded rows, no deadlock)", async () => {
    const jobs = (await jobsOf("all_county")).filter((j) => !j.archivedAt && jobStatus.next(j.status).includes("on_hold")).slice(0, 12);
    expect(jobs.length).toBe(12);
    const results = await Promise.all(
      jobs.map((j) =>
        t.gql(`mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { status } } }`, { input: { id: globalId("Job", j.id), expectedVersion: j.version, status: "ON_HOLD" } }, as("all_county")),
      ),
    );
    expect(results.flatMap((r) => r.errors ?? [])).toEqual([]);
    const { counters, counts } = await countersAndCounts();
    expect(counters).toEqual(counts);
  });

  it("answer totalCount from the counters when they cover the filter, and with count(*) otherwise: the same numbers", async () => {
    const exact = async (slug: Tenant, where: { statuses?: string[]; archived?: boolean; builderId?: string; assignedCrew?: string }) =>
      prisma.job.count({
        where: {
          tenantId: tenantIds[slug],
          ...(where.archived ? {} : { archivedAt: null }),
          ...(where.statuses ? { status: { in: where.statuses as never } } : {}),
          ...(where.builderId ? { builderId: where.builderId } : {}),
          ...(where.assignedCrew ? { assignedCrew: where.assignedCrew } : {}),
        },
      });
    const cases = [
      { filter: null, covered: true, where: {} },
      { filter: { status: ["ON_HOLD", "SCHEDULED"] }, covered: true, where: { statuses: ["on_hold", "scheduled"] } },
      { filter: { includeArchived: true }, covered: true, where: { archived: true } },
      { filter: { includeArchived: true, status: ["COMPLETE", "ON_HOLD"] }, covered: true, where: { archived: true, statuses: ["complete", "on_hold"] } },
      { filter: { includeArchived: false, status: [] }, covered: true, where: {} },
      { filter: { builderId: globalId("Builder", builderId) }, covered: false, where: { builderId } },
      { filter: { status: ["ON_HOLD"], builderId: globalId("Builder", builderId) }, covered: false, where: { statuses: ["on_hold"], builderId } },
      { filter: { assignedCrew: "nobody", includeArchived: true }, covered: false, where: { assignedCrew: "nobody", archived: true } },
    ];
    for (const slug of TENANTS) {
      for (const { filter, covered, where } of cases) {
        statements.length = 0;
        const data = await ok(t, `query($filter: JobFilter) { jobs(first: 1, filter: $filter) { totalCount } }`, { filter }, slug);
        const sent = statements.splice(0);
        expect(data.jobs.totalCount, `${slug} ${JSON.stringify(filter)}`).toBe(await exact(slug, where));
        const counted = sent.filter((s) => /COUNT\(/i.test(s) && s.includes(`"public"."Job"`));
        const summed = sent.filter((s) => s.includes(`"EntityCount"`));
        expect({ counted: counted.length, summed: summed.length }, sent.join("\n")).toEqual(covered ? { counted: 0, summed: 1 } : { counted: 1, summed: 0 });
      }
    }
    const calls = await ok(t, `{ all: serviceCalls(filter: { includeArchived: true }) { totalCount } open: serviceCalls(filter: { status: [NEW] }) { totalCount } }`, undefined, "h2o");
    expect(calls.all.totalCount).toBe(await prisma.serviceCall.count({ where: { tenantId: tenantIds.h2o } }));
    expect(calls.open.totalCount).toBe(await prisma.serviceCall.count({ where: { tenantId: tenantIds.h2o, status: "new", archivedAt: null } }));
    // dispatch's filters: priority and status, both covered by the counters
    const callCases = [
      { filter: { priority: ["EMERGENCY", "URGENT"], status: ["NEW", "SCHEDULED", "DISPATCHED"] }, covered: true },
      { filter: { priority: ["ROUTINE"], includeArchived: true }, covered: true },
      { filter: { priority: ["URGENT"], assignedTechnician: "nobody" }, covered: false },
    ];
    for (const { filter, covered } of callCases) {
      statements.length = 0;
      const data = await ok(t, `query($filter: ServiceCallFilter) { serviceCalls(first: 1, filter: $filter) { totalCount } }`, { filter }, "h2o");
      const sent = statements.splice(0);
      const where = {
        tenantId: tenantIds.h2o,
        priority: { in: filter.priority.map((p) => p.toLowerCase()) as never },
        ...(filter.status ? { status: { in: filter.status.map((p) => p.toLowerCase()) as never } } : {}),
        ...(filter.includeArchived ? {} : { archivedAt: null }),
        ...(filter.assignedTechnician ? { assignedTechnician: filter.assignedTechnician } : {}),
      };
      expect(data.serviceCalls.totalCount, JSON.stringify(filter)).toBe(await prisma.serviceCall.count({ where }));
      const counted = sent.filter((s) => /COUNT\(/i.test(s) && s.includes(`"public"."ServiceCall"`));
      const summed = sent.filter((s) => s.includes(`"EntityCount"`));
      expect({ counted: counted.length, summed: summed.length }, sent.join("\n")).toEqual(covered ? { counted: 0, summed: 1 } : { counted: 1, summed: 0 });
    }
    const bids = await ok(t, `{ bids(filter: { status: [DRAFT, SUBMITTED] }) { totalCount } }`);
    expect(bids.bids.totalCount).toBe(await prisma.bid.count({ where: { tenantId: tenantIds.all_county, status: { in: ["draft", "submitted"] }, archivedAt: null } }));
  });

  it("are initialized from the rows already there by their migration", async () => {
    const migrations = ["20261204190000_entity_counts", "20261204202000_entity_counts_update_per_row", "20261205010000_dispatch_counters"].map((m) =>
      readFileSync(path.join(repoRoot, "prisma/migrations", m, "migration.sql"), "utf8"),
    );
    const client = new pg.Client({ connectionString: t.db.url });
    await client.connect();
    try {
      // back to the schema before the migration, with this test's rows (seed, random histories) in the tables
      await client.query(`DROP FUNCTION entity_count_apply() CASCADE; DROP FUNCTION entity_count_move() CASCADE; DROP TABLE "EntityCount"; DROP INDEX "ServiceCall_by_priority_not_archived_idx"`);
      expect((await client.query(`SELECT count(*)::int AS n FROM "Job"`)).rows[0].n).toBeGreaterThan(50);
      for (const migration of migrations) await client.query(migration);
    } finally {
      await client.end();
    }
    const { counters, counts } = await countersAndCounts();
    expect(counters.length).toBeGreaterThan(10);
    expect(counters).toEqual(counts);
    await run({ kind: "create", tenant: "h2o", fail: false });
    const after = await countersAndCounts();
    expect(after.counters).toEqual(after.counts);
    expect(after.counters).not.toEqual(counters);
  });

  it("are kept under row-level security: the application role sees and changes only its tenant's counters", async () => {
    const visible = await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('role', 'h2o_app', true), set_config('app.tenant_id', ${tenantIds.h2o}, true)`;
      const rows = await tx.$queryRaw<Array<{ tenantId: string }>>`SELECT DISTINCT "tenantId"::text FROM "EntityCount"`;
      const forged = await tx.$executeRaw`UPDATE "EntityCount" SET rows = rows + 1 WHERE "tenantId" = ${tenantIds.all_county}::uuid`;
      return { rows, forged };
    });
    expect(visible).toEqual({ rows: [{ tenantId: tenantIds.h2o }], forged: 0 });
    await expect(
      prisma.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT set_config('role', 'h2o_app', true), set_config('app.tenant_id', ${tenantIds.h2o}, true)`;
        await tx.$executeRaw`INSERT INTO "EntityCount" VALUES (${tenantIds.all_county}::uuid, 'Job', false, 'scheduled', 0, 1)`;
      }),
    ).rejects.toThrow(/row-level security/);
  });
});
