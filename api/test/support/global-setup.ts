import { migrateDeploy } from "../../src/db/migrate.ts";
import { admin, serverUrl, templateName, withDb } from "./database.ts";

/** Once per test run: make sure the migrated template database exists; test files clone it. */
export default async function setup() {
  const name = templateName();
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
    // old templates of earlier migration sets
    const old = await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'h2o_test_tpl_%' AND datname <> $1", [name]);
    for (const { datname } of old.rows) await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`).catch(() => undefined);
  });
}
