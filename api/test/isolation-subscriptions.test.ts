import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../src/auth/api-keys.ts";
import { apiKeyScopes } from "../src/auth/permissions.ts";
import type { Prisma } from "../src/db/client.ts";
import { schema } from "../src/schema/index.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { seedMarketing } from "./marketing/seed-rows.ts";
import { addDemoUsers, globalId, ok, seedDemo } from "./support/domain.ts";
import { connect, metric, subscribe, waitForEvents, type LiveClient, type Subscription } from "./support/ws.ts";

/**
 * The subscription half of the isolation matrix: a user and an API key of tenant A subscribe to every
 * subscription of the schema (enumerated from it), unfiltered and aimed at other tenants' objects by every ID argument, while the
 * other tenants change those objects. Nothing of theirs arrives; A's own change does (the subscriptions are live).
 */
describe("tenant isolation: subscriptions", () => {
  let t: TestApp;
  let prisma: Prisma;
  let port: number;
  const clients: LiveClient[] = [];
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    await prisma.tenant.create({ data: { slug: "iso_a", name: "Tenant A", config: { create: { jobsEnabled: true, bidsEnabled: true, serviceCallsEnabled: true, marketingEnabled: true } } } });
    await addDemoUsers(prisma, "iso_a");
    ({ port } = await t.app.start());
  });
  afterAll(async () => {
    for (const c of clients) await c.dispose();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("delivers nothing of other tenants to any subscription of the schema", async () => {
    const a = await prisma.tenant.findUniqueOrThrow({ where: { slug: "iso_a" } });
    const key = generateApiKey();
    await prisma.apiKey.create({ data: { tenantId: a.id, name: "A's partner", prefix: key.prefix, keyHash: key.hash, scopes: Object.keys(apiKeyScopes) } });
    const job = await prisma.job.findFirstOrThrow({ where: { tenant: { slug: "all_county" } } });
    const bid = await prisma.bid.findFirstOrThrow({ where: { tenant: { slug: "all_county" } } });
    const call = await prisma.serviceCall.findFirstOrThrow({ where: { tenant: { slug: "h2o" } } });
    const foreign = [globalId("Job", job.id), globalId("Bid", bid.id), globalId("ServiceCall", call.id)];
    const b = await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } });
    await seedMarketing(prisma, b.id);
    const channel = await prisma.channelAccount.findFirstOrThrow({ where: { tenantId: b.id } });
    const foreignPost = await prisma.marketingPost.findFirstOrThrow({ where: { tenantId: b.id, status: "scheduled" } });
    // fields aimed by another argument than `id` (a foreign object's id in each ID argument)
    const builderOfB = globalId("Builder", job.builderId); // builders are shared: the one of the job B changes
    const aimed: Record<string, Record<string, string>> = {
      jobChanged: { builderId: builderOfB },
      bidChanged: { builderId: builderOfB },
      marketingChanged: { channelAccountId: globalId("ChannelAccount", channel.id), postId: globalId("MarketingPost", foreignPost.id) },
    };

    const fields = Object.entries(schema.getSubscriptionType()!.getFields());
    expect(fields.length).toBeGreaterThanOrEqual(5);
    // every ID argument of every subscription is aimed at another tenant's object (a new one fails here until it is)
    for (const [name, field] of fields)
      for (const arg of field.args)
        if (arg.name !== "id" && String(arg.type).replace(/!$/, "") === "ID") expect(aimed[name]?.[arg.name], `${name}(${arg.name})`).toBeDefined();
    const subs: Array<{ label: string; sub: Subscription }> = [];
    for (const [who, client] of [["A's owner", connect(port, "iso_a")], ["A's API key", connect(port, null, { "x-api-key": key.key })]] as const) {
      clients.push(client);
      for (const [name, field] of fields) {
        subs.push({ label: `${who} ${name}`, sub: subscribe(client, `subscription { ${name} { __typename eventId type } }`) });
        if (field.args.some((arg) => arg.name === "id"))
          for (const id of foreign) subs.push({ label: `${who} ${name}(id: ${id})`, sub: subscribe(client, `subscription($id: ID!) { ${name}(id: $id) { __typename eventId type } }`, { id }) });
        for (const [arg, id] of Object.entries(aimed[name] ?? {}))
          subs.push({ label: `${who} ${name}(${arg}: ${id})`, sub: subscribe(client, `subscription($id: ID!) { ${name}(${arg}: $id) { __typename eventId type } }`, { id }) });
      }
    }
    // an id of another kind (a Bid's id to jobChanged) is refused at once: that subscription ends with an error;
    // wait until every other one is running on the server
    const running = () => subs.filter((x) => x.sub.errors.length === 0);
    await expect.poll(async () => (await metric(port, "graphql_ws_operations")) === running().length && subs.every((x) => x.sub.errors.length || !x.sub.completed), { timeout: 20_000, interval: 50 }).toBe(true);
    const live = running();
    for (const { label, sub } of subs.filter((x) => x.sub.errors.length)) expect(JSON.stringify(sub.errors), label).toMatch(/BAD_USER_INPUT|NOT_FOUND|FORBIDDEN/);
    // per principal: every field unfiltered (5), and each kind's field aimed at the other tenant's object of that kind (3)
    expect(live.length).toBeGreaterThanOrEqual(16);

    await ok(t, `mutation($id: ID!) { updateJob(input: { id: $id, expectedVersion: 1, notes: "B's change" }) { job { id } } }`, { id: foreign[0] }, "all_county");
    await ok(t, `mutation($id: ID!) { updateBid(input: { id: $id, expectedVersion: 1, notes: "B's change" }) { bid { id } } }`, { id: foreign[1] }, "all_county");
    await ok(t, `mutation($id: ID!) { updateServiceCall(input: { id: $id, expectedVersion: 1, problem: "B's change" }) { serviceCall { id } } }`, { id: foreign[2] }, "h2o");
    await ok(t, `mutation { createBuilder(input: { name: "B's new builder" }) { builder { id } } }`, undefined, "all_county");
    await ok(t, `mutation($id: ID!) { cancelMarketingPost(input: { id: $id, expectedVersion: 1 }) { marketingPost { id } } }`, { id: globalId("MarketingPost", foreignPost.id) }, "all_county");
    // A's own change, made last: once it has arrived, anything of B's would have arrived too
    await ok(t, `mutation { createBuilder(input: { name: "A's new builder" }) { builder { id } } }`, undefined, "iso_a");

    const control = subs.filter((s) => / (builderChanged|tenantEvents)$/.test(s.label));
    expect(control).toHaveLength(4);
    for (const { sub } of control) await waitForEvents(sub, 1);
    for (const { label, sub } of live) {
      const expected = control.some((c) => c.sub === sub) ? 1 : 0;
      expect(sub.errors, label).toEqual([]);
      expect(sub.events.length, `${label}: ${JSON.stringify(sub.events)}`).toBe(expected);
    }
  }, 60_000);
});
