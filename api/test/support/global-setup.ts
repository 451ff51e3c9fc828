import { migrateDeploy } from "../../src/db/migrate.ts";
import { admin, serverUrl, templateName, withDb } from "./database.ts";

/**
 * Once per test run: make sure the migrated template database exists; test files clone it. The name is fixed for
 * the run (H2O_TEST_TEMPLATE, inherited by the test workers), so a migration added mid-run changes nothing.
 * Templates of other migration sets are left alone: another run may be using them (drop them by hand).
 */
export default async function setup() {
  const name = templateName();
  process.env.H2O_TEST_TEMPLATE = name;
  const exists = await admin((c) => c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]));
  if (exists.rowCount) return;
  const building = `${name}_building_${process.pid}`;
  await admin((c) => c.query(`CREATE DATABASE "${building}"`));
  await migrateDeploy(withDb(serverUrl, building));
  await admin(async (c) => {
    await c.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`).catch(async (e) => {
      await c.query(`DROP DATABASE IF EXISTS "${building}"`);
      if (!String(e.message).includes("already exists")) throw e;
    });
  });
}
