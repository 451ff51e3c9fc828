import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateLargeDataset } from "../scripts/generate-large-dataset.ts";
import { observeSql, type Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { ok, seedDemo } from "./support/domain.ts";

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
    t = await startTestApp();
    prisma = await seedDemo(t);
    await generateLargeDataset(prisma, { jobsTenant: "all_county", serviceCallsTenant: "h2o", builders: 60, jobs: 6_000, bids: 1_500, serviceCalls: 0 });
  });
  afterAll(async () => {
    stop?.();
    await prisma?.$disconnect();
    await t?.close();
  });

  async function count(n: number) {
    statements.length = 0;
    const data = await ok(t, nested(n));
    // each operation also runs in a short transaction that sets its role and tenant (row-level security)
    // and authenticating the request reads the user, their memberships, their session and the tenant (a constant few)
    const auth = /FROM "public"\."(User|Membership|RefreshToken|Tenant|TenantConfig)"/;
    const queries = statements.filter((s) => !s.includes("set_config(") && !/^(BEGIN|COMMIT)/.test(s) && !auth.test(s));
    return { count: statements.length, queries: queries.length, data };
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
});
