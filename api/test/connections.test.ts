import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, fails, ok, seedDemo } from "./support/domain.ts";

const PAGE = `totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id status scheduledDate assignedCrew community updatedAt builder { id } } }`;

describe("connections: pagination, filters, sorting, page size", () => {
  let t: TestApp;
  let prisma: Prisma;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const jobs = (args: string) => ok(t, `{ jobs(${args}) { ${PAGE} } }`).then((d) => d.jobs);

  it("refuses a page larger than 100 (or negative) with BAD_USER_INPUT, on root and nested connections", async () => {
    const big = await fails(t, `{ jobs(first: 101) { totalCount } }`);
    expect(big.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["first"], maxPageSize: 100 });
    expect(big.message).toMatch(/between 0 and 100/);
    expect((await fails(t, `{ jobs(last: 1000) { totalCount } }`)).extensions?.code).toBe("BAD_USER_INPUT");
    expect((await fails(t, `{ jobs(first: -1) { totalCount } }`)).extensions?.code).toBe("BAD_USER_INPUT");
    expect((await jobs("first: 100")).edges).toHaveLength(100);
    const nested = await t.gql(`{ builders(first: 1) { edges { node { name jobs(first: 500) { totalCount } } } } }`, undefined, as("all_county"));
    expect(nested.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["first"] });
    expect(nested.errors?.[0]?.path).toEqual(["builders", "edges", 0, "node", "jobs"]);
    const badCursor = await fails(t, `{ jobs(first: 1, after: "not-a-cursor") { totalCount } }`);
    expect(badCursor.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("pages through every row exactly once while rows are inserted, forwards and backwards", async () => {
    const total = (await jobs("first: 1")).totalCount;
    const seen: string[] = [];
    let after: string | null = null;
    let inserted = false;
    for (;;) {
      const page: any = await jobs(`first: 40${after ? `, after: "${after}"` : ""}`);
      seen.push(...page.edges.map((e: any) => e.node.id));
      if (!inserted) {
        const [tenant, builder] = await Promise.all([prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } }), prisma.builder.findFirstOrThrow()]);
        await prisma.job.createMany({ data: [1, 2, 3].map((i) => ({ tenantId: tenant.id, builderId: builder.id, community: `Inserted ${i}`, scheduledDate: new Date() })) });
        inserted = true;
      }
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(total);
    expect((await jobs("first: 1")).totalCount).toBe(total + 3);

    const byDate = await jobs(`first: 10, orderBy: { field: SCHEDULED_DATE, direction: ASC }`);
    const back = await jobs(`last: 5, before: "${byDate.edges[9].cursor}", orderBy: { field: SCHEDULED_DATE, direction: ASC }`);
    expect(back.edges.map((e: any) => e.node.id)).toEqual(byDate.edges.slice(4, 9).map((e: any) => e.node.id));
    expect(back.pageInfo.hasPreviousPage).toBe(true);
  });

  it("filters by status, builder, date range, assignee, text and updatedAfter; totalCount follows the filter", async () => {
    const rough = await jobs(`first: 100, filter: { status: [ROUGH_IN, TRIM] }`);
    expect(rough.edges.every((e: any) => ["ROUGH_IN", "TRIM"].includes(e.node.status))).toBe(true);
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } });
    expect(rough.totalCount).toBe(await prisma.job.count({ where: { tenantId: tenant.id, status: { in: ["rough_in", "trim"] } } }));

    const builderId = rough.edges[0].node.builder.id;
    const ofBuilder = await jobs(`first: 100, filter: { builderId: "${builderId}" }`);
    expect(ofBuilder.totalCount).toBeGreaterThan(0);
    expect(ofBuilder.edges.every((e: any) => e.node.builder.id === builderId)).toBe(true);

    const ranged = await jobs(`first: 100, filter: { scheduled: { from: "2026-01-10", to: "2026-01-12" } }`);
    expect(ranged.totalCount).toBeGreaterThan(0);
    expect(ranged.edges.every((e: any) => e.node.scheduledDate >= "2026-01-10" && e.node.scheduledDate <= "2026-01-12")).toBe(true);

    const crew = await jobs(`first: 100, filter: { assignedCrew: "Crew B", status: [SCHEDULED] }`);
    expect(crew.totalCount).toBeGreaterThan(0);
    expect(crew.edges.every((e: any) => e.node.assignedCrew === "Crew B" && e.node.status === "SCHEDULED")).toBe(true);

    const text = await jobs(`first: 100, filter: { search: "heron" }`);
    expect(text.totalCount).toBeGreaterThan(0);
    expect(text.edges.every((e: any) => e.node.community === "Heron Bay")).toBe(true);

    const since = new Date();
    const one = rough.edges[0].node;
    const current = await ok(t, `query($id: ID!) { node(id: $id) { ... on Job { version } } }`, { id: one.id });
    await ok(t, `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { id } } }`, { input: { id: one.id, expectedVersion: current.node.version, notes: "changed" } });
    const changed = await jobs(`first: 100, filter: { updatedAfter: "${since.toISOString()}" }`);
    expect(changed.edges.map((e: any) => e.node.id)).toEqual([one.id]);
  });

  it("searches for the text as typed: LIKE's % and _ are plain characters", async () => {
    const [a, b] = (await jobs(`first: 2`)).edges.map((e: any) => Buffer.from(e.node.id, "base64").toString().split(":")[1]);
    await prisma.job.update({ where: { id: a }, data: { notes: "ZQX 100% off" } });
    await prisma.job.update({ where: { id: b }, data: { notes: "ZQX 1000 off" } });
    expect((await jobs(`first: 10, filter: { search: "zqx 100%" }`)).totalCount).toBe(1);
    expect((await jobs(`first: 10, filter: { search: "zqx 100" }`)).totalCount).toBe(2);
    expect((await jobs(`first: 10, filter: { search: "ZQX_" }`)).totalCount).toBe(0);
    expect((await jobs(`first: 10, filter: { search: "% off" }`)).totalCount).toBe(1);
  });

  it("sorts by the requested key with a stable tie-break", async () => {
    const byStatus = await jobs(`first: 100, orderBy: { field: STATUS, direction: ASC }`);
    const order = ["SCHEDULED", "UNDERGROUND", "ROUGH_IN", "TOP_OUT", "TRIM", "FINAL", "COMPLETE", "ON_HOLD", "CANCELLED"];
    const ranks = byStatus.edges.map((e: any) => order.indexOf(e.node.status));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    const byDate = await jobs(`first: 100, orderBy: { field: SCHEDULED_DATE, direction: DESC }`);
    const dates = byDate.edges.map((e: any) => e.node.scheduledDate);
    expect(dates).toEqual([...dates].sort().reverse());
    const recent = await jobs(`first: 50`);
    const stamps = recent.edges.map((e: any) => e.node.updatedAt);
    expect(stamps).toEqual([...stamps].sort().reverse());

    const calls = await ok(t, `{ serviceCalls(first: 100, orderBy: { field: PRIORITY, direction: ASC }) { edges { node { priority } } } }`, undefined, "h2o");
    const priorities = calls.serviceCalls.edges.map((e: any) => e.node.priority);
    expect(priorities[0]).toBe("EMERGENCY");
    expect(priorities.at(-1)).toBe("ROUTINE");
    const bids = await ok(t, `{ bids(first: 100, orderBy: { field: AMOUNT, direction: DESC }) { edges { node { amountCents } } } }`);
    const amounts = bids.bids.edges.map((e: any) => e.node.amountCents);
    expect(amounts).toEqual([...amounts].sort((a: number, b: number) => b - a));
    const builders = await ok(t, `{ builders(first: 100) { edges { node { name } } } }`);
    const names = builders.builders.edges.map((e: any) => e.node.name);
    expect(names).toEqual([...names].sort());
  });
});
