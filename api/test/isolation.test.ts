import { getNamedType, GraphQLInputObjectType, type GraphQLField, type GraphQLInputType, isNonNullType, isObjectType } from "graphql";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../src/auth/api-keys.ts";
import { apiKeyScopes } from "../src/auth/permissions.ts";
import type { Prisma } from "../src/db/client.ts";
import { schema } from "../src/schema/index.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { addDemoUsers, as, globalId, seedDemo } from "./support/domain.ts";
import { seedMarketing } from "./marketing/seed-rows.ts";
import { call, leafSelection } from "./support/schema-calls.ts";

/**
 * The isolation matrix: a user and an API key of tenant A try every query and mutation of the schema (enumerated
 * from the schema itself, so new fields are covered) against the objects of the other tenants, by global ID, by
 * listing and through relations. Every attempt is denied or finds nothing, and the other tenants' rows (every
 * table with a tenantId column) are byte-for-byte unchanged. Run twice: with the tenant-scoped client's filters,
 * and with row-level security alone.
 */
describe.each([
  { mode: "tenant-scoped client and row-level security", filter: "true" },
  { mode: "row-level security alone", filter: "false" },
])("tenant isolation: $mode", ({ filter }) => {
  let t: TestApp;
  let prisma: Prisma;
  let foreignIds: string[] = [];
  let rawForeignIds: string[] = [];
  /** Every ID a caller could aim at another tenant's object with: the global IDs, the raw ids of objects that are not nodes (a connect attempt), a worker job's id. */
  let targets: string[] = [];
  let foreignJobId = "";
  let jobSnapshot: () => Promise<string>;
  let principals: Record<string, Record<string, string>> = {};
  let fingerprint: () => Promise<string>;
  let client: pg.Client | undefined;

  beforeAll(async () => {
    t = await startTestApp({ TENANCY_FILTER: filter });
    prisma = await seedDemo(t);
    await prisma.tenant.create({ data: { slug: "iso_a", name: "Tenant A", config: { create: { jobsEnabled: true, bidsEnabled: true, serviceCallsEnabled: true, marketingEnabled: true } } } });
    await addDemoUsers(prisma, "iso_a");
    const a = await prisma.tenant.findUniqueOrThrow({ where: { slug: "iso_a" } });
    const key = generateApiKey();
    await prisma.apiKey.create({ data: { tenantId: a.id, name: "A's partner", prefix: key.prefix, keyHash: key.hash, scopes: Object.keys(apiKeyScopes) } });
    const foreignKey = generateApiKey();
    const others = await prisma.tenant.findMany({ where: { slug: { in: ["all_county", "h2o"] } } });
    await prisma.apiKey.create({ data: { tenantId: others[0]!.id, name: "B's partner", prefix: foreignKey.prefix, keyHash: foreignKey.hash, scopes: ["read:jobs"] } });
    principals = { "A's owner": as("iso_a"), "A's API key": { "x-api-key": key.key } };

    await seedMarketing(prisma, others[0]!.id);
    const ids = (rows: Array<{ id: string }>, type: string) => rows.map((r) => [r.id, globalId(type, r.id)] as const);
    const where = { tenantId: { in: others.map((o) => o.id) } };
    const pairs = [
      ...ids(await prisma.job.findMany({ where, take: 1 }), "Job"),
      ...ids(await prisma.bid.findMany({ where, take: 1 }), "Bid"),
      ...ids(await prisma.serviceCall.findMany({ where, take: 1 }), "ServiceCall"),
      ...ids(await prisma.membership.findMany({ where, take: 1 }), "Member"),
      ...ids(await prisma.apiKey.findMany({ where }), "ApiKey"),
      ...ids(await prisma.channelAccount.findMany({ where, take: 1 }), "ChannelAccount"),
      ...ids(await prisma.marketingPost.findMany({ where, take: 1 }), "MarketingPost"),
      ...ids(await prisma.marketingPostTarget.findMany({ where, take: 1 }), "MarketingPostTarget"),
      ...ids(others, "Tenant"),
    ];
    rawForeignIds = pairs.map(([raw]) => raw);
    foreignIds = pairs.map(([, gid]) => gid);
    const attempt = await prisma.channelConnectAttempt.findFirstOrThrow({ where });
    rawForeignIds.push(attempt.id);
    // a failed publishing job of the other tenant: what the job view (workerJobs, retryWorkerJob, cancelWorkerJob) must not reach
    const [job] = await prisma.$queryRaw<Array<{ id: string }>>`SELECT id::text FROM graphile_worker.add_job('marketing.publish', json_build_object('tenantId', ${others[0]!.id}::text, 'targetId', 'iso'), max_attempts := 1)`;
    foreignJobId = job!.id;
    await prisma.$executeRaw`UPDATE graphile_worker._private_jobs SET attempts = 1, last_error = 'seeded' WHERE id = ${BigInt(foreignJobId)}`;
    jobSnapshot = async () => JSON.stringify(await prisma.$queryRaw`SELECT id::text, attempts, run_at, last_error, locked_at FROM graphile_worker._private_jobs WHERE id = ${BigInt(foreignJobId)}`);
    targets = [...foreignIds, attempt.id, foreignJobId];

    const db = new pg.Client({ connectionString: t.db.url });
    client = db;
    await db.connect();
    const { rows: tables } = await db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'tenantId' ORDER BY table_name`,
    );
    const otherIds = others.map((o) => o.id);
    fingerprint = async () => {
      const parts: string[] = [];
      for (const { table_name } of tables) {
        const { rows } = await db.query(`SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h, count(*) AS n FROM "${table_name}" x WHERE "tenantId"::text = ANY($1)`, [otherIds]);
        parts.push(`${table_name}:${rows[0].n}:${rows[0].h}`);
      }
      const { rows } = await db.query(`SELECT md5(string_agg(x::text, '|' ORDER BY x.id)) AS h FROM "Tenant" x WHERE id::text = ANY($1)`, [otherIds]);
      return `${parts.join(",")},Tenant:${rows[0].h}`;
    };
    expect(tables.length).toBeGreaterThanOrEqual(6);
    expect(foreignIds.length).toBeGreaterThanOrEqual(7);
  });
  afterAll(async () => {
    await client?.end();
    await prisma?.$disconnect();
    await t?.close();
  });

  const leaks = (data: unknown) => {
    const text = JSON.stringify(data ?? null);
    return [...foreignIds, ...rawForeignIds].filter((id) => text.includes(id));
  };

  it("by global ID: node and nodes find nothing of other tenants", async () => {
    for (const [who, headers] of Object.entries(principals)) {
      for (const id of foreignIds) {
        const res = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { id }, headers);
        expect(res.data?.node ?? null, `${who} node(${id})`).toBeNull();
      }
      const many = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: foreignIds }, headers);
      expect(leaks(many.data), who).toEqual([]);
    }
  });

  it("by listing and through relations: every connection of the schema shows only the caller's tenant", async () => {
    const connections = Object.entries(schema.getQueryType()!.getFields()).filter(([, f]) => getNamedType(f.type).name.endsWith("Connection"));
    expect(connections.length).toBeGreaterThanOrEqual(5);
    for (const [who, headers] of Object.entries(principals)) {
      for (const [name] of connections) {
        const res = await t.gql(`{ ${name}(first: 100) { edges { node { id } } } }`, undefined, headers);
        expect(leaks(res.data), `${who} ${name}`).toEqual([]);
      }
      const nested = await t.gql(
        `{ builders(first: 100) { edges { node { jobs(first: 100) { totalCount edges { node { id builder { id } } } } bids(first: 100) { totalCount edges { node { id } } } } } } }`,
        undefined,
        headers,
      );
      expect(leaks(nested.data), `${who} builders → jobs, bids`).toEqual([]);
      for (const edge of (nested.data as any)?.builders?.edges ?? []) {
        expect(edge.node.jobs.totalCount, who).toBe(0);
        expect(edge.node.bids.totalCount, who).toBe(0);
      }
    }
  });

  it("every other query field: those naming an object by ID find nothing of other tenants with any of their IDs; the rest answer only the caller's tenant", async () => {
    const fields = Object.entries(schema.getQueryType()!.getFields()).filter(([name, f]) => !["node", "nodes"].includes(name) && !getNamedType(f.type).name.endsWith("Connection"));
    expect(fields.map(([name]) => name)).toEqual(expect.arrayContaining(["channelConnectAttempt", "workerJobs", "marketingTextLimits", "channelPlatforms"]));
    let byId = 0;
    for (const [who, headers] of Object.entries(principals)) {
      for (const [name, field] of fields) {
        const required = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
        const selection = leafSelection(field.type);
        if (required.some((a) => getNamedType(a.type).name === "ID")) {
          for (const target of targets) {
            const { query, variables } = call("query", name, field, target, selection);
            const res = await t.gql(query, variables, headers);
            byId++;
            expect(leaks(res.data), `${who} ${name}(${target})`).toEqual([]);
            expect((res.data as any)?.[name] ?? null, `${who} ${name}(${target})`).toBeNull();
          }
        } else {
          const { query, variables } = call("query", name, field, targets[0]!, selection);
          const res = await t.gql(query, variables, headers);
          expect(leaks(res.data), `${who} ${name}`).toEqual([]);
          expect(JSON.stringify(res.data ?? null), `${who} ${name}`).not.toContain(`"id":"${foreignJobId}"`);
        }
      }
    }
    expect(byId).toBeGreaterThan(0);
  });

  it("by mutation: every mutation of the schema, aimed at other tenants' objects, is refused and changes nothing of theirs", async () => {
    const before = await fingerprint();
    const jobBefore = await jobSnapshot();
    const mutations = Object.entries(schema.getMutationType()!.getFields());
    expect(mutations.length).toBeGreaterThan(20);
    let attempts = 0;
    for (const [who, headers] of Object.entries(principals)) {
      for (const [name, field] of mutations) {
        for (const target of idTargets(field) ? targets : [foreignIds[0]!]) {
          const { query, variables } = call("mutation", name, field, target, field.type && isObjectType(getNamedType(field.type)) ? "{ __typename }" : "");
          const res = await t.gql(query, variables, headers);
          attempts++;
          expect(leaks(res.data), `${who} ${name}(${target})`).toEqual([]);
          if (idTargets(field)) expect(res.errors?.length ?? 0, `${who} ${name}(${target}) ${JSON.stringify(res.data)}`).toBeGreaterThan(0);
        }
      }
    }
    expect(attempts).toBeGreaterThan(200);
    expect(await fingerprint()).toBe(before);
    expect(await jobSnapshot()).toBe(jobBefore);
  }, 300_000);
});

/**
 * Whether a mutation names an existing object by ID: an ID argument, or an ID (or list of IDs) anywhere in its input
 * (`input.id`, `attemptId`, `targetId`, `channelAccountIds`, an optional `accountId` to reconnect).
 */
function idTargets(field: GraphQLField<unknown, unknown>): boolean {
  const hasId = (type: GraphQLInputType, seen = new Set<string>()): boolean => {
    const named = getNamedType(type);
    if (named.name === "ID") return true;
    if (!(named instanceof GraphQLInputObjectType) || seen.has(named.name)) return false;
    seen.add(named.name);
    return Object.values(named.getFields()).some((f) => hasId(f.type, seen));
  };
  return field.args.some((a) => hasId(a.type));
}
