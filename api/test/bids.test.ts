import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { fails, ok, seedDemo } from "./support/domain.ts";

const BID = `id version status allowedNextStatuses project plans amountCents dueDate submittedAt decidedAt archivedAt lineItems { description quantity unitPriceCents totalCents } builder { id }`;
const CREATE = `mutation($input: CreateBidInput!) { createBid(input: $input) { bid { ${BID} } } }`;
const UPDATE = `mutation($input: UpdateBidInput!) { updateBid(input: $input) { bid { ${BID} } } }`;
const STATUS = `mutation($input: ChangeBidStatusInput!) { changeBidStatus(input: $input) { bid { ${BID} } } }`;
const ARCHIVE = `mutation($input: ArchiveBidInput!) { archiveBid(input: $input) { bid { ${BID} } } }`;

describe("bids", () => {
  let t: TestApp;
  let prisma: Prisma;
  let builderId: string;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    builderId = (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const lines = [
    { description: "Underground", quantity: 1, unitPriceCents: 400_000 },
    { description: "Fixtures", quantity: 4, unitPriceCents: 25_000 },
  ];
  const create = (input: Record<string, unknown> = {}) =>
    ok(t, CREATE, { input: { builderId, project: "Heron Bay phase 4", dueDate: "2026-06-30", plans: ["Aspen"], lineItems: lines, ...input } }).then((d) => d.createBid.bid);

  it("creates with line items (amount = their sum), updates, archives", async () => {
    const bid = await create();
    expect(bid).toMatchObject({ status: "DRAFT", version: 1, amountCents: 500_000, plans: ["Aspen"], submittedAt: null });
    expect(bid.lineItems[1]).toEqual({ description: "Fixtures", quantity: 4, unitPriceCents: 25_000, totalCents: 100_000 });
    const updated = (await ok(t, UPDATE, { input: { id: bid.id, expectedVersion: 1, lineItems: [{ description: "All in", quantity: 2, unitPriceCents: 300_000 }] } })).updateBid.bid;
    expect(updated).toMatchObject({ version: 2, amountCents: 600_000, lineItems: [{ totalCents: 600_000 }] });
    const flat = (await ok(t, UPDATE, { input: { id: bid.id, expectedVersion: 2, lineItems: [], amountCents: 123_400 } })).updateBid.bid;
    expect(flat).toMatchObject({ version: 3, amountCents: 123_400, lineItems: [] });
    const archived = (await ok(t, ARCHIVE, { input: { id: bid.id, expectedVersion: 3 } })).archiveBid.bid;
    expect(archived.archivedAt).not.toBeNull();
    expect((await ok(t, `{ bids(first: 100, filter: { search: "phase 4" }) { totalCount } }`)).bids.totalCount).toBe(0);
  });

  it("moves through its pipeline, stamping submitted and decided times, and refuses illegal moves", async () => {
    let bid = await create();
    bid = (await ok(t, STATUS, { input: { id: bid.id, expectedVersion: 1, status: "SUBMITTED" } })).changeBidStatus.bid;
    expect(bid.submittedAt).not.toBeNull();
    expect(bid.allowedNextStatuses).toEqual(["WON", "LOST", "EXPIRED"]);
    bid = (await ok(t, STATUS, { input: { id: bid.id, expectedVersion: 2, status: "EXPIRED" } })).changeBidStatus.bid;
    expect(bid.decidedAt).not.toBeNull();
    bid = (await ok(t, STATUS, { input: { id: bid.id, expectedVersion: 3, status: "DRAFT" } })).changeBidStatus.bid;
    expect(bid).toMatchObject({ status: "DRAFT", submittedAt: null, decidedAt: null });
    const won = await fails(t, STATUS, { input: { id: bid.id, expectedVersion: 4, status: "WON" } });
    expect(won.extensions).toMatchObject({ code: "BAD_USER_INPUT", allowed: ["SUBMITTED"], current: "DRAFT" });
    const stale = await fails(t, STATUS, { input: { id: bid.id, expectedVersion: 3, status: "SUBMITTED" } });
    expect(stale.extensions).toMatchObject({ code: "CONFLICT", currentVersion: 4 });
  });

  it("validates amounts, line items and their consistency", async () => {
    const mismatch = await fails(t, CREATE, { input: { builderId, project: "x", dueDate: "2026-01-01", lineItems: lines, amountCents: 1 } });
    expect(mismatch.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "amountCents"], expected: 500_000 });
    const zero = await fails(t, CREATE, { input: { builderId, project: "x", dueDate: "2026-01-01", lineItems: [{ description: "a", quantity: 0, unitPriceCents: 1 }] } });
    expect(zero.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "lineItems", "0", "quantity"] });
    const fraction = await fails(t, CREATE, { input: { builderId, project: "x", dueDate: "2026-01-01", amountCents: 10.5 } });
    expect(fraction.extensions?.code).toBe("BAD_USER_INPUT");
    const blank = await fails(t, CREATE, { input: { builderId, project: "   ", dueDate: "2026-01-01" } });
    expect(blank.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "project"] });
  });

  it("filters by status, builder, due date and estimator", async () => {
    const submitted = await ok(t, `{ bids(first: 100, filter: { status: [SUBMITTED] }) { totalCount edges { node { status } } } }`);
    expect(submitted.bids.totalCount).toBeGreaterThan(0);
    expect(submitted.bids.edges.every((e: any) => e.node.status === "SUBMITTED")).toBe(true);
    const due = await ok(t, `{ bids(first: 100, filter: { due: { from: "2026-02-10", to: "2026-02-20" }, estimator: "Rita Gomez" }) { totalCount edges { node { dueDate } } } }`);
    expect(due.bids.totalCount).toBeGreaterThan(0);
    expect(due.bids.edges.every((e: any) => e.node.dueDate >= "2026-02-10" && e.node.dueDate <= "2026-02-20")).toBe(true);
    const ofBuilder = await ok(t, `{ bids(first: 100, filter: { builderId: "${builderId}" }) { edges { node { builder { id } } } } }`);
    expect(ofBuilder.bids.edges.every((e: any) => e.node.builder.id === builderId)).toBe(true);
  });
});
