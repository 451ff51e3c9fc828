import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { archiveExpiredPartitions, countArchiveRows, restoreAuditArchive } from "../src/audit/archive.ts";
import { localArchiveStore, type AuditArchiveStore } from "../src/audit/archive-store.ts";
import { auditRestoreCommand } from "../src/audit/cli.ts";
import { ensureAuditPartitions, listAuditPartitions, monthStart, partitionName } from "../src/audit/partitions.ts";
import { isArchivable, partitionRetentionDays } from "../src/audit/retention.ts";
import { loadEnv } from "../src/env.ts";
import { startWorker } from "../src/jobs/runner.ts";
import { createLogger } from "../src/logger.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

const run = promisify(execFile);
const apiDir = path.resolve(import.meta.dirname, "..");
const DAY = 86_400_000;

describe("audit partitions, retention, archive and restore", () => {
  let db: TestDatabase;
  let client: pg.Client;
  let dir: string;
  let store: AuditArchiveStore;
  const now = new Date();
  const longTenant = randomUUID(); // retention 730 days
  const shortTenant = randomUUID(); // retention 30 days
  // 30 months ago: both tenants, expired for both; 6 months ago: both, expired only for the short one; 3 months ago: short only
  const old = monthStart(now, -30);
  const mixed = monthStart(now, -6);
  const shortOnly = monthStart(now, -3);
  const snapshots = new Map<string, string[]>();

  const q = async <R extends Record<string, unknown> = Record<string, any>>(sql: string, values?: unknown[]) => (await client.query<R>(sql, values)).rows;
  const attached = async () => (await listAuditPartitions(client)).filter((p) => p.attached).map((p) => p.name);
  const snapshot = (month: Date) =>
    q<{ row: string }>(`SELECT t::text AS row FROM "AuditEvent" t WHERE "changedAt" >= $1::timestamp AND "changedAt" < $2::timestamp ORDER BY id, "changedAt"`, [
      month.toISOString().slice(0, 23), monthStart(month, 1).toISOString().slice(0, 23),
    ]).then((rows) => rows.map((r) => r.row));
  const cli = (...args: string[]) =>
    run(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      cwd: apiDir,
      env: { ...process.env, DATABASE_URL: db.url, AUDIT_ARCHIVE_DIR: dir, NODE_ENV: "test", LOG_LEVEL: "silent", JWT_SECRET: "x".repeat(40), ENCRYPTION_KEY: "0".repeat(64) },
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    dir = mkdtempSync(path.join(tmpdir(), "audit-archive-"));
    store = localArchiveStore(dir);
    for (const [id, days] of [[longTenant, 730], [shortTenant, 30]] as const) {
      await q(`INSERT INTO "Tenant" (id, slug, name, "updatedAt") VALUES ($1, $2, $2, now())`, [id, `t-${id.slice(0, 8)}`]);
      await q(`INSERT INTO "TenantConfig" (id, "tenantId", "auditRetentionDays", "updatedAt") VALUES ($1, $2, $3, now())`, [randomUUID(), id, days]);
    }
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** n rows spread over `month` (ms precision), of the given tenants in turn, with awkward JSON and nulls. */
  const insertRows = (month: Date, n: number, tenants: string[]) =>
    q(
      `INSERT INTO "AuditEvent" (id, "tenantId", "changedAt", "actorKind", "actorId", "actorLabel", "onBehalfOf", action, "eventType",
         "entityType", "entityId", before, after, "requestId", ip, "userAgent")
       SELECT gen_random_uuid(), ($3::uuid[])[1 + i % array_length($3::uuid[], 1)],
              $1::timestamp + ((i::bigint * 104729) % 2419200000) * interval '1 millisecond',
              CASE WHEN i % 3 = 0 THEN 'system' ELSE 'user' END, CASE WHEN i % 3 = 0 THEN NULL ELSE md5(i::text) END,
              'ünïcødé "label" ' || i, NULL, 'updated', 'job.updated', 'job', md5((i % 97)::text),
              CASE WHEN i % 5 = 0 THEN NULL ELSE jsonb_build_object('notes', E'line\\nbreak "q" ' || i, 'n', i, 'f', i / 7.0) END,
              jsonb_build_object('notes', 'after ' || i, 'tags', jsonb_build_array(i, NULL, true)),
              'req-' || i, '10.0.0.' || (i % 255), CASE WHEN i % 2 = 0 THEN NULL ELSE 'agent/' || i END
         FROM generate_series(1, $2::int) AS i`,
      [month.toISOString().slice(0, 10), n, tenants],
    );

  it("has this month's and the next three months' partitions from the migration; the worker keeps AUDIT_PARTITIONS_AHEAD months ahead on start and daily", async () => {
    const names = await attached();
    for (let i = 0; i <= 3; i++) expect(names).toContain(partitionName(monthStart(now, i)));
    await q(`DROP TABLE "${partitionName(monthStart(now, 3))}"`); // empty: as if it had never been created
    const env = loadEnv({ NODE_ENV: "test", JWT_SECRET: "x".repeat(32), ENCRYPTION_KEY: "0".repeat(64), AUDIT_PARTITIONS_AHEAD: "5" });
    const worker = await startWorker(env, db.url, createLogger("silent"), 1);
    try {
      const after = await attached();
      for (let i = 0; i <= 5; i++) expect(after).toContain(partitionName(monthStart(now, i)));
      // the worker's cron records its schedule once it has started, asynchronously
      await vi.waitFor(async () => {
        const crons = await q<{ identifier: string }>(`SELECT identifier FROM graphile_worker._private_known_crontabs ORDER BY identifier`);
        expect(crons.map((c) => c.identifier)).toEqual(expect.arrayContaining(["audit.archive", "audit.partitions"]));
      }, { timeout: 10_000, interval: 100 });
    } finally {
      await worker.stop();
    }
    const [idx] = await q<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_indexes WHERE tablename = $1 AND (indexdef LIKE '%("tenantId", "entityType", "changedAt")%' OR indexdef LIKE '%("tenantId", "entityId", "changedAt")%')`,
      [partitionName(monthStart(now, 5))],
    );
    expect(idx!.n).toBe(2); // the parent's indexes exist on every partition
  });

  it("puts rows of a month without a partition into DEFAULT, then moves them into a partition of their own", async () => {
    await insertRows(old, 6_000, [longTenant, shortTenant]);
    await insertRows(mixed, 300, [longTenant, shortTenant]);
    await insertRows(shortOnly, 200, [shortTenant]);
    expect((await q(`SELECT count(*)::int AS n FROM "AuditEvent_default"`))[0]!.n).toBe(6_500);
    const created = await ensureAuditPartitions(client, now, 3);
    expect(created.sort()).toEqual([partitionName(old), partitionName(mixed), partitionName(shortOnly)].sort());
    expect((await q(`SELECT count(*)::int AS n FROM "AuditEvent_default"`))[0]!.n).toBe(0);
    expect((await q(`SELECT count(*)::int AS n FROM "${partitionName(old)}"`))[0]!.n).toBe(6_000);
    expect(await ensureAuditPartitions(client, now, 3)).toEqual([]); // idempotent
  });

  it("archives a partition only when every row in it is past its own tenant's retention", async () => {
    const end = new Date("2025-02-01T00:00:00Z");
    expect(isArchivable({ to: end }, 30, new Date(end.getTime() + 30 * DAY))).toBe(true);
    expect(isArchivable({ to: end }, 30, new Date(end.getTime() + 30 * DAY - 1))).toBe(false);
    expect(await partitionRetentionDays(client, partitionName(old))).toBe(730);
    expect(await partitionRetentionDays(client, partitionName(mixed))).toBe(730); // the short tenant's rows wait for the long one's
    expect(await partitionRetentionDays(client, partitionName(shortOnly))).toBe(30);
    expect(await partitionRetentionDays(client, partitionName(monthStart(now, 2)))).toBeNull(); // empty
  });

  it("archives expired partitions with `npm run cli -- audit:archive`: gzip NDJSON, row count verified, then dropped", async () => {
    for (const month of [old, mixed, shortOnly]) snapshots.set(partitionName(month), await snapshot(month));
    const { stdout } = await cli("audit:archive");
    expect(stdout).toContain(`${partitionName(old)}: 6000 rows`);
    expect(stdout).toContain(`${partitionName(shortOnly)}: 200 rows`);
    expect(stdout).not.toContain(partitionName(mixed));
    const names = await attached();
    expect(names).not.toContain(partitionName(old));
    expect(names).not.toContain(partitionName(shortOnly));
    expect(names).toContain(partitionName(mixed));
    expect(names).toContain(partitionName(monthStart(now, 0)));
    expect((await q(`SELECT to_regclass($1) AS t`, [`"${partitionName(old)}"`]))[0]!.t).toBeNull();
    expect(await snapshot(old)).toEqual([]);
    expect(await snapshot(mixed)).toEqual(snapshots.get(partitionName(mixed)));
    const file = stdout.match(/-> (\S+AuditEvent_p\d+\.\S+\.ndjson\.gz)/)![1]!;
    expect(file.startsWith(dir)).toBe(true);
    expect(await countArchiveRows(await store.open(file))).toBe(6_000);
    expect(await archiveExpiredPartitions(client, { store, now })).toEqual([]); // nothing more has expired
  }, 120_000);

  it("restores archives exactly (every column) and idempotently with `npm run cli -- audit:restore --file F`, recreating the partition", async () => {
    const files = readdirSync(dir).filter((f) => f.endsWith(".ndjson.gz"));
    const fileOf = (month: Date) => path.join(dir, files.find((f) => f.startsWith(`${partitionName(month)}.`))!);
    const { stdout } = await cli("audit:restore", "--file", fileOf(old));
    expect(stdout).toContain("6000 rows, 6000 inserted");
    expect(await attached()).toContain(partitionName(old));
    expect(await snapshot(old)).toEqual(snapshots.get(partitionName(old)));
    expect(await restoreAuditArchive(client, store, path.basename(fileOf(old)))).toEqual({ rows: 6_000, inserted: 0 }); // by name in the store
    expect(await snapshot(old)).toEqual(snapshots.get(partitionName(old)));
    expect(await restoreAuditArchive(client, store, fileOf(shortOnly))).toEqual({ rows: 200, inserted: 200 });
    expect(await snapshot(shortOnly)).toEqual(snapshots.get(partitionName(shortOnly)));
    await expect(auditRestoreCommand(db.url, loadEnv({ NODE_ENV: "test", JWT_SECRET: "x".repeat(32), ENCRYPTION_KEY: "0".repeat(64), AUDIT_ARCHIVE_DIR: dir }), undefined)).rejects.toThrow(/--file is required/);
    await expect(restoreAuditArchive(client, store, "AuditEvent_p190001.missing.ndjson.gz")).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it("finishes an archival that stopped after the detach, and refuses a damaged archive file", async () => {
    await q(`ALTER TABLE "AuditEvent" DETACH PARTITION "${partitionName(mixed)}"`); // as if the process died right after
    const done = await archiveExpiredPartitions(client, { store, now });
    const resumed = done.find((d) => d.partition === partitionName(mixed))!;
    expect(resumed.rows).toBe(300);
    expect(await countArchiveRows(await store.open(resumed.location))).toBe(300);
    expect((await q(`SELECT to_regclass($1) AS t`, [`"${partitionName(mixed)}"`]))[0]!.t).toBeNull();
    expect(await restoreAuditArchive(client, store, resumed.location)).toEqual({ rows: 300, inserted: 300 });
    expect(await snapshot(mixed)).toEqual(snapshots.get(partitionName(mixed)));

    const damaged = path.join(dir, "damaged.ndjson.gz");
    const bytes = readFileSync(resumed.location);
    writeFileSync(damaged, bytes.subarray(0, Math.floor(bytes.length / 2)));
    await expect(countArchiveRows(await store.open(damaged))).rejects.toThrow();
    expect(existsSync(resumed.location)).toBe(true);
  });
});
