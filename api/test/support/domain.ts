import { expect } from "vitest";
import { seed } from "../../../prisma/seed.ts";
import { createPrisma, type Prisma } from "../../src/db/client.ts";
import type { GqlResult, TestApp } from "./app.ts";

/** Seeds the demo tenants and data (prisma/seed.ts) into a test app's database; returns a client on it. */
export async function seedDemo(t: TestApp): Promise<Prisma> {
  const prisma = createPrisma(t.db.url, t.env);
  await seed(prisma, { info: () => undefined });
  return prisma;
}

/** The development header that selects the acting tenant (until identity lands). */
export const as = (tenant: string) => ({ "x-dev-tenant": tenant });

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
export const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString("base64");
