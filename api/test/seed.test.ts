import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seed } from "../../prisma/seed.ts";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { seedDemo } from "./support/domain.ts";

describe("npm run seed", () => {
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

  const counts = async () => ({
    tenants: await prisma.tenant.count(),
    configs: await prisma.tenantConfig.count(),
    builders: await prisma.builder.count(),
    jobs: await prisma.job.count(),
    bids: await prisma.bid.count(),
    serviceCalls: await prisma.serviceCall.count(),
  });

  it("creates both tenants with their configuration and demo data in every status", async () => {
    expect(await counts()).toEqual({ tenants: 2, configs: 2, builders: 6, jobs: 300, bids: 60, serviceCalls: 140 });
    const configs = await prisma.tenantConfig.findMany({ include: { tenant: true } });
    const bySlug = Object.fromEntries(configs.map((c) => [c.tenant.slug, c]));
    expect(bySlug.all_county).toMatchObject({ jobsEnabled: true, bidsEnabled: true, serviceCallsEnabled: false, marketingEnabled: true, auditRetentionDays: 730 });
    expect(bySlug.h2o).toMatchObject({ jobsEnabled: false, bidsEnabled: false, serviceCallsEnabled: true, marketingEnabled: true });
    expect((await prisma.job.groupBy({ by: ["status"] })).length).toBe(9);
    expect((await prisma.bid.groupBy({ by: ["status"] })).length).toBe(5);
    expect((await prisma.serviceCall.groupBy({ by: ["status"] })).length).toBe(7);
  });

  it("is idempotent: a second run adds nothing", async () => {
    const before = await counts();
    await seed(prisma, { info: () => undefined });
    expect(await counts()).toEqual(before);
  });
});
