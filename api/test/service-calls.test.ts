import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { fails, ok, seedDemo } from "./support/domain.ts";

const CALL = `id version status allowedNextStatuses priority customerName customerPhone customerEmail windowStart windowEnd assignedTechnician completedAt invoicedAt archivedAt`;
const CREATE = `mutation($input: CreateServiceCallInput!) { createServiceCall(input: $input) { serviceCall { ${CALL} } } }`;
const UPDATE = `mutation($input: UpdateServiceCallInput!) { updateServiceCall(input: $input) { serviceCall { ${CALL} } } }`;
const STATUS = `mutation($input: ChangeServiceCallStatusInput!) { changeServiceCallStatus(input: $input) { serviceCall { ${CALL} } } }`;
const ARCHIVE = `mutation($input: ArchiveServiceCallInput!) { archiveServiceCall(input: $input) { serviceCall { ${CALL} } } }`;
const H2O = "h2o";

describe("service calls", () => {
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

  const base = { customerName: "Dana Whitfield", customerPhone: "(813) 555-0142", addressLine1: "12 Palm Ave", problem: "Water heater leaking" };
  const create = (input: Record<string, unknown> = {}) => ok(t, CREATE, { input: { ...base, ...input } }, H2O).then((d) => d.createServiceCall.serviceCall);
  const move = (call: any, status: string) => ok(t, STATUS, { input: { id: call.id, expectedVersion: call.version, status } }, H2O).then((d) => d.changeServiceCallStatus.serviceCall);

  it("takes a call (phone normalized to E.164), updates it and archives it", async () => {
    const call = await create({ priority: "EMERGENCY", customerEmail: "dana@example.com" });
    expect(call).toMatchObject({ status: "NEW", priority: "EMERGENCY", customerPhone: "+18135550142", version: 1 });
    const updated = (await ok(t, UPDATE, { input: { id: call.id, expectedVersion: 1, customerPhone: "+14075550100", customerEmail: null } }, H2O)).updateServiceCall.serviceCall;
    expect(updated).toMatchObject({ customerPhone: "+14075550100", customerEmail: null, version: 2 });
    const archived = (await ok(t, ARCHIVE, { input: { id: call.id, expectedVersion: 2 } }, H2O)).archiveServiceCall.serviceCall;
    expect(archived.archivedAt).not.toBeNull();
    const moveArchived = await fails(t, STATUS, { input: { id: call.id, expectedVersion: 3, status: "CANCELLED" } }, H2O);
    expect(moveArchived.extensions?.code).toBe("CONFLICT");
  });

  it("runs the lifecycle with its rules: a window to schedule, a technician to dispatch, timestamps on completion and invoicing", async () => {
    let call = await create();
    const unscheduled = await fails(t, STATUS, { input: { id: call.id, expectedVersion: 1, status: "SCHEDULED" } }, H2O);
    expect(unscheduled.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "status"] });
    call = (await ok(t, UPDATE, { input: { id: call.id, expectedVersion: 1, windowStart: "2026-03-02T13:00:00Z", windowEnd: "2026-03-02T17:00:00Z" } }, H2O)).updateServiceCall.serviceCall;
    call = await move(call, "SCHEDULED");
    const noTech = await fails(t, STATUS, { input: { id: call.id, expectedVersion: call.version, status: "DISPATCHED" } }, H2O);
    expect(noTech.message).toMatch(/assign a technician/);
    call = (await ok(t, UPDATE, { input: { id: call.id, expectedVersion: call.version, assignedTechnician: "Kim Nguyen" } }, H2O)).updateServiceCall.serviceCall;
    for (const status of ["DISPATCHED", "IN_PROGRESS", "COMPLETED", "INVOICED"]) call = await move(call, status);
    expect(call.completedAt).not.toBeNull();
    expect(call.invoicedAt).not.toBeNull();
    const after = await fails(t, STATUS, { input: { id: call.id, expectedVersion: call.version, status: "CANCELLED" } }, H2O);
    expect(after.extensions).toMatchObject({ code: "BAD_USER_INPUT", allowed: [], current: "INVOICED" });
    const fresh = await create();
    const skip = await fails(t, STATUS, { input: { id: fresh.id, expectedVersion: 1, status: "COMPLETED" } }, H2O);
    expect(skip.extensions?.allowed).toEqual(["SCHEDULED", "DISPATCHED", "CANCELLED"]);
  });

  it("validates phone, email, lengths and the window", async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [{ customerPhone: "555-0142" }, ["input", "customerPhone"]],
      [{ customerPhone: "+1 (813) 555-01429" }, ["input", "customerPhone"]],
      [{ customerEmail: "not-an-email" }, ["input", "customerEmail"]],
      [{ customerName: "x".repeat(121) }, ["input", "customerName"]],
      [{ problem: "" }, ["input", "problem"]],
      [{ windowStart: "2026-03-02T17:00:00Z", windowEnd: "2026-03-02T13:00:00Z" }, ["input", "windowEnd"]],
    ];
    for (const [input, field] of cases) {
      const err = await fails(t, CREATE, { input: { ...base, ...input } }, H2O);
      expect(err.extensions, JSON.stringify(input)).toMatchObject({ code: "BAD_USER_INPUT", field });
    }
    const bad = await fails(t, CREATE, { input: { ...base, windowStart: "yesterday" } }, H2O);
    expect(bad.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("filters by status, priority, window, technician and text", async () => {
    const q = (filter: string) => ok(t, `{ serviceCalls(first: 100, filter: ${filter}) { totalCount edges { node { status priority assignedTechnician windowStart customerName } } } }`, undefined, H2O).then((d) => d.serviceCalls);
    const urgent = await q(`{ priority: [EMERGENCY, URGENT], status: [DISPATCHED] }`);
    expect(urgent.totalCount).toBeGreaterThan(0);
    expect(urgent.edges.every((e: any) => ["EMERGENCY", "URGENT"].includes(e.node.priority) && e.node.status === "DISPATCHED")).toBe(true);
    const windowed = await q(`{ window: { from: "2026-01-10T00:00:00Z", to: "2026-01-12T23:59:59Z" } }`);
    expect(windowed.totalCount).toBeGreaterThan(0);
    expect(windowed.edges.every((e: any) => e.node.windowStart >= "2026-01-10" && e.node.windowStart < "2026-01-13")).toBe(true);
    const tech = await q(`{ assignedTechnician: "Luis Ortega" }`);
    expect(tech.totalCount).toBeGreaterThan(0);
    expect(tech.edges.every((e: any) => e.node.assignedTechnician === "Luis Ortega")).toBe(true);
    const text = await q(`{ search: "priya" }`);
    expect(text.totalCount).toBeGreaterThan(0);
    expect(text.edges.every((e: any) => e.node.customerName === "Priya Patel")).toBe(true);
  });
});
