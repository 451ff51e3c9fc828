import { GraphQLObjectType, isObjectType } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Action, rolePermissions, roles } from "../src/auth/permissions.ts";
import type { Prisma } from "../src/db/client.ts";
import { schema } from "../src/schema/index.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, globalId, seedDemo } from "./support/domain.ts";

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
    });
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
