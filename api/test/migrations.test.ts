import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrisma } from "../src/db/client.ts";
import { migrateDeploy, migrationNames, pendingMigrations } from "../src/db/migrate.ts";
import { loadEnv } from "../src/env.ts";
import { createEmptyDatabase, type TestDatabase } from "./support/database.ts";

describe("migrations", () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createEmptyDatabase();
  });
  afterAll(() => db.drop());

  it("apply to an empty database, in Prisma's standard layout, and a second deploy is a no-op", async () => {
    const env = loadEnv({ JWT_SECRET: "x".repeat(32), ENCRYPTION_KEY: "0".repeat(64) });
    const prisma = createPrisma(db.url, env);
    try {
      expect(await pendingMigrations(prisma, migrationNames())).toEqual(migrationNames());
      await migrateDeploy(db.url);
      expect(await pendingMigrations(prisma, migrationNames())).toEqual([]);
      await migrateDeploy(db.url);
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      const { rows } = await client.query("SELECT migration_name, checksum FROM _prisma_migrations ORDER BY migration_name");
      await client.end();
      expect(rows.map((r) => r.migration_name)).toEqual(migrationNames());
      expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.checksum))).toBe(true);
      expect(await prisma.tenant.count()).toBe(0);
    } finally {
      await prisma.$disconnect();
    }
  });

  it("leave the migration history out of the application role's reach", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      for (const sql of [`SELECT count(*) FROM _prisma_migrations`, `UPDATE _prisma_migrations SET checksum = 'forged'`, `DELETE FROM _prisma_migrations`]) {
        await client.query("BEGIN");
        await client.query("SET LOCAL ROLE h2o_app");
        await expect(client.query(sql), sql).rejects.toThrow(/permission denied/);
        await client.query("ROLLBACK");
      }
    } finally {
      await client.end();
    }
  });

  it("confine every tenant-scoped table by a row-level-security policy that reads the tenant once per statement", async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      // every table with a tenant column (and Tenant itself) forces row-level security with tenant_isolation
      const { rows: tables } = await client.query(`
        SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, p.qual, p.with_check
          FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_policies p ON p.schemaname = n.nspname AND p.tablename = c.relname AND p.policyname = 'tenant_isolation'
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
           AND (c.relname = 'Tenant' OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenantId' AND NOT a.attisdropped))
           -- system-only tables the application role has no rights on at all (a session's tenant, a finished job's)
           AND c.relname NOT IN ('RefreshToken', 'WorkerJobCompletion')`);
      expect(tables.length).toBeGreaterThan(15);
      for (const t of tables) {
        expect([t.relname, t.relrowsecurity, t.relforcerowsecurity], t.relname).toEqual([t.relname, true, true]);
        // (SELECT app_tenant_id()): an InitPlan, once per statement; a bare app_tenant_id() is evaluated for every row
        for (const clause of [t.qual, t.with_check]) expect(clause, t.relname).toMatch(/= \( SELECT app_tenant_id\(\) AS app_tenant_id\)\)$/);
      }
    } finally {
      await client.end();
    }
  });
});
