import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditHook } from "../src/audit/hook.ts";
import { SystemWrites } from "../src/events/system-writes.ts";
import type { Prisma } from "../src/db/client.ts";
import type { DomainEvent } from "../src/events/domain-event.ts";
import type { AuditEvent } from "../src/generated/prisma/client.ts";
import { signAccessToken } from "../src/auth/tokens.ts";
import { redactSecrets } from "../src/webhooks/envelope.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { as, CREATE_JOB, fails, globalId, ok, seedDemo } from "./support/domain.ts";

const AC = "all_county";
const H2O = "h2o";
const dbId = (gid: string) => Buffer.from(gid, "base64").toString().split(":")[1]!;
/** A row as the audit stores it: as JSON (Dates as ISO strings), without secret-named keys. */
const asJson = (row: unknown) => (row == null ? null : redactSecrets(JSON.parse(JSON.stringify(row))));

describe("the audit trail", () => {
  let t: TestApp;
  let prisma: Prisma;
  let tenantId: string;
  let h2oId: string;
  let builderId: string;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    tenantId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: AC } })).id;
    h2oId = (await prisma.tenant.findUniqueOrThrow({ where: { slug: H2O } })).id;
    builderId = (await ok(t, `{ builders(first: 1) { edges { node { id } } } }`)).builders.edges[0].node.id;
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const auditRows = (entityId: string) => prisma.auditEvent.findMany({ where: { entityId }, orderBy: [{ changedAt: "asc" }, { id: "asc" }] });

  /**
   * Runs one mutation and checks that it left exactly one audit row, and that the row is right: tenant, action,
   * entity, before = the row as it was, after = the row as it is now, request id present.
   */
  async function audited(opts: {
    tenant: string;
    entityType: string;
    action: string;
    run: () => Promise<string>; // returns the entity's database id
    read: (id: string) => Promise<unknown>;
    entityId?: string;
  }): Promise<AuditEvent> {
    const before = opts.entityId ? asJson(await opts.read(opts.entityId)) : null;
    const total = await prisma.auditEvent.count();
    const id = await opts.run();
    expect(await prisma.auditEvent.count()).toBe(total + 1);
    const rows = await auditRows(id);
    const row = rows.at(-1)!;
    expect(row).toMatchObject({
      tenantId: opts.tenant === AC ? tenantId : h2oId,
      entityType: opts.entityType,
      entityId: id,
      action: opts.action,
      eventType: `${opts.entityType}.${opts.action}`,
    });
    expect(row.before).toEqual(before);
    expect(row.after).toEqual(asJson(await opts.read(id)));
    expect(row.requestId).toEqual(expect.any(String));
    expect(row.requestId!.length).toBeGreaterThan(0);
    expect(row.actorKind).toEqual(expect.any(String));
    expect(Math.abs(row.changedAt.getTime() - Date.now())).toBeLessThan(60_000);
    return row;
  }

  it("records every create, update, status change and archive of jobs, bids and service calls: one correct row each", async () => {
    const kinds = [
      {
        tenant: AC, type: "job", field: "job", read: (id: string) => prisma.job.findUnique({ where: { id } }),
        create: { m: "createJob(input: $input) { job { id } }", t: "CreateJobInput", input: { builderId, community: "Audit Ridge", scheduledDate: "2026-05-01" } },
        update: { m: "updateJob(input: $input) { job { id } }", t: "UpdateJobInput", input: { notes: "gate 4411", lot: "9" } },
        status: { m: "changeJobStatus(input: $input) { job { id } }", t: "ChangeJobStatusInput", input: { status: "UNDERGROUND" } },
        archive: { m: "archiveJob(input: $input) { job { id } }", t: "ArchiveJobInput", input: {} },
      },
      {
        tenant: AC, type: "bid", field: "bid", read: (id: string) => prisma.bid.findUnique({ where: { id } }),
        create: { m: "createBid(input: $input) { bid { id } }", t: "CreateBidInput", input: { builderId, project: "Audit Bay", dueDate: "2026-06-30", plans: ["Aspen"], lineItems: [{ description: "Rough", quantity: 2, unitPriceCents: 1000 }] } },
        update: { m: "updateBid(input: $input) { bid { id } }", t: "UpdateBidInput", input: { notes: "revised" } },
        status: { m: "changeBidStatus(input: $input) { bid { id } }", t: "ChangeBidStatusInput", input: { status: "SUBMITTED" } },
        archive: { m: "archiveBid(input: $input) { bid { id } }", t: "ArchiveBidInput", input: {} },
      },
      {
        tenant: H2O, type: "service_call", field: "serviceCall", read: (id: string) => prisma.serviceCall.findUnique({ where: { id } }),
        create: { m: "createServiceCall(input: $input) { serviceCall { id } }", t: "CreateServiceCallInput", input: { customerName: "Audit Person", customerPhone: "(813) 555-0142", addressLine1: "1 Log Ln", problem: "Drip", assignedTechnician: "Tech A" } },
        update: { m: "updateServiceCall(input: $input) { serviceCall { id } }", t: "UpdateServiceCallInput", input: { customerEmail: "a@example.com" } },
        status: { m: "changeServiceCallStatus(input: $input) { serviceCall { id } }", t: "ChangeServiceCallStatusInput", input: { status: "DISPATCHED" } },
        archive: { m: "archiveServiceCall(input: $input) { serviceCall { id } }", t: "ArchiveServiceCallInput", input: {} },
      },
    ];
    for (const k of kinds) {
      const call = async (op: { m: string; t: string; input: Record<string, unknown> }, extra: Record<string, unknown> = {}) => {
        const data = await ok(t, `mutation($input: ${op.t}!) { ${op.m} }`, { input: { ...op.input, ...extra } }, k.tenant);
        return Object.values(data)[0] as Record<string, { id: string }>;
      };
      let gid = "";
      const created = await audited({
        tenant: k.tenant, entityType: k.type, action: "created", read: k.read,
        run: async () => dbId((gid = (await call(k.create))[k.field]!.id)),
      });
      expect(created.before).toBeNull();
      const id = dbId(gid);
      let version = 1;
      for (const [action, op] of [["updated", k.update], ["status_changed", k.status], ["archived", k.archive]] as const) {
        const row = await audited({
          tenant: k.tenant, entityType: k.type, action, read: k.read, entityId: id,
          run: async () => dbId((await call(op, { id: gid, expectedVersion: version }))[k.field]!.id),
        });
        version++;
        expect((row.after as { version: number }).version).toBe(version);
      }
      expect(await auditRows(id)).toHaveLength(4);
    }
  });

  it("records builder changes and tenant configuration updates", async () => {
    let gid = "";
    const read = (id: string) => prisma.builder.findUnique({ where: { id } });
    await audited({
      tenant: AC, entityType: "builder", action: "created", read,
      run: async () => dbId((gid = (await ok(t, `mutation($i: CreateBuilderInput!) { createBuilder(input: $i) { builder { id } } }`, { i: { name: "Audit Homes" } })).createBuilder.builder.id)),
    });
    await audited({
      tenant: AC, entityType: "builder", action: "updated", read, entityId: dbId(gid),
      run: async () => dbId((await ok(t, `mutation($i: UpdateBuilderInput!) { updateBuilder(input: $i) { builder { id } } }`, { i: { id: gid, expectedVersion: 1, city: "Tampa" } })).updateBuilder.builder.id),
    });
    await audited({
      tenant: AC, entityType: "builder", action: "archived", read, entityId: dbId(gid),
      run: async () => dbId((await ok(t, `mutation($i: ArchiveBuilderInput!) { archiveBuilder(input: $i) { builder { id } } }`, { i: { id: gid, expectedVersion: 2 } })).archiveBuilder.builder.id),
    });

    const config = await prisma.tenantConfig.findUniqueOrThrow({ where: { tenantId } });
    const row = await audited({
      tenant: AC, entityType: "tenant_config", action: "updated", entityId: config.id,
      read: (id) => prisma.tenantConfig.findUnique({ where: { id } }),
      run: async () => {
        await ok(t, `mutation($i: UpdateTenantConfigInput!) { updateTenantConfig(input: $i) { tenantConfig { version } } }`, { i: { expectedVersion: config.version, auditRetentionDays: 400 } });
        return config.id;
      },
    });
    expect(row.before).toMatchObject({ auditRetentionDays: config.auditRetentionDays });
    expect(row.after).toMatchObject({ auditRetentionDays: 400 });
    const trail = await ok(t, `{ tenant { config { auditTrail(first: 5) { totalCount edges { node { action changedFields entityType } } } } } }`);
    expect(trail.tenant.config.auditTrail).toMatchObject({ totalCount: 1, edges: [{ node: { action: "updated", entityType: "tenant_config" } }] });
    expect(trail.tenant.config.auditTrail.edges[0].node.changedFields).toEqual(expect.arrayContaining(["auditRetentionDays", "updatedAt", "version"]));
  });

  it("records members, users, API keys and webhook endpoints and messages: one row per change, no secret, on each object's auditTrail", async () => {
    const secrets: string[] = [];
    /** Runs one mutation; checks it left exactly one audit row, of this entity, action and tenant, made by the user. */
    async function once<T>(entityType: string, action: string, run: () => Promise<T>, idOf: (result: T) => string, eventType = `${entityType}.${action}`) {
      const total = await prisma.auditEvent.count();
      const result = await run();
      expect(await prisma.auditEvent.count()).toBe(total + 1);
      const entityId = idOf(result);
      const [row] = await prisma.auditEvent.findMany({ where: { entityId }, orderBy: [{ changedAt: "desc" }, { id: "desc" }], take: 1 });
      expect(row).toMatchObject({ tenantId, entityType, entityId, action, eventType, actorKind: "user" });
      return { result, row: row! };
    }
    const member = await once("membership", "created",
      () => ok(t, `mutation { inviteUser(email: "audit.person@example.com", name: "Audit Person", role: viewer, password: "first-password-1234") { member { id user { id } } } }`),
      (r) => dbId(r.inviteUser.member.id));
    const memberId = member.result.inviteUser.member.id as string;
    const userId = member.result.inviteUser.member.user.id as string;
    expect(member.row.after).toMatchObject({ role: "viewer", email: "audit.person@example.com", userId });
    await once("membership", "updated", () => ok(t, `mutation($id: ID!) { changeMemberRole(id: $id, role: dispatcher, expectedVersion: 1) { member { id } } }`, { id: memberId }), () => dbId(memberId))
      .then(({ row }) => expect([row.before, row.after]).toMatchObject([{ role: "viewer" }, { role: "dispatcher" }]));
    const reset = await once("user", "updated", () => ok(t, `mutation($id: ID!) { issuePasswordReset(id: $id) { resetToken } }`, { id: memberId }), () => userId);
    secrets.push(reset.result.issuePasswordReset.resetToken);
    for (const [name, from, to] of [["disableUser", "active", "disabled"], ["enableUser", "disabled", "active"]] as const)
      await once("user", "updated", () => ok(t, `mutation($id: ID!) { ${name}(id: $id) { member { id } } }`, { id: memberId }), () => userId)
        .then(({ row }) => expect([row.before, row.after]).toMatchObject([{ status: from }, { status: to }]));
    const self = { authorization: `Bearer ${signAccessToken({ sub: userId, sid: crypto.randomUUID() }, TEST_JWT_SECRET)}`, "x-tenant-id": AC };
    await once("user", "updated", async () => {
      const res = await t.gql(`mutation { changePassword(currentPassword: "first-password-1234", newPassword: "second-password-5678") }`, {}, self);
      expect(res.errors).toBeUndefined();
    }, () => userId);
    secrets.push("first-password-1234", "second-password-5678", (await prisma.user.findUniqueOrThrow({ where: { id: userId } })).passwordHash!);

    const key = await once("api_key", "created", () => ok(t, `mutation { createApiKey(input: { name: "Audit key", scopes: ["read:jobs"] }) { key apiKey { id } } }`), (r) => dbId(r.createApiKey.apiKey.id));
    const keyId = key.result.createApiKey.apiKey.id as string;
    secrets.push(key.result.createApiKey.key, (await prisma.apiKey.findUniqueOrThrow({ where: { id: dbId(keyId) } })).keyHash);
    await once("api_key", "updated", () => ok(t, `mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: keyId }), () => dbId(keyId));

    const endpoint = await once("webhook_endpoint", "created",
      () => ok(t, `mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/audit", description: "audit" }) { secret endpoint { id } } }`),
      (r) => dbId(r.createWebhookEndpoint.endpoint.id));
    const endpointId = endpoint.result.createWebhookEndpoint.endpoint.id as string;
    secrets.push(endpoint.result.createWebhookEndpoint.secret);
    await once("webhook_endpoint", "updated", () => ok(t, `mutation($id: ID!) { updateWebhookEndpoint(input: { id: $id, expectedVersion: 1, description: "audited" }) { endpoint { id } } }`, { id: endpointId }), () => dbId(endpointId));
    const rotated = await once("webhook_endpoint", "updated", () => ok(t, `mutation($id: ID!) { rotateWebhookEndpointSecret(input: { id: $id }) { secret } }`, { id: endpointId }), () => dbId(endpointId), "webhook_endpoint.secret_rotated");
    secrets.push(rotated.result.rotateWebhookEndpointSecret.secret);
    await once("webhook_endpoint", "updated", () => ok(t, `mutation($id: ID!) { disableWebhookEndpoint(input: { id: $id, reason: "audit" }) { endpoint { id } } }`, { id: endpointId }), () => dbId(endpointId), "webhook_endpoint.disabled");
    await once("webhook_endpoint", "updated", () => ok(t, `mutation($id: ID!) { enableWebhookEndpoint(input: { id: $id }) { endpoint { id } } }`, { id: endpointId }), () => dbId(endpointId), "webhook_endpoint.enabled");
    const message = await once("webhook_message", "created",
      () => ok(t, `mutation($id: ID!) { sendTestWebhook(input: { id: $id }) { message { id auditTrail(first: 5) { totalCount edges { node { eventType } } } } } }`, { id: endpointId }),
      (r) => dbId(r.sendTestWebhook.message.id), "webhook.test");
    expect(message.result.sendTestWebhook.message.auditTrail).toEqual({ totalCount: 1, edges: [{ node: { eventType: "webhook.test" } }] });
    const messageId = message.result.sendTestWebhook.message.id as string;
    await once("webhook_message", "updated", () => ok(t, `mutation($m: ID!, $e: ID!) { resendWebhookMessage(input: { messageId: $m, endpointId: $e }) { count } }`, { m: messageId, e: endpointId }), () => dbId(messageId), "webhook_message.resent");

    // each object's trail, newest first; on lists too
    const trail = `auditTrail(first: 10) { totalCount edges { node { eventType entityNodeId } } }`;
    const objects = await ok(t, `query($member: ID!, $endpoint: ID!) {
      member: node(id: $member) { ... on Member { ${trail} user { ${trail} } } }
      endpoint: node(id: $endpoint) { ... on WebhookEndpoint { ${trail} } } }`, { member: memberId, endpoint: endpointId });
    Object.assign(objects, await ok(t, `{ apiKeys(first: 10) { edges { node { id auditTrail(first: 3) { edges { node { eventType } } } } } }
      members(first: 20) { edges { node { id auditTrail(first: 1) { totalCount } } } } }`));
    const types = (c: any) => c.edges.map((e: any) => e.node.eventType);
    expect(types(objects.member.auditTrail)).toEqual(["membership.updated", "membership.created"]);
    expect(objects.member.auditTrail.edges[0].node.entityNodeId).toBe(memberId);
    expect(objects.member.user.auditTrail).toMatchObject({ totalCount: 4, edges: [{ node: { entityNodeId: null } }, {}, {}, {}] });
    expect(types(objects.endpoint.auditTrail)).toEqual(["webhook_endpoint.enabled", "webhook_endpoint.disabled", "webhook_endpoint.secret_rotated", "webhook_endpoint.updated", "webhook_endpoint.created"]);
    expect(types(objects.apiKeys.edges.find((e: any) => e.node.id === keyId).node.auditTrail)).toEqual(["api_key.updated", "api_key.created"]);
    expect(objects.members.edges.find((e: any) => e.node.id === memberId).node.auditTrail.totalCount).toBe(2);
    expect(objects.members.edges.filter((e: any) => e.node.id !== memberId).every((e: any) => e.node.auditTrail.totalCount === 0)).toBe(true);

    await once("webhook_endpoint", "deleted", () => ok(t, `mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) { deletedEndpointId } }`, { id: endpointId }), () => dbId(endpointId));
    await once("membership", "deleted", () => ok(t, `mutation($id: ID!) { removeMember(id: $id) { member { id } } }`, { id: memberId }), () => dbId(memberId));
    const gone = await ok(t, `query($id: String!) { auditEvents(first: 10, filter: { entityId: $id }) { edges { node { action before after } } } }`, { id: memberId });
    expect(gone.auditEvents.edges.map((e: any) => e.node.action)).toEqual(["deleted", "updated", "created"]);

    const [{ text }] = await prisma.$queryRaw<[{ text: string }]>`SELECT string_agg(t::text, ' ') AS text FROM "AuditEvent" t WHERE "entityType" IN ('user', 'membership', 'api_key', 'webhook_endpoint', 'webhook_message')`;
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/passwordHash|keyHash|"secrets"|resetToken|\$argon2/);
  });

  it("stores the request id, client IP and user agent of the request that made the change", async () => {
    const { url } = await t.app.start();
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "audit-req-0001", "user-agent": "audit-test/1.0", ...as(AC) },
      body: JSON.stringify({
        query: CREATE_JOB,
        variables: { input: { builderId, community: "Over HTTP", scheduledDate: "2026-05-02" } },
      }),
    });
    const body = (await res.json()) as { data: { createJob: { job: { id: string } } } };
    const [row] = await auditRows(dbId(body.data.createJob.job.id));
    expect(row).toMatchObject({ requestId: "audit-req-0001", userAgent: "audit-test/1.0" });
    expect(row!.ip).toMatch(/127\.0\.0\.1$/);
  });

  it("rolls the change back when the audit insert fails", async () => {
    const admin = new pg.Client({ connectionString: t.db.url });
    await admin.connect();
    try {
      // a failure injected in the database itself: the audit INSERT of a change mentioning "doomed" raises
      await admin.query(`CREATE FUNCTION audit_fail() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN IF NEW."after"::text ILIKE '%doomed%' THEN RAISE EXCEPTION 'audit insert failed (injected)'; END IF; RETURN NEW; END $$`);
      await admin.query(`CREATE TRIGGER audit_fail BEFORE INSERT ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION audit_fail()`);
      const jobs = await prisma.job.count();
      const audits = await prisma.auditEvent.count();
      const created = await fails(t, CREATE_JOB, { input: { builderId, community: "Doomed Acres", scheduledDate: "2026-05-03" } });
      expect(created.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(await prisma.job.count()).toBe(jobs);
      expect(await prisma.job.count({ where: { community: "Doomed Acres" } })).toBe(0);

      const job = (await ok(t, CREATE_JOB, { input: { builderId, community: "Fine Acres", scheduledDate: "2026-05-03" } })).createJob.job;
      const updated = await fails(t, `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { id } } }`, { input: { id: job.id, expectedVersion: 1, notes: "doomed" } });
      expect(updated.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
      expect(await prisma.job.findUniqueOrThrow({ where: { id: dbId(job.id) } })).toMatchObject({ version: 1, notes: null });
      expect(await prisma.auditEvent.count()).toBe(audits + 1); // only Fine Acres' creation
    } finally {
      await admin.query(`DROP TRIGGER IF EXISTS audit_fail ON "AuditEvent"; DROP FUNCTION IF EXISTS audit_fail()`);
      await admin.end();
    }
  });

  it("never stores secret-named fields, at any depth", async () => {
    const event: DomainEvent = {
      id: crypto.randomUUID(), type: "job.updated", tenantId, entityType: "job", entityId: crypto.randomUUID(), action: "updated",
      occurredAt: new Date(), requestId: "req-secrets", actor: null,
      before: { name: "a", passwordHash: "$argon2id$SECRET-1", nested: { refreshToken: "SECRET-2", list: [{ clientSecret: "SECRET-3", ok: 1 }] } },
      after: { name: "b", apiKey: "SECRET-4", "X-Api-Key": "SECRET-5", tokenHash: "SECRET-6", secrets: ["SECRET-7"], secretary: "kept" },
    };
    await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenantId}, true)`;
      const writes = new SystemWrites();
      await auditHook.run(tx as never, event, { ip: null, userAgent: null } as never, writes);
      await writes.flush(tx);
    });
    const [raw] = await prisma.$queryRaw<{ text: string }[]>`SELECT t::text AS text FROM "AuditEvent" t WHERE id = ${event.id}::uuid`;
    expect(raw!.text).not.toMatch(/SECRET-\d/);
    const row = (await auditRows(event.entityId))[0]!;
    expect(row.before).toEqual({ name: "a", nested: { list: [{ ok: 1 }] } });
    expect(row.after).toEqual({ name: "b", secretary: "kept" });
  });

  it("is read-only for the application role: request statements cannot write, change or delete audit rows", async () => {
    const client = new pg.Client({ connectionString: t.db.url });
    await client.connect();
    try {
      for (const sql of [
        `INSERT INTO "AuditEvent" (id, "tenantId", "actorKind", action, "eventType", "entityType", "entityId") VALUES (gen_random_uuid(), '${tenantId}', 'user', 'x', 'x', 'job', 'x')`,
        `UPDATE "AuditEvent" SET action = 'forged'`,
        `DELETE FROM "AuditEvent"`,
        `SELECT count(*) FROM "AuditEvent_default"`,
      ]) {
        await client.query("BEGIN");
        await client.query(`SELECT set_config('role', 'h2o_app', true), set_config('app.tenant_id', $1, true)`, [tenantId]);
        await expect(client.query(sql)).rejects.toThrow(/permission denied/);
        await client.query("ROLLBACK");
      }
      await client.query("BEGIN");
      await client.query(`SELECT set_config('role', 'h2o_app', true), set_config('app.tenant_id', $1, true)`, [h2oId]);
      const { rows } = await client.query(`SELECT DISTINCT "tenantId"::text AS t FROM "AuditEvent"`);
      await client.query("ROLLBACK");
      expect(rows.map((r) => r.t)).toEqual([h2oId]); // row-level security: its own rows only
    } finally {
      await client.end();
    }
  });

  it("lists auditEvents newest first, with filters, cursors and totalCount, for the acting tenant only", async () => {
    const job = (await ok(t, CREATE_JOB, { input: { builderId, community: "Filter Flats", scheduledDate: "2026-05-04" } })).createJob.job;
    await ok(t, `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { id } } }`, { input: { id: job.id, expectedVersion: 1, notes: "one" } });
    await ok(t, `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id } } }`, { input: { id: job.id, expectedVersion: 2, status: "UNDERGROUND" } });

    const Q = `query($filter: AuditEventFilter, $first: Int, $after: String) { auditEvents(first: $first, after: $after, filter: $filter) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id action eventType entityType entityId entityNodeId changedAt requestId before after changedFields actor { kind id } } } } }`;
    const byGlobal = (await ok(t, Q, { filter: { entityId: job.id } })).auditEvents;
    expect(byGlobal.totalCount).toBe(3);
    expect(byGlobal.edges.map((e: any) => e.node.action)).toEqual(["status_changed", "updated", "created"]);
    expect(byGlobal.edges[0].node).toMatchObject({ entityType: "job", entityId: dbId(job.id), entityNodeId: job.id, changedFields: expect.arrayContaining(["status", "version"]) });
    expect(JSON.parse(byGlobal.edges[1].node.before)).toMatchObject({ notes: null, version: 1 });
    expect(JSON.parse(byGlobal.edges[1].node.after)).toMatchObject({ notes: "one", version: 2 });
    expect(byGlobal.edges[2].node.before).toBeNull();

    const byRaw = (await ok(t, Q, { filter: { entityId: dbId(job.id), action: "updated" } })).auditEvents;
    expect(byRaw.edges.map((e: any) => e.node.id)).toEqual([byGlobal.edges[1].node.id]);

    const page1 = (await ok(t, Q, { filter: { entityId: job.id }, first: 2 })).auditEvents;
    expect(page1.pageInfo.hasNextPage).toBe(true);
    const page2 = (await ok(t, Q, { filter: { entityId: job.id }, first: 2, after: page1.pageInfo.endCursor })).auditEvents;
    expect([...page1.edges, ...page2.edges].map((e: any) => e.node.id)).toEqual(byGlobal.edges.map((e: any) => e.node.id));
    expect(page2.pageInfo.hasNextPage).toBe(false);

    const created = byGlobal.edges[2].node;
    const window = (await ok(t, Q, { filter: { entityId: job.id, from: created.changedAt, to: created.changedAt } })).auditEvents;
    expect(window.edges.map((e: any) => e.node.action)).toEqual(["created"]);
    const later = (await ok(t, Q, { filter: { entityType: "job", from: new Date(Date.now() + 60_000).toISOString() } })).auditEvents;
    expect(later.totalCount).toBe(0);
    const kinds = (await ok(t, Q, { filter: { entityType: "tenant_config" }, first: 100 })).auditEvents;
    expect(kinds.edges.every((e: any) => e.node.entityType === "tenant_config")).toBe(true);
    const actor = byGlobal.edges[0].node.actor;
    expect(actor).toMatchObject({ kind: "user", id: expect.any(String) });
    expect((await ok(t, Q, { filter: { entityId: job.id, actorId: actor.id } })).auditEvents.totalCount).toBe(3);
    expect((await ok(t, Q, { filter: { entityId: job.id, actorId: "00000000-0000-0000-0000-000000000000" } })).auditEvents.totalCount).toBe(0);
    const badRange = await fails(t, Q, { filter: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" } });
    expect(badRange.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["filter", "from"] });

    // the trail on the object itself
    const trail = await ok(t, `query($id: ID!) { node(id: $id) { ... on Job { auditTrail(first: 10) { totalCount edges { node { action } } } } } }`, { id: job.id });
    expect(trail.node.auditTrail.edges.map((e: any) => e.node.action)).toEqual(["status_changed", "updated", "created"]);

    // another tenant sees none of it
    const theirs = (await ok(t, Q, { filter: { entityId: job.id } }, H2O)).auditEvents;
    expect(theirs).toMatchObject({ totalCount: 0, edges: [] });
    const all = (await ok(t, Q, { first: 100 }, H2O)).auditEvents;
    expect(all.edges.length).toBeGreaterThan(0); // its own service-call changes
    const ids = new Set(all.edges.map((e: any) => e.node.entityId));
    expect(await prisma.auditEvent.count({ where: { entityId: { in: [...ids] as string[] }, tenantId: { not: h2oId } } })).toBe(0);
    // only roles with audit:read (owner, admin) may read it
    for (const role of ["dispatcher", "viewer"] as const) {
      const denied = await t.gql(Q, { filter: { entityId: job.id } }, as(AC, role));
      expect(denied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      const trailDenied = await t.gql(`query($id: ID!) { node(id: $id) { ... on Job { community auditTrail(first: 1) { totalCount } } } }`, { id: job.id }, as(AC, role));
      expect(trailDenied.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      expect(trailDenied.data).toMatchObject({ node: { community: "Filter Flats", auditTrail: null } });
    }
    expect((await t.gql(Q, { filter: { entityId: job.id } }, as(AC, "admin"))).data?.auditEvents).toMatchObject({ totalCount: 3 });
    const anonymous = await t.gql(Q, { filter: { entityId: job.id } });
    expect(["UNAUTHENTICATED", "FORBIDDEN"]).toContain(anonymous.errors?.[0]?.extensions?.code);
    expect(anonymous.data?.auditEvents ?? null).toBeNull();
  });

  it("shows a builder's trail only with the acting tenant's own changes", async () => {
    const b = (await ok(t, `mutation($i: CreateBuilderInput!) { createBuilder(input: $i) { builder { id } } }`, { i: { name: "Shared Homes" } })).createBuilder.builder;
    const Q = `query($id: ID!) { node(id: $id) { ... on Builder { auditTrail(first: 5) { totalCount } } } }`;
    expect((await ok(t, Q, { id: b.id })).node.auditTrail.totalCount).toBe(1);
    expect(globalId("Builder", dbId(b.id))).toBe(b.id);
  });
});
