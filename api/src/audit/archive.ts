import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import type { Env } from "../env.ts";
import { AUDIT_TABLE, listAuditPartitions, monthStart, partitionName, type AuditPartition, type Queryable } from "./partitions.ts";
import { isArchivable, partitionRetentionDays } from "./retention.ts";

/** Where archive files go: AUDIT_ARCHIVE_DIR, or `<DATA_DIR>/audit-archive`. (No S3 upload: see the report of issue 5.) */
export const auditArchiveDir = (env: Pick<Env, "DATA_DIR" | "AUDIT_ARCHIVE_DIR">) => env.AUDIT_ARCHIVE_DIR ?? path.join(env.DATA_DIR, "audit-archive");

export interface ArchivedPartition {
  partition: string;
  file: string;
  rows: number;
}

interface Logish {
  info(obj: object, msg: string): void;
}

const BATCH = 5_000;
const lock = (db: Queryable) => db.query("SELECT pg_advisory_xact_lock(hashtext('AuditEvent partitions'))");

/**
 * Archives every expired monthly partition (see retention.ts for the rule), oldest first, and finishes any archival
 * a crash interrupted (a partition left detached). For each: DETACH it (its rows leave the live table in one
 * step), write it to `<dir>/<partition>.<timestamp>.ndjson.gz` (one JSON object per row, as PostgreSQL's
 * row_to_json renders it, written to a temporary name, fsynced, renamed), read the file back and check that its
 * row count equals the table's, and only then DROP the table. A mismatch re-attaches the partition and throws.
 * `db` must be one connection (not a pool): the steps use transactions. Returns what it archived.
 */
export async function archiveExpiredPartitions(db: Queryable, options: { dir: string; now?: Date; log?: Logish }): Promise<ArchivedPartition[]> {
  const now = options.now ?? new Date();
  const done: ArchivedPartition[] = [];
  for (const partition of await listAuditPartitions(db)) {
    if (partition.attached) {
      if (partition.to.getTime() > monthStart(now).getTime()) continue; // this month and later: never
      const retention = await partitionRetentionDays(db, partition.name);
      if (retention !== null && !isArchivable(partition, retention, now)) continue;
      await detach(db, partition);
    }
    const archived = await archiveDetached(db, partition, options.dir, now);
    options.log?.info({ ...archived }, "audit partition archived");
    done.push(archived);
  }
  return done;
}

async function detach(db: Queryable, partition: AuditPartition) {
  await db.query("BEGIN");
  try {
    await lock(db);
    await db.query(`ALTER TABLE "${AUDIT_TABLE}" DETACH PARTITION "${partition.name}"`);
    await db.query("COMMIT");
  } catch (err) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

async function archiveDetached(db: Queryable, partition: AuditPartition, dir: string, now: Date): Promise<ArchivedPartition> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, `${partition.name}.${now.toISOString().replace(/[-:.]/g, "")}.ndjson.gz`);
  const temporary = `${file}.partial`;
  try {
    await pipeline(Readable.from(partitionLines(db, partition.name)), createGzip(), createWriteStream(temporary));
    const handle = await open(temporary, "r+");
    await handle.sync();
    await handle.close();
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  const inFile = await countArchiveRows(file);
  await db.query("BEGIN");
  try {
    await lock(db);
    const { rows } = await db.query<{ n: number; attached: boolean }>(
      `SELECT (SELECT count(*)::int FROM "${partition.name}") AS n,
              EXISTS (SELECT FROM pg_inherits WHERE inhrelid = to_regclass($1)) AS attached`,
      [`"${partition.name}"`],
    );
    const { n, attached } = rows[0]!;
    if (attached || n !== inFile) {
      await db.query("ROLLBACK");
      if (!attached) await db.query("SELECT audit_ensure_partition($1::date)", [partition.from.toISOString().slice(0, 10)]);
      throw new Error(`audit archive of ${partition.name}: the file has ${inFile} rows, the table ${n}${attached ? " and was re-attached meanwhile" : ""}; kept the partition (re-attached), file ${file}`);
    }
    await db.query(`DROP TABLE "${partition.name}"`);
    await db.query("COMMIT");
  } catch (err) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  return { partition: partition.name, file, rows: inFile };
}

/** The partition's rows as NDJSON text, in primary-key order, a batch at a time (keyset pagination). */
async function* partitionLines(db: Queryable, table: string): AsyncGenerator<string> {
  let last: { id: string; changedAt: string } | null = null;
  for (;;) {
    const page: { rows: Array<{ id: string; changedAt: string; line: string }> } = await db.query(
      `SELECT t.id::text AS id, t."changedAt"::text AS "changedAt", row_to_json(t)::text AS line FROM "${table}" t
        WHERE $1::uuid IS NULL OR (t.id, t."changedAt") > ($1::uuid, $2::timestamp)
        ORDER BY t.id, t."changedAt" LIMIT ${BATCH}`,
      [last?.id ?? null, last?.changedAt ?? null],
    );
    const rows = page.rows;
    if (!rows.length) return;
    yield rows.map((r) => `${r.line}\n`).join("");
    const tail: { id: string; changedAt: string } = rows[rows.length - 1]!;
    last = { id: tail.id, changedAt: tail.changedAt };
  }
}

/** Reads an archive file through: its number of rows. Throws when the file is not valid gzip or a line is not JSON. */
export async function countArchiveRows(file: string): Promise<number> {
  let n = 0;
  for await (const line of archiveLines(file)) {
    JSON.parse(line);
    n++;
  }
  return n;
}

function archiveLines(file: string): AsyncIterable<string> {
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
  return (async function* () {
    for await (const line of lines) if (line.trim()) yield line;
  })();
}

/**
 * Loads an archive file back into the audit table, idempotently: rows already present are skipped (ON CONFLICT DO
 * NOTHING on the primary key), and a missing monthly partition is created first. Rows go straight into their
 * partition (not through the parent's row-level security, as they belong to many tenants). Restored rows past
 * their retention are archived again by the next archival run (a restore is for an investigation).
 * Returns how many rows the file has and how many were inserted.
 */
export async function restoreAuditArchive(db: Queryable, file: string): Promise<{ rows: number; inserted: number }> {
  let rows = 0;
  let inserted = 0;
  const batches = new Map<string, string[]>();
  const flush = async (month: string) => {
    const batch = batches.get(month);
    if (!batch?.length) return;
    batches.set(month, []);
    const start = new Date(`${month}-01T00:00:00Z`);
    await db.query("SELECT audit_ensure_partition($1::date)", [`${month}-01`]);
    const result = await db.query(
      `INSERT INTO "${partitionName(start)}" SELECT * FROM json_populate_recordset(NULL::"${AUDIT_TABLE}", $1::json) ON CONFLICT DO NOTHING`,
      [`[${batch.join(",")}]`],
    );
    inserted += result.rowCount ?? 0;
  };
  for await (const line of archiveLines(file)) {
    const row = JSON.parse(line) as { changedAt?: unknown };
    if (typeof row.changedAt !== "string" || !/^\d{4}-\d{2}-/.test(row.changedAt)) throw new Error(`${file}: line ${rows + 1} has no changedAt`);
    const month = row.changedAt.slice(0, 7);
    const batch = batches.get(month) ?? [];
    batch.push(line);
    batches.set(month, batch);
    rows++;
    if (batch.length >= 1_000) await flush(month);
  }
  for (const month of batches.keys()) await flush(month);
  return { rows, inserted };
}
