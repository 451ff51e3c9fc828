import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../src/db/client.ts";
import { AppError, ErrorCode } from "../src/errors.ts";
import { testHooks } from "./support/hooks.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, CREATE_JOB, ok, seedDemo } from "./support/domain.ts";
import { connect, metric, subscribe, waitForEvents, waitForOperations, type LiveClient } from "./support/ws.ts";
const UPDATE_JOB = `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { id version updatedAt } } }`;
const JOB_STATUS = `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id version updatedAt } } }`;
const CREATE_CALL = `mutation($input: CreateServiceCallInput!) { createServiceCall(input: $input) { serviceCall { id } } }`;

describe("subscriptions over graphql-ws", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  let builderId: string;
  let builderName: string;
  const clients: LiveClient[] = [];
  const unregister: Array<() => void> = [];
  const hooks = testHooks();
  const open = (tenant: string | null, params?: Record<string, unknown>) => {
    const c = connect(port, tenant, params);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    t = await startTestApp({}, { hooks: hooks.list });
    prisma = await seedDemo(t);
    ({ port } = await t.app.start());
    const b = (await ok(t, `{ builders(first: 1) { edges { node { id name } } } }`)).builders.edges[0].node;
    [builderId, builderName] = [b.id, b.name];
  });
  afterEach(async () => {
    unregister.splice(0).forEach((u) => u());
    await Promise.all(clients.splice(0).map((c) => c.dispose()));
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const createJob = (input: Record<string, unknown> = {}) =>
    ok(t, CREATE_JOB, { input: { builderId, community: "Live Oaks", scheduledDate: "2026-05-01", ...input } }).then((d) => d.createJob.job);

  it("delivers a tenant's change to its subscriber with exactly the selected fields, and nothing to another tenant", async () => {
    const a = subscribe(open("all_county"), `subscription { jobChanged { eventId type occurredAt actor { kind } job { id status community builder { name } } } }`);
    const scalarsOnly = subscribe(open("all_county"), `subscription { jobChanged { type job { status version } } }`);
    const b = subscribe(open("h2o"), `subscription { tenantEvents { type entityType node { id } } }`);
    await waitForOperations(port, 3);

    const job = await createJob({ community: "Selected Fields" });
    await ok(t, JOB_STATUS, { input: { id: job.id, expectedVersion: 1, status: "UNDERGROUND" } });
    await waitForEvents(a, 2);
    expect(a.events.map((e) => e.jobChanged.type)).toEqual(["job.created", "job.status_changed"]);
    const [created, moved] = a.events.map((e) => e.jobChanged);
    expect(Object.keys(created).sort()).toEqual(["actor", "eventId", "job", "occurredAt", "type"]);
    expect(created.job).toEqual({ id: job.id, status: "SCHEDULED", community: "Selected Fields", builder: { name: builderName } });
    expect(moved.job).toEqual({ id: job.id, status: "UNDERGROUND", community: "Selected Fields", builder: { name: builderName } });
    expect(created.eventId).not.toBe(moved.eventId);
    expect(Date.parse(moved.occurredAt)).toBeGreaterThanOrEqual(Date.parse(created.occurredAt));
    await waitForEvents(scalarsOnly, 2);
    expect(scalarsOnly.events.map((e) => e.jobChanged)).toEqual([
      { type: "job.created", job: { status: "SCHEDULED", version: 1 } },
      { type: "job.status_changed", job: { status: "UNDERGROUND", version: 2 } },
    ]);

    // tenant B's subscription is live (its own change arrives), and it never saw tenant A's
    const call = await ok(t, CREATE_CALL, { input: { customerName: "Pat Doe", customerPhone: "3055550100", addressLine1: "1 Main St", problem: "Leak" } }, "h2o");
    await waitForEvents(b, 1);
    expect(b.events).toEqual([{ tenantEvents: { type: "service_call.created", entityType: "service_call", node: { id: call.createServiceCall.serviceCall.id } } }]);
  });

  it("answers FORBIDDEN to a subscription the tenant's capabilities do not allow, like the query would", async () => {
    const b = subscribe(open("h2o"), `subscription { jobChanged { job { id } } }`);
    await expect.poll(() => b.errors.length).toBe(1);
    expect(b.errors[0]).toMatchObject({ extensions: { code: "FORBIDDEN" } });
  });

  it("publishes nothing for a rolled-back mutation", async () => {
    unregister.push(
      hooks.add({
        name: "fails for one community",
        async run(_tx, event) {
          if ((event.after as { community?: string } | null)?.community === "Rolled Back") throw new AppError(ErrorCode.CONFLICT, "refused by a hook");
        },
      }),
    );
    const a = subscribe(open("all_county"), `subscription { jobChanged { type job { community } } }`);
    const all = subscribe(open("all_county"), `subscription { tenantEvents { type } }`);
    await waitForOperations(port, 2);
    const res = await t.gql(CREATE_JOB, { input: { builderId, community: "Rolled Back", scheduledDate: "2026-05-01" } }, as("all_county"));
    expect(res.errors?.[0]?.message).toBeDefined();
    expect(await prisma.job.count({ where: { community: "Rolled Back" } })).toBe(0);
    await createJob({ community: "Committed" }); // published after the rolled-back one would have been
    await waitForEvents(a, 1);
    await waitForEvents(all, 1);
    expect(a.events).toEqual([{ jobChanged: { type: "job.created", job: { community: "Committed" } } }]);
  });

  it("ends a subscription when its client goes away, with no event since: nothing stays listening", async () => {
    await expect.poll(() => metric(port, "graphql_ws_operations"), { timeout: 10_000 }).toBe(0);
    const live = open("all_county");
    subscribe(live, `subscription { jobChanged { eventId } }`);
    subscribe(live, `subscription { tenantEvents { eventId } }`);
    await waitForOperations(port, 2);
    await live.dispose();
    await expect.poll(() => metric(port, "graphql_ws_operations"), { timeout: 5_000 }).toBe(0);
  });

  it("points tenantEvents at the changed object for every kind that is a node, identity and webhooks included", async () => {
    // the previous test's sockets close asynchronously: wait until the server counts none, then for this one
    await expect.poll(() => metric(port, "graphql_ws_operations"), { timeout: 10_000 }).toBe(0);
    const all = subscribe(open("all_county"), `subscription { tenantEvents(types: ["api_key.*", "webhook_endpoint.*"]) { type node { id __typename } } }`);
    await waitForOperations(port, 1);
    const key = (await ok(t, `mutation { createApiKey(input: { name: "node", scopes: ["read:jobs"] }) { apiKey { id } } }`)).createApiKey.apiKey;
    const endpoint = (await ok(t, `mutation { createWebhookEndpoint(input: { url: "http://127.0.0.1:9/hooks" }) { endpoint { id } } }`)).createWebhookEndpoint.endpoint;
    await waitForEvents(all, 2);
    expect(all.events).toEqual([
      { tenantEvents: { type: "api_key.created", node: { id: key.id, __typename: "ApiKey" } } },
      { tenantEvents: { type: "webhook_endpoint.created", node: { id: endpoint.id, __typename: "WebhookEndpoint" } } },
    ]);
  });

  it("filters by id, status (entering or leaving), crew and event type", async () => {
    const job = await createJob({ community: "Filtered", assignedCrew: "Crew F" });
    const other = await createJob({ community: "Other" });
    const live = open("all_county");
    const everything = subscribe(live, `subscription { jobChanged { type job { id } } }`);
    const byId = subscribe(live, `subscription($id: ID!) { jobChanged(id: $id) { job { id } } }`, { id: job.id });
    const underground = subscribe(live, `subscription { jobChanged(status: [UNDERGROUND]) { type job { id status } } }`);
    const crew = subscribe(live, `subscription { jobChanged(assignedCrew: "Crew F") { job { id } } }`);
    const updates = subscribe(live, `subscription { jobChanged(types: ["job.updated"]) { type } }`);
    const wildcard = subscribe(open("all_county"), `subscription { tenantEvents(types: ["job.*"]) { type } }`);
    await waitForOperations(port, 6);

    await ok(t, JOB_STATUS, { input: { id: job.id, expectedVersion: 1, status: "UNDERGROUND" } }); // enters UNDERGROUND
    await ok(t, UPDATE_JOB, { input: { id: other.id, expectedVersion: 1, notes: "n" } });
    await ok(t, JOB_STATUS, { input: { id: job.id, expectedVersion: 2, status: "ROUGH_IN" } }); // leaves it
    await ok(t, JOB_STATUS, { input: { id: other.id, expectedVersion: 2, status: "ON_HOLD" } });
    await waitForEvents(everything, 4);
    await waitForEvents(wildcard, 4);

    expect(byId.events.map((e) => e.jobChanged.job.id)).toEqual([job.id, job.id]);
    expect(underground.events.map((e) => e.jobChanged.job.status)).toEqual(["UNDERGROUND", "ROUGH_IN"]);
    expect(crew.events.map((e) => e.jobChanged.job.id)).toEqual([job.id, job.id]);
    expect(updates.events).toEqual([{ jobChanged: { type: "job.updated" } }]);
  });

  it("lets a client that was disconnected catch up with updatedAfter", async () => {
    const first = open("all_county");
    const sub = subscribe(first, `subscription { jobChanged { job { id updatedAt } } }`);
    await waitForOperations(port, 1);
    const seen = await createJob({ community: "Before The Drop" });
    await waitForEvents(sub, 1);
    const cursor = sub.events[0].jobChanged.job.updatedAt;
    await first.dispose();

    const missed = await createJob({ community: "During The Drop" });
    const changed = (await ok(t, UPDATE_JOB, { input: { id: seen.id, expectedVersion: 1, notes: "while away" } })).updateJob.job;

    const again = subscribe(open("all_county"), `subscription { jobChanged { job { id } } }`);
    const caughtUp = await ok(t, `query($after: DateTime!) { jobs(first: 100, filter: { updatedAfter: $after, includeArchived: true }) { edges { node { id } } } }`, {
      after: cursor,
    });
    expect(caughtUp.jobs.edges.map((e: any) => e.node.id).sort()).toEqual([missed.id, changed.id].sort());
    expect(again.events).toEqual([]);
  });

  it("refuses a connection without credentials (4403 Forbidden) or with refused ones (4401 Unauthorized)", async () => {
    expect(await open(null).closed).toMatchObject({ code: 4403 });
    expect(await open(null, { authorization: "Bearer not-a-token" }).closed).toEqual({ code: 4401, reason: "invalid, expired or revoked API key" });
  });
});
