import jwt from "jsonwebtoken";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_PASSWORD, demoUser } from "../../prisma/seed.ts";
import { signAccessToken } from "../src/auth/tokens.ts";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { as, ok, seedDemo } from "./support/domain.ts";

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { accessToken refreshToken accessTokenExpiresAt } }`;
const REFRESH = `mutation($t: String) { refreshSession(refreshToken: $t) { accessToken refreshToken } }`;
const VIEWER = `{ viewer { kind email role tenantId permissions memberships { slug role } } }`;

describe("identity: sign-in, sessions, API keys, user management", () => {
  let t: TestApp;
  let prisma: Prisma;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    ({ url } = await t.app.start());
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const post = (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
  const gql = async (query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) => (await post(query, variables, headers)).json();
  const owner = demoUser("all_county", "owner");

  it("signs in by POST body, sets httpOnly SameSite cookies, and the cookie or the bearer token authenticates", async () => {
    const res = await post(LOGIN, { email: owner.email.toUpperCase(), password: DEMO_PASSWORD });
    const body = await res.json();
    expect(body.errors).toBeUndefined();
    const cookies = res.headers.getSetCookie();
    expect(cookies.find((c) => c.startsWith("h2o_access="))).toMatch(/HttpOnly/i);
    expect(cookies.find((c) => c.startsWith("h2o_refresh="))).toMatch(/SameSite=Lax/i);
    expect(cookies.join(";")).toMatch(/Path=\//);
    expect(cookies.join(";")).not.toMatch(/Secure/); // only in production
    const cookie = cookies.map((c) => c.split(";")[0]).join("; ");
    const viaCookie = await gql(VIEWER, {}, { cookie });
    expect(viaCookie.data.viewer).toMatchObject({ kind: "user", email: owner.email, role: "owner" });
    const viaBearer = await gql(VIEWER, {}, { authorization: `Bearer ${body.data.login.accessToken}` });
    expect(viaBearer.data.viewer.permissions).toContain("user:manage");
    expect(await prisma.user.findUniqueOrThrow({ where: { id: owner.id } })).toMatchObject({ lastLoginAt: expect.any(Date) });
  });

  it("never runs a mutation from a GET request, and never takes credentials from the query string", async () => {
    const res = await fetch(`${url}?query=${encodeURIComponent(`mutation { login(email: "${owner.email}", password: "${DEMO_PASSWORD}") { accessToken } }`)}`);
    expect(res.status).toBe(405);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it("answers unknown email and wrong password alike, then locks the account out", async () => {
    const unknown = await gql(LOGIN, { email: "nobody@example.com", password: "whatever-123" });
    const wrong = await gql(LOGIN, { email: demoUser("h2o", "viewer").email, password: "wrong-password" });
    expect(unknown.errors[0]).toMatchObject({ message: "invalid email or password", extensions: { code: "UNAUTHENTICATED" } });
    expect(wrong.errors[0]).toEqual({ ...unknown.errors[0] });
    for (let i = 0; i < 5; i++) await gql(LOGIN, { email: demoUser("h2o", "viewer").email, password: "wrong-password" });
    const locked = await gql(LOGIN, { email: demoUser("h2o", "viewer").email, password: DEMO_PASSWORD });
    expect(locked.errors[0].extensions.code).toBe("RATE_LIMITED");
    expect(locked.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
  });

  it("rotates refresh tokens and revokes the whole session when a spent one is reused", async () => {
    const first = (await gql(LOGIN, { email: owner.email, password: DEMO_PASSWORD })).data.login;
    const second = (await gql(REFRESH, { t: first.refreshToken })).data.refreshSession;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await gql(VIEWER, {}, { authorization: `Bearer ${second.accessToken}` })).data.viewer.email).toBe(owner.email);
    const reuse = await gql(REFRESH, { t: first.refreshToken });
    expect(reuse.errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await gql(REFRESH, { t: second.refreshToken })).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    const after = await gql(`{ jobs(first: 1) { totalCount } }`, {}, { authorization: `Bearer ${second.accessToken}` });
    expect(after.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("logout revokes the session and clears the cookies", async () => {
    const session = (await gql(LOGIN, { email: owner.email, password: DEMO_PASSWORD })).data.login;
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const res = await post(`mutation { logout }`, {}, auth);
    expect((await res.json()).data.logout).toBe(true);
    expect(res.headers.getSetCookie().join(";")).toMatch(/h2o_access=;/);
    expect((await gql(`{ tenant { slug } }`, {}, auth)).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await gql(REFRESH, { t: session.refreshToken })).errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("refuses bad credentials of every kind with UNAUTHENTICATED, no detail, and writes nothing", async () => {
    const counts = async () => [await prisma.user.count(), await prisma.refreshToken.count(), await prisma.apiKey.count(), await prisma.job.count()];
    const before = await counts();
    const sub = owner.id;
    const tokens = {
      garbage: "Bearer not.a.token",
      expired: `Bearer ${signAccessToken({ sub, sid: "00000000-0000-4000-8000-000000000001" }, TEST_JWT_SECRET, -60)}`,
      wrongSignature: `Bearer ${signAccessToken({ sub, sid: "00000000-0000-4000-8000-000000000001" }, "another-secret-another-secret-another")}`,
      badClaims: `Bearer ${signAccessToken({ sub: "x", sid: "s" }, TEST_JWT_SECRET)}`,
      algNone: `Bearer ${jwt.sign({ sid: "s" }, "", { algorithm: "none", subject: sub, issuer: "h2o-acp", audience: "h2o-acp-api" })}`,
      unknownUser: `Bearer ${signAccessToken({ sub: "00000000-0000-4000-8000-000000000000", sid: "00000000-0000-4000-8000-000000000001" }, TEST_JWT_SECRET)}`,
      revokedKey: "Bearer h2okey_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    };
    for (const [name, authorization] of Object.entries(tokens)) {
      const res = await gql(`mutation { createBuilder(input: { name: "Evil" }) { builder { id } } }`, {}, { authorization });
      expect(res.errors?.[0]?.extensions?.code, name).toBe("UNAUTHENTICATED");
      expect(JSON.stringify(res.errors), name).not.toMatch(/jwt|signature|stack|prisma|sql/i);
    }
    for (const [email, password] of [["' OR 1=1 --", "x"], ["a@b.c", "' OR '1'='1"], ["x".repeat(100_000), "y"], [owner.email, "p".repeat(300_000)]]) {
      const res = await gql(LOGIN, { email, password });
      expect(["UNAUTHENTICATED", "BAD_USER_INPUT", "RATE_LIMITED"]).toContain(res.errors[0].extensions.code);
      expect(res.data?.login ?? null).toBeNull();
    }
    expect(await counts()).toEqual(before);
  });

  it("refuses a disabled user's token and sign-in", async () => {
    const viewer = demoUser("h2o", "dispatcher");
    const member = await prisma.membership.findFirstOrThrow({ where: { userId: viewer.id } });
    const id = Buffer.from(`Member:${member.id}`).toString("base64");
    await ok(t, `mutation($id: ID!) { disableUser(id: $id) { member { id } } }`, { id }, "h2o");
    expect((await gql(`{ tenant { slug } }`, {}, as("h2o", "dispatcher"))).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    expect((await gql(LOGIN, { email: viewer.email, password: DEMO_PASSWORD })).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    await ok(t, `mutation($id: ID!) { enableUser(id: $id) { member { id } } }`, { id }, "h2o");
    expect((await gql(LOGIN, { email: viewer.email, password: DEMO_PASSWORD })).data.login.accessToken).toBeTruthy();
  });

  it("refuses to disable a user who belongs to other tenants too (their memberships are hidden from the tenant's transaction)", async () => {
    const office = await prisma.user.findUniqueOrThrow({ where: { email: "office@h2o-acp.example" } });
    const member = await prisma.membership.findFirstOrThrow({ where: { userId: office.id, tenant: { slug: "h2o" } } });
    const res = await gql(`mutation($id: ID!) { disableUser(id: $id) { member { id } } }`, { id: Buffer.from(`Member:${member.id}`).toString("base64") }, as("h2o"));
    expect(res.errors[0]).toMatchObject({ message: "this user belongs to other tenants too: remove their membership instead", extensions: { code: "FORBIDDEN" } });
    expect((await prisma.user.findUniqueOrThrow({ where: { id: office.id } })).status).toBe("active");
  });

  it("invites a user, who sets a password with the one-time token, signs in, changes role, and cannot be the last owner demoted", async () => {
    const invited = await ok(t, `mutation { inviteUser(email: "new.tech@h2o.example", name: "New Tech", role: dispatcher) { member { id role user { email } } resetToken } }`, {}, "h2o");
    expect(invited.inviteUser.member).toMatchObject({ role: "dispatcher", user: { email: "new.tech@h2o.example" } });
    const token = invited.inviteUser.resetToken;
    expect(token).toMatch(/^[\w-]{40,}$/);
    expect((await gql(`mutation($t: String!) { resetPassword(token: $t, newPassword: "short") }`, { t: token })).errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect((await gql(`mutation($t: String!) { resetPassword(token: $t, newPassword: "a-long-new-password") }`, { t: token })).data.resetPassword).toBe(true);
    expect((await gql(`mutation($t: String!) { resetPassword(token: $t, newPassword: "another-password-1") }`, { t: token })).errors[0].extensions.code).toBe("BAD_USER_INPUT");
    expect((await gql(LOGIN, { email: "new.tech@h2o.example", password: "a-long-new-password" })).data.login.accessToken).toBeTruthy();
    const dup = await gql(`mutation { inviteUser(email: "new.tech@h2o.example", name: "Again", role: viewer) { member { id } } }`, {}, as("h2o"));
    expect(dup.errors[0].extensions.code).toBe("CONFLICT");
    const mine = await prisma.membership.findFirstOrThrow({ where: { userId: demoUser("h2o", "owner").id } });
    const demote = await gql(`mutation($id: ID!) { changeMemberRole(id: $id, role: admin, expectedVersion: ${mine.version}) { member { role } } }`, { id: Buffer.from(`Member:${mine.id}`).toString("base64") }, as("h2o"));
    expect(demote.errors[0]).toMatchObject({ message: "the last owner cannot be demoted", extensions: { code: "CONFLICT" } });
    const adminMakesOwner = await gql(`mutation($id: ID!) { changeMemberRole(id: $id, role: owner, expectedVersion: 1) { member { role } } }`, { id: invited.inviteUser.member.id }, as("h2o", "admin"));
    expect(adminMakesOwner.errors[0].extensions.code).toBe("FORBIDDEN");
  });

  it("issues API keys shown once, stored hashed, scoped, usable by Bearer or X-Api-Key, and revocable", async () => {
    const created = await ok(t, `mutation { createApiKey(input: { name: "Builder portal", scopes: ["read:jobs"] }) { key apiKey { id prefix scopes } } }`);
    const { key, apiKey } = created.createApiKey;
    expect(key.startsWith(`${apiKey.prefix}_`)).toBe(true);
    const stored = await prisma.apiKey.findFirstOrThrow({ where: { prefix: apiKey.prefix } });
    expect(stored.keyHash).not.toContain(key);
    expect(JSON.stringify(stored)).not.toContain(key);
    const listed = await ok(t, `{ apiKeys(first: 10) { totalCount edges { node { prefix } } } }`);
    expect(JSON.stringify(listed)).not.toContain(key);
    const read = await gql(`{ jobs(first: 1) { totalCount } viewer { kind } }`, {}, { authorization: `Bearer ${key}` });
    expect(read.data).toMatchObject({ jobs: { totalCount: expect.any(Number) }, viewer: { kind: "api_key" } });
    expect((await gql(`{ jobs(first: 1) { totalCount } }`, {}, { "x-api-key": key })).data.jobs.totalCount).toBeGreaterThan(0);
    const write = await gql(`mutation { createBuilder(input: { name: "Nope" }) { builder { id } } }`, {}, { "x-api-key": key });
    expect(write.errors[0]).toMatchObject({ extensions: { code: "FORBIDDEN" } });
    expect(write.errors[0].message).toMatch(/API key's scopes/);
    const bad = await gql(`mutation { createApiKey(input: { name: "x", scopes: ["root"] }) { key } }`, {}, as("all_county"));
    expect(bad.errors[0]).toMatchObject({ extensions: { code: "BAD_USER_INPUT", field: ["input", "scopes"] } });
    await ok(t, `mutation($id: ID!) { revokeApiKey(id: $id) { revokedAt } }`, { id: apiKey.id });
    expect((await gql(`{ jobs(first: 1) { totalCount } }`, {}, { "x-api-key": key })).errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  it("lets a user in several tenants pick one per request, and only among their memberships", async () => {
    const session = (await gql(LOGIN, { email: "office@h2o-acp.example", password: DEMO_PASSWORD })).data.login;
    const auth = { authorization: `Bearer ${session.accessToken}` };
    const none = await gql(`{ tenant { slug } viewer { memberships { slug } } }`, {}, auth);
    expect(none.errors[0].extensions.code).toBe("FORBIDDEN");
    expect(none.data.viewer.memberships.map((m: { slug: string }) => m.slug).sort()).toEqual(["all_county", "h2o"]);
    for (const slug of ["all_county", "h2o"]) {
      expect((await gql(`{ tenant { slug } }`, {}, { ...auth, "x-tenant-id": slug })).data.tenant.slug).toBe(slug);
    }
    await prisma.tenant.create({ data: { slug: "not_mine", name: "Not mine" } });
    expect((await gql(`{ tenant { slug } }`, {}, { ...auth, "x-tenant-id": "not_mine" })).errors[0].extensions.code).toBe("FORBIDDEN");
  });
});
