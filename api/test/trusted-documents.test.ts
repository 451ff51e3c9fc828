import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadEnv, repoRoot } from "../src/env.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { as, seedDemo } from "./support/domain.ts";
import { initRaw, openRaw } from "./support/ws.ts";

/** The dashboard's documents, as `npm run codegen` committed them. */
const trusted = JSON.parse(readFileSync(`${repoRoot}/trusted-documents.json`, "utf8")) as Record<string, string>;
/** The hash of the dashboard's operation `name`. */
const hashOf = (name: string) => Object.keys(trusted).find((hash) => new RegExp(`\\b(query|mutation|subscription) ${name}\\b`).test(trusted[hash]!))!;
const persisted = (name: string) => ({ extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(name) } } });

describe("trusted documents in production: sessions run only the dashboard's documents, API keys any", () => {
  let t: TestApp;
  let port: number;
  let apiKey: string;
  beforeAll(async () => {
    t = await startTestApp({ NODE_ENV: "production", DATABASE_URL: "postgresql://unused/by-the-test-app" });
    await (await seedDemo(t)).$disconnect();
    ({ port } = await t.app.start());
    // made in the API as the dashboard makes it: by the persisted document's hash
    const created = await post({ ...persisted("CreateApiKey"), variables: { input: { name: "partner", scopes: ["read:jobs"] } } }, as("all_county", "admin"));
    expect(created.body.errors).toBeUndefined();
    apiKey = created.body.data.createApiKey.key;
  });
  afterAll(() => t?.close());

  async function post(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions: Record<string, unknown> }> } };
  }

  it("defaults to on in production and off elsewhere", () => {
    const base = { JWT_SECRET: TEST_JWT_SECRET, ENCRYPTION_KEY: "0".repeat(64), DATABASE_URL: "postgresql://x/y" };
    expect(loadEnv({ ...base, NODE_ENV: "production" }).GRAPHQL_TRUSTED_DOCUMENTS).toBe("on");
    expect(loadEnv({ ...base, NODE_ENV: "development" }).GRAPHQL_TRUSTED_DOCUMENTS).toBe("off");
    expect(t.env.GRAPHQL_TRUSTED_DOCUMENTS).toBe("on");
  });

  it("runs a persisted document by its hash for a signed-in user, and refuses a document sent as text", async () => {
    const session = await post(persisted("Session"), as("all_county", "dispatcher"));
    expect(session.body.errors).toBeUndefined();
    expect(session.body.data.viewer.email).toBe("dispatcher@all-county.example");

    // the same document as text, and any other text: refused before anything runs
    for (const query of [trusted[hashOf("Session")]!, "{ viewer { email } }", "mutation { logout }"]) {
      const refused = await post({ query }, as("all_county", "dispatcher"));
      expect(refused.body.data ?? null, query).toBeNull();
      expect(refused.body.errors?.[0]?.extensions.code, query).toBe("PERSISTED_QUERY_REQUIRED");
      expect(refused.body.errors?.[0]?.message).toMatch(/persisted documents/);
    }
  });

  it("refuses an unknown hash with PersistedQueryNotFound, whoever asks", async () => {
    const unknown = { extensions: { persistedQuery: { version: 1, sha256Hash: "0".repeat(64) } } };
    for (const headers of [as("all_county"), { authorization: `Bearer ${apiKey}` }, {}] as Array<Record<string, string>>) {
      const res = await post(unknown, headers);
      expect(res.body.errors?.[0]).toMatchObject({ message: "PersistedQueryNotFound", extensions: { code: "PERSISTED_QUERY_NOT_FOUND" } });
    }
  });

  it("holds anonymous callers to the dashboard's documents too: its sign-in runs by hash, not as text", async () => {
    const text = await post({ query: trusted[hashOf("Login")], variables: { email: "owner@all-county.example", password: "demo-password-h2o" } });
    expect(text.body.errors?.[0]?.extensions.code).toBe("PERSISTED_QUERY_REQUIRED");
    const login = await post({ ...persisted("Login"), variables: { email: "owner@all-county.example", password: "demo-password-h2o" } });
    expect(login.body.errors).toBeUndefined();
    expect(login.body.data.login.accessToken).toEqual(expect.any(String));
  });

  it("lets an API key send any document, as text or by hash", async () => {
    const key = { authorization: `Bearer ${apiKey}` };
    const text = await post({ query: "{ jobs(first: 2) { edges { node { id status } } } }" }, key);
    expect(text.body.errors).toBeUndefined();
    expect(text.body.data.jobs.edges.length).toBeGreaterThan(0);
    const viaHeader = await post({ query: "{ __typename }" }, { "x-api-key": apiKey });
    expect(viaHeader.body.data).toEqual({ __typename: "Query" });
    // a forged key gains nothing: its credentials refuse the operation
    const forged = await post({ query: "{ jobs(first: 2) { edges { node { id } } } }" }, { authorization: "Bearer h2okey_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(forged.status).toBe(401);
    expect(forged.body.errors?.[0]?.extensions.code).toBe("UNAUTHENTICATED");
  });

  it("applies the same rule over WebSocket: a session subscribes by hash, not with text; an API key with text", async () => {
    const session = await initRaw(port, "all_county", { role: "dispatcher" });
    expect(session.acked).toBe(true);
    session.send({ id: "text", type: "subscribe", payload: { query: trusted[hashOf("TenantEvents")] } });
    session.send({ id: "unknown", type: "subscribe", payload: { query: "", extensions: { persistedQuery: { version: 1, sha256Hash: "f".repeat(64) } } } });
    session.send({ id: "hash", type: "subscribe", payload: { query: "", ...persisted("ServerInfo") } });
    await expect.poll(() => session.messages.filter((m) => m.type === "error").map((m) => [m.id, m.payload[0].extensions.code]).sort()).toEqual([
      ["text", "PERSISTED_QUERY_REQUIRED"],
      ["unknown", "PERSISTED_QUERY_NOT_FOUND"],
    ]);
    await expect.poll(() => session.messages.find((m) => m.type === "next" && m.id === "hash")?.payload.data.serverInfo.version).toEqual(expect.any(String));
    session.socket.close();

    const partner = await openRaw(port);
    partner.send({ type: "connection_init", payload: { authorization: `Bearer ${apiKey}` } });
    expect((await partner.next()).type).toBe("connection_ack");
    partner.send({ id: "any", type: "subscribe", payload: { query: "{ jobs(first: 1) { edges { node { id } } } }" } });
    await expect.poll(() => partner.messages.find((m) => m.id === "any")?.type).toBe("next");
    partner.socket.close();
  });

  it("the dashboard's sign-in and first screens run by hash (what its client sends)", async () => {
    const owner = as("h2o", "owner");
    for (const [name, variables] of [
      ["Session", {}],
      ["Dispatch", { first: 25 }],
      ["OverviewServiceCallFigures", {}],
    ] as const) {
      const res = await post({ ...persisted(name), variables }, owner);
      expect(res.body.errors, name).toBeUndefined();
      expect(res.body.data, name).toBeTruthy();
    }
  });
});
