import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../src/env.ts";
import { admin, createEmptyDatabase, createTestDatabase, type TestDatabase } from "./support/database.ts";

const run = promisify(execFile);
const cli = (url: string, dataDir: string, ...args: string[]) =>
  run(process.execPath, ["--import", "tsx", "api/src/cli.ts", ...args], {
    cwd: repoRoot,
    env: { ...process.env, DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: "silent", NODE_ENV: "test" },
  });

/** Every table of the application's and the queue's schemas: its row count and the md5 of its rows in order; every sequence's position. */
async function fingerprint(url: string): Promise<Record<string, string>> {
  return admin(async (c) => {
    const { rows: tables } = await c.query<{ t: string }>(`
      SELECT format('%I.%I', n.nspname, c.relname) AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND n.nspname IN ('public', 'graphile_worker') ORDER BY 1`);
    const out: Record<string, string> = {};
    for (const { t } of tables) {
      const { rows: [r] } = await c.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) AS h FROM ${t} x`);
      out[t] = `${r.n} ${r.h}`;
    }
    const { rows: seqs } = await c.query(`SELECT schemaname, sequencename, last_value FROM pg_sequences WHERE schemaname IN ('public', 'graphile_worker')`);
    for (const s of seqs) out[`sequence ${s.schemaname}.${s.sequencename}`] = String(s.last_value);
    return out;
  }, url);
}

/** Changes in every kind of place: a row updated, rows deleted, a queue job added (its sequence moves). */
async function changeData(url: string) {
  await admin(async (c) => {
    await c.query(`UPDATE "Job" SET community = community || ' (changed)' WHERE id = (SELECT id FROM "Job" ORDER BY id LIMIT 1)`);
    await c.query(`DELETE FROM "Bid" WHERE id = (SELECT id FROM "Bid" ORDER BY id LIMIT 1)`);
    await c.query(`SELECT graphile_worker.add_job('backup_test_noop', '{}'::json)`);
  }, url);
}

describe("db:backup and db:restore", () => {
  let source: TestDatabase;
  let dataDir: string;
  const targets: TestDatabase[] = [];
  beforeAll(async () => {
    source = await createTestDatabase("h2o_backup_src");
    dataDir = mkdtempSync(path.join(tmpdir(), "h2o-backup-"));
    await cli(source.url, dataDir, "seed");
    // rows in the queue's tables and an audit partition beyond what the migrations create
    await admin(async (c) => {
      await c.query(`SELECT graphile_worker.add_job('backup_test_noop', '{"n":1}'::json, run_at := now() + interval '1 day')`);
      await c.query(`CREATE TABLE "AuditEvent_p209901" PARTITION OF "AuditEvent" FOR VALUES FROM ('2099-01-01') TO ('2099-02-01')`);
      await c.query(`INSERT INTO "AuditEvent" (id, "tenantId", "changedAt", "actorKind", action, "eventType", "entityType", "entityId", after)
        SELECT gen_random_uuid(), id, '2099-01-15', 'system', 'update', 'tenant.updated', 'tenant', id::text, '{"note":"tab\\tline\\nbreak"}' FROM "Tenant" LIMIT 1`);
    }, source.url);
  }, 120_000);
  afterAll(async () => {
    for (const db of [source, ...targets]) await db?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function roundTrip(method: "copy" | "pg_dump") {
    const before = await fingerprint(source.url);
    const nonEmpty = Object.entries(before).filter(([k, v]) => !k.startsWith("sequence") && !v.startsWith("0 "));
    expect(nonEmpty.length).toBeGreaterThan(11);
    expect(before['public."AuditEvent_p209901"']).toMatch(/^1 /);
    const file = path.join(dataDir, `round-trip.${method}`);
    const { stdout } = await cli(source.url, dataDir, "db:backup", "--file", file, "--method", method);
    expect(stdout).toContain(`(${method}:`);

    await changeData(source.url);
    expect(await fingerprint(source.url)).not.toEqual(before);

    const target = await createEmptyDatabase("h2o_backup_dst");
    targets.push(target);
    await cli(target.url, dataDir, "db:restore", "--file", file);
    expect(await fingerprint(target.url)).toEqual(before);
    // the restored database has data now: a second restore is refused unless it replaces
    await expect(cli(target.url, dataDir, "db:restore", "--file", file)).rejects.toThrow(method === "copy" ? /already holds tenants or users/ : /not empty/);
    expect(await fingerprint(target.url)).toEqual(before);
    if (method === "pg_dump") {
      await expect(cli(target.url, dataDir, "db:restore", "--file", file, "--replace")).rejects.toThrow(/COPY format only/);
      return;
    }
    await changeData(target.url);
    await cli(target.url, dataDir, "db:restore", "--file", file, "--replace");
    expect(await fingerprint(target.url)).toEqual(before);
    // and the source, restored over itself, is back as it was
    await cli(source.url, dataDir, "db:restore", "--file", file, "--replace");
    expect(await fingerprint(source.url)).toEqual(before);
  }

  it("COPY method: restored into a new database, every row of every table is as it was at the backup", () => roundTrip("copy"), 180_000);
  it("pg_dump method (the system's client): the same round trip", () => roundTrip("pg_dump"), 180_000);

  it("without --file, writes under DATA_DIR/backups; a truncated file restores nothing", async () => {
    const { stdout } = await cli(source.url, dataDir, "db:backup", "--method", "copy");
    const [name] = readdirSync(path.join(dataDir, "backups"));
    expect(name).toMatch(/^h2o-acp-.*\.copy\.gz$/);
    expect(stdout).toContain(path.join(dataDir, "backups", name!));
    const full = gunzipSync(readFileSync(path.join(dataDir, "backups", name!))).toString();
    expect(full).toMatch(/\nEND \{.*\}\n$/);
    const cut = path.join(dataDir, "cut.copy.gz");
    writeFileSync(cut, gzipSync(full.slice(0, Math.floor(full.length * 0.8))));
    const target = await createEmptyDatabase("h2o_backup_cut");
    targets.push(target);
    await expect(cli(target.url, dataDir, "db:restore", "--file", cut)).rejects.toThrow(/truncated/);
    const after = await fingerprint(target.url);
    expect(after['public."Tenant"']).toMatch(/^0 /);
    expect(after['public."Job"']).toMatch(/^0 /);
  }, 120_000);
});
