import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { tenantOwned, tenantScoped } from "../src/db/tenancy.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { addDemoUsers, as, CREATE_JOB, fails, globalId, ok, seedDemo } from "./support/domain.ts";

/** A third tenant, configured like the first: proves scoping between two tenants with the same capabilities. */
const OTHER = "tenancy_other";

describe("tenant scoping and capabilities", () => {
  let t: TestApp;
  let prisma: Prisma;
  let mine: { id: string; builder: string; version: number };
  let theirs: { id: string; dbId: string; version: number };
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    await prisma.tenant.create({ data: { slug: OTHER, name: "Other", config: { create: { jobsEnabled: true, bidsEnabled: true } } } });
    await addDemoUsers(prisma, OTHER);
    const builder = await ok(t, `{ builders(first: 1) { edges { node { id } } } }`);
    const builderId = builder.builders.edges[0].node.id;
    const input = { builderId, community: "Secret Grove", scheduledDate: "2026-05-01" };
    const a = (await ok(t, CREATE_JOB, { input })).createJob.job;
    const b = (await ok(t, CREATE_JOB, { input }, OTHER)).createJob.job;
    mine = { id: a.id, builder: builderId, version: a.version };
    theirs = { id: b.id, dbId: Buffer.from(b.id, "base64").toString().split(":")[1]!, version: b.version };
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  it("hides another tenant's job from node, nodes, filters and relations", async () => {
    const byNode = await ok(t, `query($id: ID!) { node(id: $id) { id } }`, { id: theirs.id });
    expect(byNode.node).toBeNull();
    const byNodes = await ok(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [theirs.id, mine.id] });
    expect(byNodes.nodes).toEqual([null, { id: mine.id }]);
    const bySearch = await ok(t, `{ jobs(first: 10, filter: { search: "Secret Grove" }) { totalCount edges { node { id } } } }`);
    expect(bySearch.jobs).toEqual({ totalCount: 1, edges: [{ node: { id: mine.id } }] });
    const byRelation = await ok(t, `query($id: ID!) { node(id: $id) { ... on Builder { jobs(first: 100) { totalCount edges { node { id } } } } } }`, { id: mine.builder });
    const ids = byRelation.node.jobs.edges.map((e: any) => e.node.id);
    expect(ids).toContain(mine.id);
    expect(ids).not.toContain(theirs.id);
    const mineCount = await prisma.job.count({ where: { builderId: Buffer.from(mine.builder, "base64").toString().split(":")[1], tenant: { slug: "all_county" } } });
    expect(byRelation.node.jobs.totalCount).toBe(mineCount);
  });

  it("cannot change, move or archive another tenant's job, and leaves it untouched", async () => {
    const update = await fails(t, `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { id } } }`, { input: { id: theirs.id, expectedVersion: theirs.version, notes: "pwned" } });
    expect(update.extensions?.code).toBe("NOT_FOUND");
    const status = await fails(t, `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id } } }`, { input: { id: theirs.id, expectedVersion: theirs.version, status: "CANCELLED" } });
    expect(status.extensions?.code).toBe("NOT_FOUND");
    const archive = await fails(t, `mutation($input: ArchiveJobInput!) { archiveJob(input: $input) { job { id } } }`, { input: { id: theirs.id, expectedVersion: theirs.version } });
    expect(archive.extensions?.code).toBe("NOT_FOUND");
    expect(await prisma.job.findUniqueOrThrow({ where: { id: theirs.dbId } })).toMatchObject({ notes: null, status: "scheduled", version: 1, archivedAt: null });
  });

  it("scopes every operation of the Prisma extension, nested relations and counts included", async () => {
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } });
    const db = tenantScoped(prisma, tenant.id);
    expect(await db.job.findUnique({ where: { id: theirs.dbId } })).toBeNull();
    expect(await db.job.count({ where: { id: theirs.dbId } })).toBe(0);
    expect((await db.job.updateMany({ where: { id: theirs.dbId }, data: { notes: "x" } })).count).toBe(0);
    expect((await db.job.deleteMany({ where: { id: theirs.dbId } })).count).toBe(0);
    expect((await db.tenant.findMany()).map((x) => x.slug)).toEqual(["all_county"]);
    const builder = await db.builder.findFirstOrThrow({ include: { jobs: true, _count: true } });
    expect(builder.jobs.every((j) => j.tenantId === tenant.id)).toBe(true);
    expect(builder._count.jobs).toBe(builder.jobs.length);
    const created = await db.job.create({ data: tenantOwned({ builderId: builder.id, community: "Scoped", scheduledDate: new Date() }) });
    expect(created.tenantId).toBe(tenant.id);
    await expect(db.job.update({ where: { id: created.id }, data: { tenantId: theirs.dbId } })).rejects.toThrow(/tenant scope/);
    await expect(tenantScoped(prisma, null).job.findMany()).rejects.toThrow(/no acting tenant/);
  });

  it("answers FORBIDDEN naming the capability when it is off, for that tenant only, and switches with the config", async () => {
    const h2oJobs = await fails(t, `{ jobs(first: 1) { totalCount } }`, undefined, "h2o");
    expect(h2oJobs.extensions).toMatchObject({ code: "FORBIDDEN", capability: "jobs" });
    expect(h2oJobs.message).toMatch(/"jobs" capability/);
    const h2oCreate = await fails(t, `mutation { createBid(input: { builderId: "${mine.builder}", project: "x", dueDate: "2026-01-01" }) { bid { id } } }`, undefined, "h2o");
    expect(h2oCreate.extensions).toMatchObject({ code: "FORBIDDEN", capability: "bids" });
    const calls = await fails(t, `{ serviceCalls(first: 1) { totalCount } }`);
    expect(calls.extensions).toMatchObject({ code: "FORBIDDEN", capability: "serviceCalls" });
    expect((await ok(t, `{ serviceCalls(first: 1) { totalCount } }`, undefined, "h2o")).serviceCalls.totalCount).toBe(140);

    const config = await ok(t, `{ tenant { config { version capabilities { jobs bids serviceCalls marketing } } } }`, undefined, OTHER);
    expect(config.tenant.config.capabilities).toEqual({ jobs: true, bids: true, serviceCalls: false, marketing: false });
    const off = `mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { tenantConfig { version capabilities { jobs } } } }`;
    const updated = await ok(t, off, { input: { expectedVersion: config.tenant.config.version, capabilities: { jobs: false } } }, OTHER);
    expect(updated.updateTenantConfig.tenantConfig).toEqual({ version: config.tenant.config.version + 1, capabilities: { jobs: false } });
    const node = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id: theirs.id }, as(OTHER));
    expect(node.errors?.[0]?.extensions).toMatchObject({ code: "FORBIDDEN", capability: "jobs" });
    const relation = await t.gql(`query($id: ID!) { node(id: $id) { ... on Builder { name jobs(first: 1) { totalCount } bids(first: 1) { totalCount } } } }`, { id: mine.builder }, as(OTHER));
    expect(relation.errors?.map((e) => e.extensions?.code)).toEqual(["FORBIDDEN"]);
    expect(relation.data).toMatchObject({ node: { jobs: null, bids: { totalCount: 0 } } });
    expect((await fails(t, `{ jobs(first: 1) { totalCount } }`, undefined, OTHER)).extensions?.code).toBe("FORBIDDEN");
    expect((await ok(t, `{ jobs(first: 1) { totalCount } }`)).jobs.totalCount).toBeGreaterThan(0);
    const stale = await fails(t, off, { input: { expectedVersion: config.tenant.config.version, capabilities: { jobs: true } } }, OTHER);
    expect(stale.extensions?.code).toBe("CONFLICT");
  });

  it("takes the acting tenant from X-Tenant-Id (slug or id), checked against the user's memberships", async () => {
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "h2o" } });
    expect((await t.gql(`{ tenant { slug } }`, undefined, { ...as("h2o"), "x-tenant-id": tenant.id })).data).toEqual({ tenant: { slug: "h2o" } });
    const none = await t.gql(`{ jobs(first: 1) { totalCount } }`);
    expect(none.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
    const notMember = await t.gql(`{ tenant { slug } }`, undefined, { ...as("h2o"), "x-tenant-id": "all_county" });
    expect(notMember.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    const devHeader = await t.gql(`{ tenant { slug } }`, undefined, { "x-dev-tenant": "h2o" });
    expect(devHeader.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
  });
});
