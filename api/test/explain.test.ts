import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLargeDataset } from "../scripts/generate-large-dataset.ts";
import { observeSql, type ObservedSql, type Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { ok, seedDemo } from "./support/domain.ts";

interface PlanNode { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] }
const walk = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(walk)];
const SCOPED = new Set(["Job", "Bid", "ServiceCall"]);

describe("list queries use indexes on a large data set (100k jobs, 20k bids, 50k service calls)", () => {
  let t: TestApp;
  let prisma: Prisma;
  let client: pg.Client;
  const statements: ObservedSql[] = [];
  let stop: () => void;
  beforeAll(async () => {
    stop = observeSql((s) => statements.push(s));
    t = await startTestApp();
    prisma = await seedDemo(t);
    await generateLargeDataset(prisma, { jobsTenant: "all_county", serviceCallsTenant: "h2o" });
    client = new pg.Client({ connectionString: t.db.url });
    await client.connect();
  }, 120_000);
  afterAll(async () => {
    stop?.();
    await client?.end();
    await prisma?.$disconnect();
    await t?.close();
  });

  /** Runs a GraphQL list query and EXPLAINs the SQL it sent for the page (and the count, when `count` is set). */
  async function plans(query: string, tenant: string, count = false) {
    statements.length = 0;
    await ok(t, query, undefined, tenant);
    const sent = statements.filter((s) => /FROM "public"\."(Job|Bid|ServiceCall)"/.test(s.sql) && (count || /ORDER BY/.test(s.sql)));
    expect(sent.length).toBeGreaterThan(0);
    return Promise.all(
      sent.map(async (s) => {
        const { rows } = await client.query(`EXPLAIN (FORMAT JSON) ${s.sql}`, s.params);
        return walk((rows[0]["QUERY PLAN"] as Array<{ Plan: PlanNode }>)[0]!.Plan);
      }),
    );
  }

  const cases: Array<[string, string, string, boolean]> = [
    ["jobs, newest first", "all_county", `{ jobs(first: 20) { edges { node { id builder { name } } } } }`, false],
    ["jobs by status", "all_county", `{ jobs(first: 20, filter: { status: [ROUGH_IN] }) { totalCount edges { node { id } } } }`, true],
    ["jobs changed since", "all_county", `{ jobs(first: 20, filter: { updatedAfter: "${new Date(Date.now() - 86_400_000).toISOString()}" }) { totalCount edges { node { id } } } }`, true],
    ["jobs by scheduled date", "all_county", `{ jobs(first: 20, orderBy: { field: SCHEDULED_DATE, direction: ASC }) { edges { node { id } } } }`, false],
    ["bids by status", "all_county", `{ bids(first: 20, filter: { status: [SUBMITTED] }) { totalCount edges { node { id } } } }`, true],
    ["service calls by status", "h2o", `{ serviceCalls(first: 20, filter: { status: [DISPATCHED, NEW] }) { totalCount edges { node { id } } } }`, true],
    ["service calls, newest first", "h2o", `{ serviceCalls(first: 20) { edges { node { id } } } }`, false],
  ];

  it.each(cases)("%s: an index scan, no sequential scan of the tenant-scoped table", async (_name, tenant, query, withCount) => {
    for (const nodes of await plans(query, tenant, withCount)) {
      const scans = nodes.filter((n) => n["Relation Name"] && SCOPED.has(n["Relation Name"]));
      expect(scans.length).toBeGreaterThan(0);
      expect(scans.filter((n) => n["Node Type"] === "Seq Scan"), JSON.stringify(scans)).toEqual([]);
      expect(scans.every((n) => /Index|Bitmap Heap/.test(n["Node Type"])), JSON.stringify(scans)).toBe(true);
    }
  });

  it("dispatch (most urgent open calls first): walks its index in order and stops at the page, no sort; counted from the counters", async () => {
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
});
