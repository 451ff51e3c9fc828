import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLargeDataset } from "../scripts/generate-large-dataset.ts";
import { observeSql, type ObservedSql, type Prisma } from "../src/db/client.ts";
import { APP_ROLE } from "../src/db/rls.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { ok, seedDemo } from "./support/domain.ts";

interface PlanNode { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; "Function Name"?: string; Plans?: PlanNode[] }
const walk = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(walk)];
const SCOPED = new Set(["Job", "Bid", "ServiceCall", "WebhookDelivery"]);

/**
 * On a large data set (100k jobs, 20k bids, 50k service calls, 50k webhook deliveries), the statements the lists and
 * the overview's figures send, EXPLAINed as the request runs them (the application role, the tenant's
 * `app.tenant_id`, so under row-level security), read the tenant-scoped tables through indexes (index, index-only or
 * bitmap scans), never a sequential scan. One data set for both (it takes a while to make). Vacuumed first, as
 * autovacuum leaves a settled table (index-only scans need the visibility map).
 */
describe("queries read indexes on a large data set", () => {
  let t: TestApp;
  let prisma: Prisma;
  let client: pg.Client;
  const tenants: Record<string, string> = {};
  const statements: ObservedSql[] = [];
  let stop: () => void;
  beforeAll(async () => {
    stop = observeSql((s) => statements.push(s));
    t = await startTestApp();
    prisma = await seedDemo(t);
    await generateLargeDataset(prisma, { jobsTenant: "all_county", serviceCallsTenant: "h2o" });
    client = new pg.Client({ connectionString: t.db.url });
    await client.connect();
    // 50,000 webhook deliveries over the last 30 days
    await client.query(
      `WITH e AS (INSERT INTO "WebhookEndpoint" ("id","tenantId","url","secrets","updatedAt") SELECT gen_random_uuid(), "id", 'https://example.com/hook', 'x', now() FROM "Tenant" WHERE slug = 'all_county' RETURNING "id", "tenantId"),
       m AS (INSERT INTO "WebhookMessage" ("id","tenantId","eventType","payload","occurredAt") SELECT gen_random_uuid(), e."tenantId", 'job.updated', '{}', now() FROM e, generate_series(1, 50000) RETURNING "id", "tenantId")
       INSERT INTO "WebhookDelivery" ("id","tenantId","messageId","endpointId","status","updatedAt")
       SELECT gen_random_uuid(), m."tenantId", m."id", e."id", (ARRAY['pending','succeeded','failed']::"WebhookDeliveryStatus"[])[1 + (row_number() OVER ()) % 3],
         now() - make_interval(mins => ((row_number() OVER ()) % 43200)::int) FROM m, e`,
    );
    await client.query(`VACUUM ANALYZE "Job", "Bid", "ServiceCall", "WebhookDelivery"`);
    for (const r of (await client.query(`SELECT slug, id FROM "Tenant"`)).rows) tenants[r.slug] = r.id;
  }, 120_000);
  afterAll(async () => {
    stop?.();
    await client?.end();
    await prisma?.$disconnect();
    await t?.close();
  });

  /** EXPLAINs `sql` as the application role acting for `tenant`. */
  async function explain(sql: string, params: unknown[], tenant: string, settings = ""): Promise<PlanNode[]> {
    await client.query("BEGIN");
    try {
      await client.query(`SET LOCAL ROLE ${APP_ROLE}`);
      await client.query(`SELECT set_config('app.tenant_id', $1, true)`, [tenants[tenant]]);
      if (settings) await client.query(settings);
      const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      return walk((rows[0]["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan);
    } finally {
      await client.query("ROLLBACK");
    }
  }

  /** Runs a GraphQL list query and EXPLAINs the SQL it sent for the page (and the count, when `count` is set). */
  async function plans(query: string, tenant: string, count = false) {
    statements.length = 0;
    await ok(t, query, undefined, tenant);
    // Prisma's statements name the schema ("public"."Job"); the boards' list reads (db/sql-read.ts) do not
    const sent = statements.filter((s) => /FROM (?:"public"\.)?"(Job|Bid|ServiceCall)"/.test(s.sql) && (count || /ORDER BY/.test(s.sql)));
    expect(sent.length).toBeGreaterThan(0);
    const plans: PlanNode[][] = [];
    for (const s of sent) plans.push(await explain(s.sql, s.params, tenant)); // one transaction at a time on the client
    return plans;
  }

  const lists: Array<[string, string, string, boolean]> = [
    ["jobs, newest first", "all_county", `{ jobs(first: 20) { edges { node { id builder { name } } } } }`, false],
    ["jobs by status", "all_county", `{ jobs(first: 20, filter: { status: [ROUGH_IN] }) { totalCount edges { node { id } } } }`, true],
    ["jobs changed since", "all_county", `{ jobs(first: 20, filter: { updatedAfter: "${new Date(Date.now() - 86_400_000).toISOString()}" }) { totalCount edges { node { id } } } }`, true],
    ["jobs by scheduled date", "all_county", `{ jobs(first: 20, orderBy: { field: SCHEDULED_DATE, direction: ASC }) { edges { node { id } } } }`, false],
    ["bids by status", "all_county", `{ bids(first: 20, filter: { status: [SUBMITTED] }) { totalCount edges { node { id } } } }`, true],
    ["service calls by status", "h2o", `{ serviceCalls(first: 20, filter: { status: [DISPATCHED, NEW] }) { totalCount edges { node { id } } } }`, true],
    ["service calls, newest first", "h2o", `{ serviceCalls(first: 20) { edges { node { id } } } }`, false],
  ];

  // the boards' list reads are prepared statements (db/sql-read.ts): PostgreSQL may settle on a generic plan, made
  // without the parameters' values, which must read the index too
  it.each(lists)("list, %s: its prepared statement's generic plan reads an index too", async (_name, tenant, query) => {
    statements.length = 0;
    await ok(t, query, undefined, tenant);
    const prepared = statements.filter((s) => /^SELECT .* FROM "(Job|Bid|ServiceCall)" t\b/.test(s.sql));
    expect(prepared.length).toBeGreaterThan(0);
    for (const s of prepared) {
      await client.query(`PREPARE board_read AS ${s.sql}`);
      try {
        // EXECUTE takes its arguments as literals (a utility statement has no parameters of its own)
        const literal = (v: unknown) => (typeof v === "number" ? String(v) : client.escapeLiteral(Array.isArray(v) ? `{${v.map((x) => JSON.stringify(String(x))).join(",")}}` : String(v)));
        const nodes = await explain(`EXECUTE board_read(${s.params.map(literal).join(", ")})`, [], tenant, "SET LOCAL plan_cache_mode = force_generic_plan");
        const scans = nodes.filter((n) => n["Relation Name"] && SCOPED.has(n["Relation Name"]));
        expect(scans.length).toBeGreaterThan(0);
        expect(scans.filter((n) => n["Node Type"] === "Seq Scan"), `${s.sql}\n${JSON.stringify(scans)}`).toEqual([]);
      } finally {
        await client.query("DEALLOCATE board_read");
      }
    }
  });

  it.each(lists)("list, %s: an index scan, no sequential scan of the tenant-scoped table", async (_name, tenant, query, withCount) => {
    for (const nodes of await plans(query, tenant, withCount)) {
      const scans = nodes.filter((n) => n["Relation Name"] && SCOPED.has(n["Relation Name"]));
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.filter((n) => n["Node Type"] === "Seq Scan"), JSON.stringify(scans)).toEqual([]);
      expect(scans.every((n) => /Index|Bitmap Heap/.test(n["Node Type"])), JSON.stringify(scans)).toBe(true);
    }
  });

  it.each([
    ["jobs", "all_county", `{ jobs(first: 25) { edges { node { id status builder { name } } } } }`, "Job", "Job_tenantId_updatedAt_id_idx"],
    ["bids", "all_county", `{ bids(first: 25) { edges { node { id project } } } }`, "Bid", "Bid_tenantId_updatedAt_id_idx"],
    ["service calls", "h2o", `{ serviceCalls(first: 25) { edges { node { id customerName } } } }`, "ServiceCall", "ServiceCall_tenantId_updatedAt_id_idx"],
  ])("list, %s in the boards' default order (newest change first, ties by id): walks its index in order and stops at the page, no sort", async (_name, tenant, query, table, index) => {
    const [nodes] = await plans(query, tenant);
    const scans = nodes!.filter((n) => n["Relation Name"] === table);
    expect(scans.map((n) => [n["Node Type"], n["Index Name"]])).toEqual([["Index Scan", index]]);
    expect(nodes!.filter((n) => /Sort/.test(n["Node Type"])).map((n) => n["Node Type"])).toEqual([]);
  });

  it("list, dispatch (most urgent open calls first): walks its index in order and stops at the page, no sort; counted from the counters", async () => {
    const [nodes] = await plans(
      `{ serviceCalls(first: 25, filter: { priority: [EMERGENCY, URGENT], status: [NEW, SCHEDULED, DISPATCHED] }, orderBy: { field: PRIORITY, direction: ASC }) { totalCount edges { node { id } } } }`,
      "h2o",
      true,
    );
    expect(statements.filter((s) => /count\(/i.test(s.sql) && s.sql.includes(`"public"."ServiceCall"`))).toEqual([]);
    const scans = nodes!.filter((n) => n["Relation Name"] === "ServiceCall");
    expect(scans.map((n) => [n["Node Type"], n["Index Name"]])).toEqual([["Index Scan", "ServiceCall_by_priority_not_archived_idx"]]);
    expect(nodes!.filter((n) => /Sort/.test(n["Node Type"])).map((n) => n["Node Type"])).toEqual([]);
  });

  const cases: Array<[string, string, string]> = [
    ["jobs per builder", "all_county", `{ jobFigures { byBuilder(first: 10) { total } } }`],
    ["jobs scheduled per week", "all_county", `{ jobFigures { scheduledByWeek(weeks: 8) { count } } }`],
    ["service calls today", "h2o", `{ serviceCallFigures { today { total } } }`],
    ["service calls this week", "h2o", `{ serviceCallFigures { thisWeek { total } } }`],
    ["bids' value by status", "all_county", `{ bidFigures { byStatus { count } } }`],
    ["bids' win rate per month", "all_county", `{ bidFigures { winRateByMonth(months: 12) { won } } }`],
    ["webhook deliveries", "all_county", `{ webhookDeliveryFigures { succeeded } }`],
  ];

  it.each(cases)("figure, %s: one statement, index scans only", async (_name, tenant, query) => {
    statements.length = 0;
    await ok(t, query, undefined, tenant);
    const sent = statements.filter((s) => /(FROM|JOIN) "(Job|Bid|ServiceCall|WebhookDelivery)"/.test(s.sql));
    expect(sent).toHaveLength(1);
    const scans = (await explain(sent[0]!.sql, sent[0]!.params, tenant)).filter((n) => n["Relation Name"] && SCOPED.has(n["Relation Name"]));
    expect(scans.length).toBeGreaterThan(0);
    expect(scans.every((n) => /Index|Bitmap Heap/.test(n["Node Type"])), JSON.stringify(scans)).toBe(true);
  });

  it("figure, open service calls: one call of h2o_open_service_calls(), whose query reads its index alone", async () => {
    statements.length = 0;
    await ok(t, `{ serviceCallFigures { open { count } openEmergencies { count } } }`, undefined, "h2o");
    expect(statements.filter((s) => s.sql.includes("h2o_open_service_calls()"))).toHaveLength(2);
    const { rows } = await client.query(`SELECT prosrc, proconfig FROM pg_proc WHERE proname = 'h2o_open_service_calls'`);
    expect(rows[0].proconfig).toEqual(["enable_seqscan=off"]);
    const scans = (await explain(rows[0].prosrc, [], "h2o", "SET LOCAL enable_seqscan = off")).filter((n) => n["Relation Name"] === "ServiceCall");
    expect(scans.map((n) => [n["Node Type"], n["Index Name"]])).toEqual([["Index Only Scan", "ServiceCall_tenantId_status_priority_archivedAt_createdAt_idx"]]);
  });
});
