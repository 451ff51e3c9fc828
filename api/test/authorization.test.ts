import { createHash } from "node:crypto";
import { getNamedType, type GraphQLOutputType, GraphQLObjectType, isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Action, actions, rolePermissions, roles } from "../src/auth/permissions.ts";
import type { Prisma } from "../src/db/client.ts";
import { schema } from "../src/schema/index.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { addDemoUsers, as, globalId, seedDemo } from "./support/domain.ts";
import { call, leafSelection } from "./support/schema-calls.ts";

const getNamedTypeName = (type: GraphQLOutputType) => getNamedType(type).name;

type Options = { authScopes?: unknown; skipTypeScopes?: boolean };
const pothos = (x: { extensions?: unknown }) => ((x.extensions as { pothosOptions?: Options } | undefined)?.pothosOptions ?? {}) as Options;

describe("default deny", () => {
  it("gives every root field an auth rule", () => {
    const missing: string[] = [];
    for (const root of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const [name, field] of Object.entries(root?.getFields() ?? {})) if (!pothos(field).authScopes) missing.push(`${root!.name}.${name}`);
    }
    expect(missing).toEqual([]);
  });

  it("gives every type reachable by node(id) a type-level auth rule", () => {
    const node = schema.getType("Node");
    const missing = Object.values(schema.getTypeMap())
      .filter((t): t is GraphQLObjectType => isObjectType(t) && t.getInterfaces().some((i) => i === node))
      .filter((t) => !pothos(t).authScopes)
      .map((t) => t.name);
    expect(missing).toEqual([]);
  });
});

/** One probe per action: allowed means the answer is not FORBIDDEN (it may be a CONFLICT from a stale version). */
describe("roles do what their row of the permission table says, and nothing else", () => {
  let t: TestApp;
  let prisma: Prisma;
  const probes: Partial<Record<Action, { tenant: string; query: string; variables?: () => Record<string, unknown> }>> = {};
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    const job = await prisma.job.findFirstOrThrow();
    const bid = await prisma.bid.findFirstOrThrow();
    const call = await prisma.serviceCall.findFirstOrThrow();
    const builder = await prisma.builder.findFirstOrThrow();
    const viewer = await prisma.membership.findFirstOrThrow({ where: { role: "viewer", tenant: { slug: "all_county" } } });
    Object.assign(probes, {
      "tenant:read": { tenant: "all_county", query: `{ tenant { slug } }` },
      "tenant:configure": { tenant: "all_county", query: `mutation { updateTenantConfig(input: { expectedVersion: 999999 }) { tenantConfig { version } } }` },
      "builder:read": { tenant: "all_county", query: `{ builders(first: 1) { totalCount } }` },
      "builder:write": { tenant: "all_county", query: `mutation($id: ID!) { updateBuilder(input: { id: $id, expectedVersion: 999999, notes: "x" }) { builder { id } } }`, variables: () => ({ id: globalId("Builder", builder.id) }) },
      "job:read": { tenant: "all_county", query: `{ jobs(first: 1) { totalCount } }` },
      "job:write": { tenant: "all_county", query: `mutation($id: ID!) { updateJob(input: { id: $id, expectedVersion: 999999, notes: "x" }) { job { id } } }`, variables: () => ({ id: globalId("Job", job.id) }) },
      "bid:read": { tenant: "all_county", query: `{ bids(first: 1) { totalCount } }` },
      "bid:write": { tenant: "all_county", query: `mutation($id: ID!) { updateBid(input: { id: $id, expectedVersion: 999999, notes: "x" }) { bid { id } } }`, variables: () => ({ id: globalId("Bid", bid.id) }) },
      "serviceCall:read": { tenant: "h2o", query: `{ serviceCalls(first: 1) { totalCount } }` },
      "serviceCall:write": { tenant: "h2o", query: `mutation($id: ID!) { updateServiceCall(input: { id: $id, expectedVersion: 999999, problem: "x" }) { serviceCall { id } } }`, variables: () => ({ id: globalId("ServiceCall", call.id) }) },
      "user:read": { tenant: "all_county", query: `{ members(first: 1) { totalCount } }` },
      "user:manage": { tenant: "all_county", query: `mutation($id: ID!) { changeMemberRole(id: $id, role: viewer, expectedVersion: 999999) { member { id } } }`, variables: () => ({ id: globalId("Member", viewer.id) }) },
      "apiKey:manage": { tenant: "all_county", query: `{ apiKeys(first: 1) { totalCount } }` },
      "marketing:read": { tenant: "all_county", query: `{ channelAccounts(first: 1) { totalCount } }` },
      "marketing:write": { tenant: "all_county", query: `mutation($id: ID!) { cancelMarketingPost(input: { id: $id, expectedVersion: 999999 }) { marketingPost { id } } }`, variables: () => ({ id: globalId("MarketingPost", "00000000-0000-4000-8000-000000000000") }) },
      "webhook:manage": { tenant: "all_county", query: `{ webhookEndpoints(first: 1) { totalCount } }` },
      "audit:read": { tenant: "all_county", query: `{ auditEvents(first: 1) { totalCount } }` },
    });
    expect(Object.keys(probes).sort()).toEqual([...actions].sort()); // every action of the table is probed
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  for (const role of roles) {
    it(role, async () => {
      const outcomes: Record<string, string> = {};
      const expected: Record<string, string> = {};
      for (const [action, probe] of Object.entries(probes) as Array<[Action, NonNullable<(typeof probes)[Action]>]>) {
        const res = await t.gql(probe.query, probe.variables?.(), as(probe.tenant, role));
        // a probe must reach authorization: a malformed probe (GraphQL validation error) would prove nothing
        expect(res.errors?.filter((e) => e.extensions?.code === "GRAPHQL_VALIDATION_FAILED") ?? [], action).toEqual([]);
        outcomes[action] = res.errors?.some((e) => e.extensions?.code === "FORBIDDEN") ? "denied" : "allowed";
        expected[action] = rolePermissions[role].has(action) ? "allowed" : "denied";
      }
      expect(outcomes).toEqual(expected);
    });
  }
});

