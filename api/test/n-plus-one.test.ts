import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLargeDataset } from "../scripts/generate-large-dataset.ts";
import { observeSql, type Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { ok, seedDemo } from "./support/domain.ts";
import { connect, subscribe, waitForEvents, waitForOperations } from "./support/ws.ts";

/**
 * The columns a statement reads of `table`: those in the select list of each SELECT over it, whether the table is
 * named or aliased (a relation read in its parent's statement is a lateral subquery: `FROM "public"."Builder" AS "t1"`).
 */
const columnsOf = (sql: string, table: string) => {
  const columns = new Set<string>();
  for (const from of sql.matchAll(new RegExp(`FROM "public"\\."${table}"(?: AS "(\\w+)")?`, "g"))) {
    const ref = from[1] ? `"${from[1]}"` : `"public"\\."${table}"`;
    const start = sql.lastIndexOf("SELECT ", from.index);
    const selectList = sql.slice(start, from.index);
    for (const column of selectList.matchAll(new RegExp(`${ref}\\."(\\w+)"`, "g"))) columns.add(column[1]!);
    // a nested connection's rows pass through a derived table (`SELECT "t1".*`); the select over it builds the JSON
    // objects sent back, whose keys are the columns the API receives
    if (/^SELECT "\w+"\.\*\s*$/.test(selectList)) {
      const projection = sql.slice(sql.lastIndexOf("SELECT ", start - 1), start);
      for (const key of projection.matchAll(/'(\w+)', "\w+"\."\w+"/g)) columns.add(key[1]!);
    }
  }
  // the boards' list reads (db/sql-read.ts): one SELECT, each table under a short alias (`FROM "Job" t`, `LEFT JOIN "Builder" r1`)
  for (const from of sql.matchAll(new RegExp(`(?:FROM|JOIN) "${table}" (\\w+)\\b`, "g"))) {
    const selectList = sql.slice(0, sql.indexOf(" FROM "));
    for (const column of selectList.matchAll(new RegExp(`\\b${from[1]}\\."(\\w+)"`, "g"))) columns.add(column[1]!);
  }
  return [...columns].sort();
};
/** Authenticating a request reads the user, their memberships, their session and the tenant (a constant few). */
const auth = /FROM "public"\."(User|Membership|RefreshToken|Tenant|TenantConfig)"/;
/** A pooled connection switched to a request's (or the system's) role and tenant (db/settings-pool.ts). */
const isSettings = (sql: string) => /^SELECT set_config\('role', '[a-z0-9_]+', false\)/.test(sql);

const selectsFrom = (statements: string[], table: string) =>
  statements.filter((s) => s.startsWith("SELECT") && (s.includes(` FROM "public"."${table}"`) || new RegExp(`(FROM|JOIN) "${table}" \\w+\\b`).test(s)));

const nested = (n: number) => `{
  builders(first: ${n}) { totalCount edges { node { name
    jobs(first: ${n}) { totalCount edges { node { community status builder { name jobs(first: 2) { totalCount } } } } }
    bids(first: ${n}) { totalCount edges { node { project lineItems { totalCents } builder { name } } } } } } }
  jobs(first: ${n}) { totalCount edges { node { community builder { name bids(first: ${n}) { edges { node { project } } } } } } }
}`;

describe("no N+1: a request's SQL statement count does not grow with page size", () => {
  let t: TestApp;
  let prisma: Prisma;
  const statements: string[] = [];
  let stop: () => void;
  beforeAll(async () => {
    stop = observeSql((s) => statements.push(s.sql));
    t = await startTestApp({ QUERY_MAX_COST: "10000000" }); // pages of 50 inside pages of 50: what the cost limit is there to refuse
    prisma = await seedDemo(t);
    // and a cost bucket that holds them (before the first request, so the principal cache reads it)
    await prisma.tenantConfig.updateMany({ data: { queryCostBudget: 10_000_000, queryCostRestoreRate: 10_000_000 } });
    await generateLargeDataset(prisma, { jobsTenant: "all_county", serviceCallsTenant: "h2o", builders: 60, jobs: 6_000, bids: 1_500, serviceCalls: 0 });
    await ok(t, "{ __typename }"); // the principal cache is warm for every request counted below (each has a new session: one lookup)
  });
  afterAll(async () => {
    stop?.();
    await prisma?.$disconnect();
    await t?.close();
  });

  async function count(n: number) {
    statements.length = 0;
    const data = await ok(t, nested(n));
    // a pooled connection is switched to the request's role and tenant only when it carries other settings, which
    // depends on what ran on it before, not on the page size: those statements are counted apart
    const counted = statements.filter((s) => !isSettings(s));
    const queries = counted.filter((s) => !auth.test(s));
    return { count: counted.length, queries: queries.length, data };
  }

  it("runs a nested list query (builders → jobs → builder → jobs, builders → bids, jobs → builder → bids) in the same number of statements at 5 and 50", async () => {
    const small = await count(5);
    const large = await count(50);
    expect(small.data.builders.edges).toHaveLength(5);
    expect(large.data.builders.edges).toHaveLength(50);
    const nestedJobs = large.data.builders.edges.reduce((sum: number, e: any) => sum + e.node.jobs.edges.length, 0);
    expect(nestedJobs).toBeGreaterThan(1_000);
    expect(large.data.jobs.edges).toHaveLength(50);
    expect(large.count, statements.join("\n")).toBe(small.count);
    expect(small.queries, statements.join("\n")).toBeLessThanOrEqual(12);
  });

  it("answers a warm jobs board with its queries alone: the page with its builders (one statement), the counter; no transaction, no settings statement", async () => {
    const board = (total: boolean) => `{ jobs(first: 25) { ${total ? "totalCount " : ""}edges { node { id status community lot builder { id name } } } } }`;
    for (const total of [true, false]) {
      await ok(t, board(total));
      statements.length = 0;
      await ok(t, board(total));
      const own = statements.filter((s) => !auth.test(s));
      expect(own.filter((s) => /^(BEGIN|COMMIT|ROLLBACK)/.test(s)), statements.join("\n")).toEqual([]);
      expect(own.filter((s) => !isSettings(s)), statements.join("\n")).toHaveLength(total ? 2 : 1);
      // the request's connections keep the tenant's settings from the warm-up; authentication (system work, until
      // the principal is cached) keeps to the connections it switched, so neither switches a connection again
      expect(statements.filter(isSettings), statements.join("\n")).toEqual([]);
    }
  });

  it("looks nodes up by id in one statement however many (nodes(ids:) of 5 and 40 jobs with their builder), each answered with its row or null", async () => {
    const NODE = "id status community lot builder { id name }";
    const page = (await ok(t, `{ jobs(first: 40) { edges { node { ${NODE} } } } }`)).jobs.edges.map((e: any) => e.node);
    const missing = Buffer.from("Job:00000000-0000-4000-8000-000000000000").toString("base64");
    const others = (await ok(t, `{ serviceCalls(first: 1) { edges { node { id } } } }`, {}, "h2o")).serviceCalls.edges.map((e: any) => e.node.id);
    for (const n of [5, 40]) {
      const ids = page.slice(0, n).map((j: any) => j.id);
      statements.length = 0;
      const data = await ok(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Job { status community lot builder { id name } } } }`, { ids: [...ids.slice(0, 2), missing, ...ids.slice(2)] });
      // the same rows as the list read, in the order asked, null for an id with no row
      expect(data.nodes).toEqual([...page.slice(0, 2), null, ...page.slice(2, n)]);
      const reads = selectsFrom(statements, "Job");
      expect(reads, statements.join("\n")).toHaveLength(1);
      expect(reads[0]).toMatch(/"id" = ANY\(\$1\)/);
      // only the selected columns, the builder joined in the same statement
      expect(columnsOf(reads[0]!, "Job")).toEqual(["community", "id", "lot", "status"]);
      expect(selectsFrom(statements, "Builder")).toEqual(reads);
    }
    // node(id:) reads the same way; another tenant's object is null (its row is not visible)
    const one = await ok(t, `query($id: ID!) { node(id: $id) { id ... on Job { ${NODE.replace("id ", "")} } } }`, { id: page[0].id });
    expect(one.node).toEqual(page[0]);
    expect((await ok(t, `query($id: ID!) { node(id: $id) { id } }`, { id: others[0] })).node).toBeNull();
  });

  it("reads only the selected columns (and the keys ids, cursors and relations need) of every domain type", async () => {
    // a board's list read joins its to-one relations in the same statement: the foreign key is in the join, not read
    const cases = [
      { tenant: "all_county", query: `{ jobs(first: 25) { edges { node { id status community lot builder { id name } } } } }`, reads: { Job: ["community", "id", "lot", "status"], Builder: ["id", "name"] } },
      { tenant: "all_county", query: `{ bids(first: 5) { edges { node { id project status builder { name } } } } }`, reads: { Bid: ["id", "project", "status"], Builder: ["id", "name"] } },
      { tenant: "h2o", query: `{ serviceCalls(first: 5) { edges { node { customerName priority allowedNextStatuses } } } }`, reads: { ServiceCall: ["customerName", "id", "priority", "status"] } },
      { tenant: "all_county", query: `{ builders(first: 5) { edges { node { name jobs(first: 2) { edges { node { community } } } } } } }`, reads: { Builder: ["id", "name"], Job: ["community", "id"] } },
      { tenant: "all_county", query: `{ jobs(first: 5) { edges { node { id } } } }`, reads: { Job: ["id"] } },
    ];
    for (const { tenant, query, reads } of cases) {
      statements.length = 0;
      await ok(t, query, undefined, tenant);
      for (const [table, columns] of Object.entries(reads)) {
        const selects = selectsFrom(statements, table);
        expect(selects, `${query}\n${statements.join("\n")}`).toHaveLength(1);
        expect(columnsOf(selects[0]!, table), query).toEqual(columns);
      }
    }
  });

  it("counts nothing when totalCount is not selected, and sums the tenant's counters when it is (no count(*))", async () => {
    const counting = (s: string) => /COUNT\(|"EntityCount"/i.test(s);
    statements.length = 0;
    await ok(t, `{ jobs(first: 25) { edges { node { id status } } } }`);
    expect(statements.filter(counting), statements.join("\n")).toEqual([]);
    statements.length = 0;
    expect((await ok(t, `{ jobs(first: 25) { totalCount edges { node { id } } } }`)).jobs.totalCount).toBeGreaterThan(6_000);
    expect(statements.filter(counting).map((s) => s.match(/FROM "public"\."(\w+)"/)?.[1]), statements.join("\n")).toEqual(["EntityCount"]);
  });

  it("batches auditTrail on a list: one statement for every object's page and one for every count, at 5 objects and at 50", async () => {
    const tenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } })).id;
    const otherTenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: "h2o" } })).id;
    const ids: string[] = (await ok(t, `{ jobs(first: 50) { edges { node { id } } } }`)).jobs.edges.map((e: any) => Buffer.from(e.node.id, "base64").toString().split(":")[1]);
    // job i has i % 6 changes (seconds apart, the newest first by i's order), plus rows that must not count: another
    // entity type with the same id, and another tenant's row for the same id
    await prisma.$executeRaw`
      INSERT INTO "AuditEvent" (id, "tenantId", "changedAt", "actorKind", action, "eventType", "entityType", "entityId")
      SELECT gen_random_uuid(), ${tenantId}::uuid, date_trunc('second', now() AT TIME ZONE 'UTC') - c * interval '1 second', 'system', 'updated_' || c, 'job.updated', 'job', k.id
        FROM unnest(${ids}::text[]) WITH ORDINALITY AS k(id, i) CROSS JOIN LATERAL generate_series(1, (k.i - 1)::int % 6) AS c
      UNION ALL
      SELECT gen_random_uuid(), ${tenantId}::uuid, now() AT TIME ZONE 'UTC', 'system', 'created', 'builder.created', 'builder', k.id FROM unnest(${ids}::text[]) AS k(id)
      UNION ALL
      SELECT gen_random_uuid(), ${otherTenantId}::uuid, now() AT TIME ZONE 'UTC', 'system', 'created', 'job.created', 'job', k.id FROM unnest(${ids}::text[]) AS k(id)`;
    const trails = (n: number) => `{ jobs(first: ${n}) { edges { node { id auditTrail(first: 3) { totalCount pageInfo { hasNextPage } edges { node { action entityType } } } } } } }`;
    statements.length = 0;
    const small = await ok(t, trails(5));
    const smallCount = statements.length;
    const smallAudit = statements.filter((s) => s.includes(`"AuditEvent"`)).length;
    statements.length = 0;
    const large = await ok(t, trails(50));
    expect(statements.length, statements.join("\n")).toBe(smallCount);
    expect(statements.filter((s) => s.includes(`"AuditEvent"`)).length, statements.join("\n")).toBe(2);
    expect(smallAudit).toBe(2);

    const expected = (i: number) => {
      const changes = i % 6;
      return { totalCount: changes, pageInfo: { hasNextPage: changes > 3 }, edges: Array.from({ length: Math.min(3, changes) }, (_, c) => ({ node: { action: `updated_${c + 1}`, entityType: "job" } })) };
    };
    expect(large.jobs.edges.map((e: any) => e.node.auditTrail)).toEqual(ids.map((_, i) => expected(i)));
    expect(small.jobs.edges.map((e: any) => e.node.auditTrail)).toEqual(ids.slice(0, 5).map((_, i) => expected(i)));

    // the batched first page is the same as the unbatched query of one object, and `after` pages on from it
    const five = large.jobs.edges[5].node.id;
    const one = (after: string | null) =>
      ok(t, `query($id: ID!, $after: String) { node(id: $id) { ... on Job { auditTrail(first: 3, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { action } } } } } }`, { id: five, after });
    const first = (await one(null)).node.auditTrail;
    expect(first.edges.map((e: any) => e.node.action)).toEqual(["updated_1", "updated_2", "updated_3"]);
    const second = (await one(first.pageInfo.endCursor)).node.auditTrail;
    expect(second).toMatchObject({ totalCount: 5, pageInfo: { hasNextPage: false }, edges: [{ node: { action: "updated_4" } }, { node: { action: "updated_5" } }] });
    const filtered = await ok(t, `{ jobs(first: 50) { edges { node { auditTrail(first: 3, filter: { action: "updated_2" }) { totalCount edges { node { action } } } } } } }`);
    expect(filtered.jobs.edges.map((e: any) => e.node.auditTrail.totalCount)).toEqual(ids.map((_, i) => (i % 6 >= 2 ? 1 : 0)));
  });

  it("answers a mutation's payload and its live subscribers from the changed row: no column read again", async () => {
    const { port } = await t.app.start();
    const job = (await ok(t, `{ jobs(first: 1, filter: { status: [SCHEDULED] }) { edges { node { id version } } } }`)).jobs.edges[0].node;
    const jobReads = async (version: number) => {
      statements.length = 0;
      const { changeJobStatus } = await ok(t, `mutation($id: ID!, $v: Int!) { changeJobStatus(input: { id: $id, expectedVersion: $v, status: ON_HOLD }) { job { id status version allowedNextStatuses } } }`, { id: job.id, v: version });
      return { job: changeJobStatus.job, reads: selectsFrom(statements, "Job").length };
    };
    const alone = await jobReads(job.version);
    expect(alone.job).toMatchObject({ status: "ON_HOLD", allowedNextStatuses: expect.arrayContaining(["SCHEDULED"]) });
    expect(alone.reads, statements.join("\n")).toBe(1); // the row before the change; the UPDATE returns the row after it

    const clients = [connect(port, "all_county"), connect(port, "all_county")];
    try {
      const subs = clients.map((c) => subscribe(c, `subscription { jobChanged { job { id status community allowedNextStatuses } } }`));
      await waitForOperations(port, 2);
      const resumed = (await ok(t, `mutation($id: ID!, $v: Int!) { changeJobStatus(input: { id: $id, expectedVersion: $v, status: SCHEDULED }) { job { version } } }`, { id: job.id, v: alone.job.version })).changeJobStatus.job;
      for (const sub of subs) await waitForEvents(sub, 1);
      const watched = await jobReads(resumed.version);
      for (const sub of subs) await waitForEvents(sub, 2);
      expect(subs[0]!.events[1].jobChanged.job).toMatchObject({ id: job.id, status: "ON_HOLD" });
      expect(selectsFrom(statements, "Job"), statements.join("\n")).toHaveLength(alone.reads);
      expect(watched.reads).toBe(alone.reads);
    } finally {
      await Promise.all(clients.map((c) => c.dispose()));
    }
  });
});
