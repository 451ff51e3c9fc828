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
});
