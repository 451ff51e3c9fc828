import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { addDemoUsers, CREATE_JOB, fails, ok, seedDemo } from "./support/domain.ts";

const BUILDER = `id version name contactName phone email state active archivedAt`;
const CREATE = `mutation($input: CreateBuilderInput!) { createBuilder(input: $input) { builder { ${BUILDER} } } }`;
const UPDATE = `mutation($input: UpdateBuilderInput!) { updateBuilder(input: $input) { builder { ${BUILDER} } } }`;
const ARCHIVE = `mutation($input: ArchiveBuilderInput!) { archiveBuilder(input: $input) { builder { ${BUILDER} } } }`;

describe("builders (shared across tenants)", () => {
  let t: TestApp;
  let prisma: Prisma;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    await prisma.tenant.create({ data: { slug: "builders_bids_only", name: "Bids only", config: { create: { bidsEnabled: true } } } });
    await addDemoUsers(prisma, "builders_bids_only");
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  it("creates, updates and archives a builder that every tenant with jobs or bids sees", async () => {
    const created = (await ok(t, CREATE, { input: { name: "Shea Homes", phone: "407-555-0199", email: "ops@shea.example", state: "fl" } })).createBuilder.builder;
    expect(created).toMatchObject({ version: 1, phone: "+14075550199", state: "FL", active: true });
    const seenByOther = await ok(t, `{ builders(first: 10, filter: { search: "shea" }) { totalCount } }`, undefined, "builders_bids_only");
    expect(seenByOther.builders.totalCount).toBe(1);
    const updated = (await ok(t, UPDATE, { input: { id: created.id, expectedVersion: 1, active: false, contactName: "Pat Lee" } })).updateBuilder.builder;
    expect(updated).toMatchObject({ version: 2, active: false, contactName: "Pat Lee" });
    expect((await ok(t, `{ builders(first: 10, filter: { search: "shea", active: false }) { totalCount } }`)).builders.totalCount).toBe(1);
    const stale = await fails(t, UPDATE, { input: { id: created.id, expectedVersion: 1, name: "x" } });
    expect(stale.extensions).toMatchObject({ code: "CONFLICT", currentVersion: 2 });
    const archived = (await ok(t, ARCHIVE, { input: { id: created.id, expectedVersion: 2 } })).archiveBuilder.builder;
    expect(archived.archivedAt).not.toBeNull();
    expect((await ok(t, `{ builders(first: 10, filter: { search: "shea" }) { totalCount } }`)).builders.totalCount).toBe(0);
    const job = await fails(t, CREATE_JOB, { input: { builderId: created.id, community: "x", scheduledDate: "2026-01-01" } });
    expect(job.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "builderId"] });
  });

  it("validates its input with field paths, and is FORBIDDEN to a tenant with neither jobs nor bids", async () => {
    const phone = await fails(t, CREATE, { input: { name: "X", phone: "12" } });
    expect(phone.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "phone"] });
    const name = await fails(t, CREATE, { input: { name: "" } });
    expect(name.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "name"] });
    const h2o = await fails(t, `{ builders(first: 1) { totalCount } }`, undefined, "h2o");
    expect(h2o.extensions).toMatchObject({ code: "FORBIDDEN", capability: ["jobs", "bids"] });
    expect(h2o.message).toMatch(/"jobs" or "bids" capability/);
  });
});
