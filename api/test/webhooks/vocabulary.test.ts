import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../src/db/client.ts";
import { startWorker, type WorkerHandle } from "../../src/jobs/runner.ts";
import { createLogger } from "../../src/logger.ts";
import { repoRoot } from "../../src/env.ts";
import { CATALOG_FILE, CATALOG_PATH } from "../../src/webhooks/asyncapi.ts";
import { detailedCatalog, type DetailedCatalogEntry } from "../../src/webhooks/catalog-schemas.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { as, CREATE_JOB, ok, seedDemo } from "../support/domain.ts";
import { webhookReceivers, type WebhookReceiver } from "../support/webhook-receiver.ts";
import { createEndpoint, firstBuilderId, MARKETING_ENTITY_TYPES } from "./flow.ts";
import { verifyWithBoth } from "./helpers.ts";

type Json = Record<string, any>;

/**
 * For every event type of the catalog: make the change through GraphQL, read the entity with `node(id:)` and the
 * catalog's selection right after it, then receive the delivery on a real endpoint, verify it with svix and
 * standardwebhooks, validate it against the published JSON Schema, and compare `data.object` with what was read.
 */
describe("webhook payloads speak the API's vocabulary, for every event type of the catalog", () => {
  let t: TestApp;
  let prisma: Prisma;
  let worker: WorkerHandle;
  let receiver: WebhookReceiver;
  let secret: string;
  let catalog: Map<string, DetailedCatalogEntry>;
  const validators = new Map<string, ValidateFunction>();
  const covered = new Set<string>();
  const receivers = webhookReceivers();
  let seen = 0;

  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    worker = await startWorker(t.env, t.db.url, createLogger("silent"), 4);
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    catalog = new Map((await detailedCatalog()).map((e) => [e.name, e]));
    for (const e of catalog.values()) validators.set(e.name, ajv.compile(e.schema));
    receiver = await receivers.start();
    secret = (await createEndpoint(t, { url: receiver.url("/all"), description: "everything" })).secret;
  });
  afterAll(async () => {
    await worker?.stop();
    await receivers.closeAll();
    await prisma?.$disconnect();
    await t?.close();
  });

  const selectionOf = (type: string) => catalog.get(type)!.selection!;
  const read = async (id: string, graphqlType: string): Promise<Json | null> =>
    (await ok(t, `query($id: ID!) { node(id: $id) { ... on ${graphqlType} { ${selectionOf(eventFor(graphqlType))} } } }`, { id })).node;
  const eventFor = (graphqlType: string) => [...catalog.values()].find((e) => e.graphqlType === graphqlType)!.name;

  const expected: Array<{ types: string[]; object: Json | null }> = [];
  /** Records that the next deliveries are of these types (in this order of changes), each with `data.object` = `object`. */
  function expectDelivered(types: string[], object: Json | null) {
    expected.push({ types, object });
  }

  /** Waits for every expected delivery, then checks them in order: signature, schema, and `data.object`. */
  async function checkDeliveries() {
    const own = (r: { body: string }) => JSON.parse(r.body).type === "webhook_endpoint.created" && JSON.parse(r.body).data.object.url === receiver.url("/all");
    const total = expected.reduce((n, e) => n + e.types.length, 0);
    await expect.poll(() => receiver.requests.slice(seen).filter((r) => !own(r)).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(total);
    const arrived = receiver.requests.slice(seen).filter((r) => !own(r));
    for (const e of expected.splice(0)) {
      const batch = arrived.splice(0, e.types.length);
      // the types one change is sent as (`job.status_changed` and `job.completed`) have no order among themselves
      expect(batch.map((r) => JSON.parse(r.body).type).sort()).toEqual([...e.types].sort());
      for (const r of batch) {
        const verified = verifyWithBoth(r, secret) as Json;
        const validate = validators.get(verified.type)!;
        expect(validate(verified), `${verified.type}: ${JSON.stringify(validate.errors)}`).toBe(true);
        expect(verified.version).toBe(2);
        if (e.object) expect(verified.data.object, verified.type).toEqual(e.object);
        covered.add(verified.type);
      }
    }
    seen = receiver.requests.length - arrived.length;
  }

  async function change(types: string[], mutation: string, input: Json, key: string, graphqlType: string): Promise<Json> {
    const data = await ok(t, `mutation($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { ${key} { id } } }`, { input });
    const id = data[mutation][key].id as string;
    const now = (await read(id, graphqlType))!;
    expectDelivered(types, now);
    return now;
  }

  it("jobs, bids, service calls, builders, the tenant configuration, endpoints and the test event", async () => {
    const builderId = await firstBuilderId(t);
    const config = (await ok(t, `{ tenant { config { version } } }`)).tenant.config;
    const cfgSel = selectionOf("tenant_config.updated");
    await ok(t, `mutation($input: UpdateTenantConfigInput!) { updateTenantConfig(input: $input) { tenantConfig { version } } }`, {
      input: { expectedVersion: config.version, capabilities: { serviceCalls: true } },
    });
    expectDelivered(["tenant_config.updated"], (await ok(t, `{ tenant { config { ${cfgSel} } } }`)).tenant.config);

    const job = await change(["job.created"], "createJob", { builderId, community: "Vocabulary", scheduledDate: "2026-12-10" }, "job", "Job");
    expect(job).toMatchObject({ status: "SCHEDULED", scheduledDate: "2026-12-10", builder: { id: builderId } });
    let v = job.version as number;
    await change(["job.updated"], "updateJob", { id: job.id, expectedVersion: v++, lot: "7" }, "job", "Job");
    for (const status of ["UNDERGROUND", "ROUGH_IN", "TOP_OUT", "TRIM", "FINAL"]) await change(["job.status_changed"], "changeJobStatus", { id: job.id, expectedVersion: v++, status }, "job", "Job");
    await change(["job.status_changed", "job.completed"], "changeJobStatus", { id: job.id, expectedVersion: v++, status: "COMPLETE" }, "job", "Job");
    await change(["job.archived"], "archiveJob", { id: job.id, expectedVersion: v++ }, "job", "Job");

    const bidInput = { builderId, project: "Vocabulary bid", dueDate: "2026-12-20", lineItems: [{ description: "Rough-in", quantity: 2, unitPriceCents: 1000 }] };
    for (const outcome of ["WON", "LOST"]) {
      const bid = await change(["bid.created"], "createBid", bidInput, "bid", "Bid");
      let bv = bid.version as number;
      await change(["bid.updated"], "updateBid", { id: bid.id, expectedVersion: bv++, notes: "n" }, "bid", "Bid");
      await change(["bid.status_changed", "bid.submitted"], "changeBidStatus", { id: bid.id, expectedVersion: bv++, status: "SUBMITTED" }, "bid", "Bid");
      await change(["bid.status_changed", `bid.${outcome.toLowerCase()}`], "changeBidStatus", { id: bid.id, expectedVersion: bv++, status: outcome }, "bid", "Bid");
      await change(["bid.archived"], "archiveBid", { id: bid.id, expectedVersion: bv++ }, "bid", "Bid");
    }

    const call = await change(["service_call.created"], "createServiceCall", { customerName: "Pat", customerPhone: "+15125550100", addressLine1: "1 Elm", problem: "Leak", priority: "URGENT", assignedTechnician: "Sam", resolutionNotes: "Fixed" }, "serviceCall", "ServiceCall");
    let cv = call.version as number;
    await change(["service_call.updated"], "updateServiceCall", { id: call.id, expectedVersion: cv++, city: "Austin" }, "serviceCall", "ServiceCall");
    await change(["service_call.status_changed", "service_call.dispatched"], "changeServiceCallStatus", { id: call.id, expectedVersion: cv++, status: "DISPATCHED" }, "serviceCall", "ServiceCall");
    await change(["service_call.status_changed"], "changeServiceCallStatus", { id: call.id, expectedVersion: cv++, status: "IN_PROGRESS" }, "serviceCall", "ServiceCall");
    await change(["service_call.status_changed", "service_call.completed"], "changeServiceCallStatus", { id: call.id, expectedVersion: cv++, status: "COMPLETED" }, "serviceCall", "ServiceCall");
    await change(["service_call.archived"], "archiveServiceCall", { id: call.id, expectedVersion: cv++ }, "serviceCall", "ServiceCall");

    const b = await change(["builder.created"], "createBuilder", { name: "Vocabulary Homes" }, "builder", "Builder");
    await change(["builder.updated"], "updateBuilder", { id: b.id, expectedVersion: b.version, city: "Austin" }, "builder", "Builder");
    await change(["builder.archived"], "archiveBuilder", { id: b.id, expectedVersion: (b.version as number) + 1 }, "builder", "Builder");

    const other = await receivers.start();
    const ep = await createEndpoint(t, { url: other.url("/x"), filterTypes: ["job.*"] });
    expectDelivered(["webhook_endpoint.created"], await read(ep.id, "WebhookEndpoint"));
    const epSel = `endpoint { id }`;
    const endpointChange = async (type: string, mutation: string, input: Json, inputType = `${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input`) => {
      await ok(t, `mutation($input: ${inputType}!) { ${mutation}(input: $input) { ${epSel} } }`, { input });
      expectDelivered([type], await read(ep.id, "WebhookEndpoint"));
    };
    await endpointChange("webhook_endpoint.updated", "updateWebhookEndpoint", { id: ep.id, expectedVersion: 1, description: "jobs only" });
    await endpointChange("webhook_endpoint.disabled", "disableWebhookEndpoint", { id: ep.id, reason: "maintenance" });
    await endpointChange("webhook_endpoint.enabled", "enableWebhookEndpoint", { id: ep.id }, "WebhookEndpointInput");
    await ok(t, `mutation($input: WebhookEndpointInput!) { rotateWebhookEndpointSecret(input: $input) { secret } }`, { input: { id: ep.id } });
    expectDelivered(["webhook_endpoint.secret_rotated"], await read(ep.id, "WebhookEndpoint"));
    const beforeDelete = await read(ep.id, "WebhookEndpoint");
    await ok(t, `mutation($input: WebhookEndpointInput!) { deleteWebhookEndpoint(input: $input) { deletedEndpointId } }`, { input: { id: ep.id } });
    expect(await read(ep.id, "WebhookEndpoint")).toBeNull();
    expectDelivered(["webhook_endpoint.deleted"], beforeDelete);

    const endpoints = (await ok(t, `{ webhookEndpoints(first: 5) { edges { node { id url } } } }`)).webhookEndpoints.edges;
    const mine = endpoints.find((e: Json) => e.node.url === receiver.url("/all")).node.id;
    await ok(t, `mutation($input: WebhookEndpointInput!) { sendTestWebhook(input: $input) { message { id } } }`, { input: { id: mine } });
    expectDelivered(["webhook.test"], { endpoint: { id: mine }, message: expect.any(String) });

    await checkDeliveries();
    // the catalog drives the check: a type without a case above fails it. The marketing module's kinds (its worker
    // against the platforms' stand-ins) have theirs in vocabulary-marketing.test.ts
    expect([...covered].sort()).toEqual([...catalog.values()].filter((e) => !MARKETING_ENTITY_TYPES.includes(e.entityType ?? "")).map((e) => e.name).sort());
  }, 90_000);

  it("filters endpoints with the subscriptions' patterns, validated against the catalog", async () => {
    const jobs = await receivers.start();
    await createEndpoint(t, { url: jobs.url("/jobs"), filterTypes: ["job.*", "bid.won"] });
    for (const bad of [["jobs.*"], ["nope"], ["webhook.test"], ["job.*.x"]]) {
      const res = await t.gql(`mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`, { input: { url: jobs.url("/bad"), filterTypes: bad } }, as("all_county"));
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "filterTypes"] });
    }
    const builderId = await firstBuilderId(t);
    const job = (await ok(t, CREATE_JOB, { input: { builderId, community: "Filtered", scheduledDate: "2026-12-11" } })).createJob.job;
    await ok(t, `mutation($input: CreateBidInput!) { createBid(input: $input) { bid { id } } }`, { input: { builderId, project: "Filtered", dueDate: "2026-12-20" } });
    await ok(t, `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id } } }`, { input: { id: job.id, expectedVersion: 1, status: "UNDERGROUND" } });
    await jobs.waitForRequests(2, 15_000);
    expectDelivered(["webhook_endpoint.created"], null);
    expectDelivered(["job.created"], null);
    expectDelivered(["bid.created"], null);
    expectDelivered(["job.status_changed"], null);
    await checkDeliveries(); // the unfiltered endpoint has had everything by now
    expect(jobs.requests.map((r) => JSON.parse(r.body).type)).toEqual(["job.created", "job.status_changed"]);
  });

  it("serves the committed catalog document at /webhooks/catalog.json", async () => {
    const { url } = await t.app.start();
    const res = await fetch(url.replace("/graphql", CATALOG_PATH));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(await res.text()).toBe(readFileSync(path.join(repoRoot, CATALOG_FILE), "utf8"));
    expect((await fetch(url.replace("/graphql", CATALOG_PATH), { method: "POST" })).status).toBe(405);
  });
});
