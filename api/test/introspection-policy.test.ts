import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv } from "../src/env.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, seedDemo } from "./support/domain.ts";

const SCHEMA = "{ __schema { queryType { name } } }";
// the same, hidden in a fragment of a fragment
const HIDDEN = "query { ...A } fragment A on Query { ...B } fragment B on Query { __type(name: \"Job\") { name } }";

describe("introspection policy (GRAPHQL_INTROSPECTION)", () => {
  const apps: TestApp[] = [];
  const start = async (overrides: Record<string, string>) => {
    const t = await startTestApp(overrides);
    apps.push(t);
    await seedDemo(t).then((p) => p.$disconnect());
    return t;
  };
  afterAll(async () => {
    await Promise.all(apps.map((t) => t.close()));
  });

  it("defaults to authenticated in production and on elsewhere", () => {
    const base = { JWT_SECRET: "x".repeat(40), ENCRYPTION_KEY: "0".repeat(64), DATABASE_URL: "postgresql://h/db" };
    expect(loadEnv({ ...base, NODE_ENV: "production" }).GRAPHQL_INTROSPECTION).toBe("authenticated");
    expect(loadEnv({ ...base, NODE_ENV: "development" }).GRAPHQL_INTROSPECTION).toBe("on");
    expect(loadEnv({ ...base, NODE_ENV: "production", GRAPHQL_INTROSPECTION: "off" }).GRAPHQL_INTROSPECTION).toBe("off");
    expect(() => loadEnv({ ...base, GRAPHQL_INTROSPECTION: "sometimes" })).toThrow(/GRAPHQL_INTROSPECTION/);
  });

  describe("authenticated", () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await start({ GRAPHQL_INTROSPECTION: "authenticated" });
    });

    it("refuses an anonymous caller (UNAUTHENTICATED), through fragments too, and still answers __typename", async () => {
      for (const query of [SCHEMA, HIDDEN]) {
        const res = await t.gql(query);
        expect(res.data ?? null).toBeNull();
        expect(res.errors?.[0]?.extensions?.code, query).toBe("UNAUTHENTICATED");
      }
      expect((await t.gql("{ __typename }")).data).toEqual({ __typename: "Query" });
    });

    it("answers a signed-in user", async () => {
      expect((await t.gql(SCHEMA, undefined, as("all_county"))).data).toEqual({ __schema: { queryType: { name: "Query" } } });
      expect((await t.gql(HIDDEN, undefined, as("all_county"))).data).toEqual({ __type: { name: "Job" } });
    });
  });

  it("off: refuses everyone (FORBIDDEN)", async () => {
    const t = await start({ GRAPHQL_INTROSPECTION: "off" });
    const res = await t.gql(SCHEMA, undefined, as("all_county"));
    expect(res.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
    expect(res.data ?? null).toBeNull();
  });

  it("on (the test default): anyone may introspect", async () => {
    const t = await start({});
    expect((await t.gql(SCHEMA)).data).toEqual({ __schema: { queryType: { name: "Query" } } });
  });

  it("gives no field suggestions in production; elsewhere it does", async () => {
    // a document of its own from a user: production's trusted documents would refuse it before validation
    const production = await start({ NODE_ENV: "production", DATABASE_URL: "postgresql://unused/by-the-test-app", GRAPHQL_TRUSTED_DOCUMENTS: "off" });
    const development = apps.find((a) => a.env.GRAPHQL_INTROSPECTION === "on")!;
    const message = async (t: TestApp) => (await t.gql("{ job { id } }", undefined, as("all_county"))).errors?.[0]?.message as string;
    expect(await message(development)).toMatch(/Did you mean/);
    const refused = await message(production);
    expect(refused).toMatch(/Cannot query field "job"/);
    expect(refused).not.toMatch(/Did you mean|jobs/);
  });
});
