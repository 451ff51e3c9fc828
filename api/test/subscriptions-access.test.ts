import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { demoUser } from "../../prisma/seed.ts";
import { signAccessToken } from "../src/auth/tokens.ts";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { as, globalId, ok, seedDemo } from "./support/domain.ts";
import { connect, subscribe, waitForOperations } from "./support/ws.ts";

/** A live connection lasts only as long as the rights it was opened with. */
describe("subscriptions end when access ends", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  it("closes the socket with 4403 when a real access token expires", async () => {
    const token = signAccessToken({ sub: demoUser("h2o", "dispatcher").id, sid: randomUUID() }, TEST_JWT_SECRET, 2);
    const live = connect(port, null, { authorization: `Bearer ${token}`, "x-tenant-id": "h2o" });
    subscribe(live, `subscription { serviceCallChanged { eventId } }`);
    const closed = await live.closed;
    expect(closed).toEqual({ code: 4403, reason: "token expired" });
  });

  it("closes a disabled user's socket with 4403, on the change of an admin", async () => {
    const live = connect(port, null, as("h2o", "viewer"));
    const sub = subscribe(live, `subscription { serviceCallChanged { eventId } }`);
    await waitForOperations(port, 1);
    const member = await prisma.membership.findFirstOrThrow({ where: { userId: demoUser("h2o", "viewer").id } });
    await ok(t, `mutation($id: ID!) { disableUser(id: $id) { member { id } } }`, { id: globalId("Member", member.id) }, "h2o");
    expect(await live.closed).toEqual({ code: 4403, reason: "access changed" });
    expect(sub.events).toEqual([]);
  });

  it("closes the socket of a member whose role changes, so that they reconnect with their new rights", async () => {
    const live = connect(port, null, as("h2o", "estimator"));
    subscribe(live, `subscription { tenantEvents { eventId } }`);
    await waitForOperations(port, 1);
    const member = await prisma.membership.findFirstOrThrow({ where: { userId: demoUser("h2o", "estimator").id } });
    await ok(t, `mutation($id: ID!) { changeMemberRole(id: $id, role: viewer, expectedVersion: ${member.version}) { member { role } } }`, { id: globalId("Member", member.id) }, "h2o");
    expect(await live.closed).toEqual({ code: 4403, reason: "access changed" });
  });

  it("closes an API key's socket when the key is revoked", async () => {
    const { createApiKey } = await ok(t, 'mutation { createApiKey(input: { name: "live", scopes: ["read:service_calls"] }) { key apiKey { id } } }', {}, "h2o");
    const live = connect(port, null, { authorization: `Bearer ${createApiKey.key}` });
    const sub = subscribe(live, `subscription { serviceCallChanged { eventId } }`);
    await waitForOperations(port, 1);
    await ok(t, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: createApiKey.apiKey.id }, "h2o");
    expect(await live.closed).toEqual({ code: 4403, reason: "access changed" });
    expect(sub.events).toEqual([]);
  });

  it("closes the sockets of a tenant whose capabilities change, and a reconnect is authorized against the new ones", async () => {
    const config = async () => (await ok(t, "{ tenant { config { version } } }", {}, "h2o")).tenant.config.version as number;
    const live = connect(port, null, as("h2o", "dispatcher"));
    subscribe(live, `subscription { serviceCallChanged { eventId } }`);
    await waitForOperations(port, 1);
    const other = connect(port, null, as("all_county", "dispatcher"));
    subscribe(other, `subscription { jobChanged { eventId } }`);
    await ok(t, `mutation($v: Int!) { updateTenantConfig(input: { expectedVersion: $v, capabilities: { serviceCalls: false } }) { tenantConfig { version } } }`, { v: await config() }, "h2o");
    expect(await live.closed).toEqual({ code: 4403, reason: "access changed" });
    const again = connect(port, null, as("h2o", "dispatcher"));
    const refused = subscribe(again, `subscription { serviceCallChanged { eventId } }`);
    await expect.poll(() => refused.errors.length).toBe(1);
    expect(JSON.stringify(refused.errors)).toContain("FORBIDDEN");
    await ok(t, `mutation($v: Int!) { updateTenantConfig(input: { expectedVersion: $v, capabilities: { serviceCalls: true } }) { tenantConfig { version } } }`, { v: await config() }, "h2o");
    // the other tenant's socket was not touched
    const stillOpen = await Promise.race([other.closed.then(() => false), new Promise((r) => setTimeout(() => r(true), 300))]);
    expect(stillOpen).toBe(true);
    await Promise.all([again.dispose(), other.dispose()]);
  });
});
