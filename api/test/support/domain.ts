import { expect } from "vitest";
import { randomUUID } from "node:crypto";
import { demoUser, seed } from "../../../prisma/seed.ts";
import { signAccessToken } from "../../src/auth/tokens.ts";
import { TEST_JWT_SECRET } from "./app.ts";
import { createPrisma, type Prisma } from "../../src/db/client.ts";
import type { GqlResult, TestApp } from "./app.ts";

/** Seeds the demo tenants and data (prisma/seed.ts) into a test app's database; returns a client on it. */
export async function seedDemo(t: TestApp): Promise<Prisma> {
  const prisma = createPrisma(t.db.url, t.env);
  await seed(prisma, { info: () => undefined });
  return prisma;
}

/**
 * Headers that authenticate as the seeded demo user with `role` in `tenant` (slug): a real access token, signed
 * with the test apps' JWT secret, for a session of its own.
 */
export const as = (tenant: string, role: Parameters<typeof demoUser>[1] = "owner") => ({
  authorization: `Bearer ${signAccessToken({ sub: demoUser(tenant, role).id, sid: randomUUID() }, TEST_JWT_SECRET)}`,
  "x-tenant-id": tenant,
});

/** A GraphQL call that must succeed: fails the test with the errors otherwise. */
export async function ok<T = any>(t: TestApp, query: string, variables?: Record<string, unknown>, tenant = "all_county"): Promise<T> {
  const res = await t.gql<T>(query, variables, as(tenant));
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data as T;
}

/** A GraphQL call that must fail: returns its first error. */
export async function fails(t: TestApp, query: string, variables?: Record<string, unknown>, tenant = "all_county") {
  const res: GqlResult<unknown> = await t.gql(query, variables, as(tenant));
  expect(res.errors, `expected an error, got ${JSON.stringify(res.data)}`).toBeDefined();
  return res.errors![0]!;
}

/** The global ID of a database row, as the schema encodes it. */
/** The createJob mutation the tests and benches send: the new job's id, version and updatedAt. */
export const CREATE_JOB = `mutation($input: CreateJobInput!) { createJob(input: $input) { job { id version updatedAt } } }`;

export const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");

/** Gives a tenant created by a test its demo users (one per role), so `as(slug, role)` works for it. */
export async function addDemoUsers(prisma: Prisma, slug: string): Promise<void> {
  const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug } });
  for (const role of ["owner", "admin", "dispatcher", "estimator", "marketer", "viewer"] as const) {
    const u = demoUser(slug, role);
    await prisma.user.upsert({ where: { email: u.email }, update: {}, create: { id: u.id, email: u.email, name: `${role} (${slug})` } });
    await prisma.membership.createMany({ skipDuplicates: true, data: [{ userId: u.id, tenantId: tenant.id, role }] });
  }
}