/**
 * "A marketer can do marketing and nothing else", generated from the schema: every query and mutation that needs a
 * permission is called as a marketer of a tenant with every capability (IDs aimed at a row that does not exist);
 * exactly those whose permission the marketer holds get past authorization. Among mutations that is marketing and
 * nothing else; reads are every role's. Nothing of the tenant changes but what the marketing mutations could.
 */
describe("a marketer can do marketing and nothing else", () => {
  let t: TestApp;
  let prisma: Prisma;
  /**
   * Calls a root field as a marketer with its IDs aimed at a row that does not exist; an ID of the wrong type is
   * refused before authorization ("is not of type: Builder"), so the call is made again with that type.
   */
  const probe = async (kind: "query" | "mutation", name: string, field: Parameters<typeof call>[2], selection: string) => {
    // each ID argument or input field gets its own missing row (a distinct UUID), typed Job until the API names its type
    const types: Record<string, string> = {};
    const idFor = (arg: string) => globalId(types[arg] ?? "Job", `00000000-0000-4000-8000-${createHash("sha256").update(arg).digest("hex").slice(0, 12)}`);
    for (let tries = 0; ; tries++) {
      const { query, variables } = call(kind, name, field, idFor, selection);
      const res = await t.gql(query, variables, as("everything", "marketer"));
      expect(res.errors?.filter((e) => e.extensions?.code === "RATE_LIMITED") ?? [], name).toEqual([]);
      const wrong = res.errors?.map((e) => /^ID: (\S+) is not of type: (\w+)/.exec(e.message)).find(Boolean);
      const arg = wrong && [...JSON.stringify(variables).matchAll(/"(\w+)":\[?"([^"]+)"/g)].find((m) => m[2] === wrong[1])?.[1];
      if (!wrong || !arg || tries === 5) return res;
      types[arg] = wrong[2]!;
    }
  };
  const actionOf = (field: { extensions?: unknown }): Action | null => {
    const scopes = pothos(field).authScopes as { can?: Action; $all?: { can?: Action } } | undefined;
    return scopes?.can ?? scopes?.$all?.can ?? null;
  };
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    await prisma.tenant.create({ data: { slug: "everything", name: "Every capability", config: { create: { jobsEnabled: true, bidsEnabled: true, serviceCallsEnabled: true, marketingEnabled: true } } } });
    await addDemoUsers(prisma, "everything");
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  it("every mutation needing a permission: only the marketing ones get past authorization", async () => {
    const allowed: string[] = [];
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [name, field] of Object.entries(schema.getMutationType()!.getFields())) {
      const action = actionOf(field);
      if (!action) continue; // public or self-service (login, logout, changePassword)
      const res = await probe("mutation", name, field, leafSelection(field.type).replace(/\{ __typename.*\}/, "{ __typename }"));
      expect(res.errors?.filter((e) => e.extensions?.code === "GRAPHQL_VALIDATION_FAILED") ?? [], name).toEqual([]);
      outcomes[name] = res.errors?.some((e) => e.extensions?.code === "FORBIDDEN") ? "denied" : "allowed";
      expected[name] = rolePermissions.marketer.has(action) ? "allowed" : "denied";
      if (outcomes[name] === "allowed") allowed.push(name);
    }
    expect(outcomes).toEqual(expected);
    expect(allowed.sort()).toEqual([
      "cancelMarketingPost", "completeChannelConnect", "createMarketingPost", "disconnectChannelAccount", "retryMarketingPostChannel", "startChannelConnect", "updateMarketingPost",
    ]);
    expect(Object.keys(outcomes).length).toBeGreaterThan(40);
  });

  it("every query needing a permission: marketing and the reads every role has, nothing an admin's (users' management, API keys, webhooks, audit, the job view)", async () => {
    const outcomes: Record<string, string> = {};
    const expected: Record<string, string> = {};
    for (const [name, field] of Object.entries(schema.getQueryType()!.getFields())) {
      const action = actionOf(field);
      if (!action) continue;
      const selection = getNamedTypeName(field.type).endsWith("Connection") ? "{ totalCount }" : leafSelection(field.type);
      const res = await probe("query", name, field, selection);
      expect(res.errors?.filter((e) => e.extensions?.code === "GRAPHQL_VALIDATION_FAILED") ?? [], name).toEqual([]);
      outcomes[name] = res.errors?.some((e) => e.extensions?.code === "FORBIDDEN") ? "denied" : "allowed";
      expected[name] = rolePermissions.marketer.has(action) ? "allowed" : "denied";
    }
    expect(outcomes).toEqual(expected);
    for (const name of ["apiKeys", "webhookEndpoints", "auditEvents", "workerJobs"]) expect(outcomes[name], name).toBe("denied");
    for (const name of ["channelAccounts", "marketingPosts", "channelConnectAttempt", "marketingTextLimits"]) expect(outcomes[name], name).toBe("allowed");
  });

  it("the permission table: a marketer's only write is marketing", () => {
    const writes = [...rolePermissions.marketer].filter((a) => !a.endsWith(":read"));
    expect(writes).toEqual(["marketing:write"]);
  });
});
