import { createInterface } from "node:readline";
import { Readable, type Transform } from "node:stream";
import { createGunzip, createGzip } from "node:zlib";
import type { AuditArchiveStore } from "./archive-store.ts";
import { AUDIT_TABLE, listAuditPartitions, monthStart, partitionName, type AuditPartition, type Queryable } from "./partitions.ts";
import { isArchivable, partitionRetentionDays } from "./retention.ts";

export interface ArchivedPartition {
  partition: string;
  /** Where the archive is: a file path or `s3://bucket/key` (what `audit:restore --file` takes). */
  location: string;
  rows: number;
  bytes: number;
}

interface Logish {
  info(obj: object, msg: string): void;
}

const BATCH = 5_000;
const lock = (db: Queryable) => db.query("SELECT pg_advisory_xact_lock(hashtext('AuditEvent partitions'))");

/**
 * Archives every expired monthly partition (see retention.ts for the rule), oldest first, and finishes any archival
 * a crash interrupted (a partition left detached). For each: DETACH it (its rows leave the live table in one
 * step), write it to the store as `<partition>.<timestamp>.ndjson.gz` (one JSON object per row, as PostgreSQL's
 * row_to_json renders it; the store checks the stored size), read it back from the store and check that its row
 * count equals the table's, and only then DROP the table. A failed write or a count mismatch re-attaches the
 * partition and throws, so the rows stay where they were. `db` must be one connection (not a pool): the steps use
 * transactions. Returns what it archived.
 */
export async function archiveExpiredPartitions(db: Queryable, options: { store: AuditArchiveStore; now?: Date; log?: Logish }): Promise<ArchivedPartition[]> {
  const now = options.now ?? new Date();
  const done: ArchivedPartition[] = [];
  for (const partition of await listAuditPartitions(db)) {
    if (partition.attached) {
      if (partition.to.getTime() > monthStart(now).getTime()) continue; // this month and later: never
      const retention = await partitionRetentionDays(db, partition.name);
      if (retention !== null && !isArchivable(partition, retention, now)) continue;
      await detach(db, partition);
    }
    const archived = await archiveDetached(db, partition, options.store, now);
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

const reattach = (db: Queryable, partition: AuditPartition) => db.query("SELECT audit_ensure_partition($1::date)", [partition.from.toISOString().slice(0, 10)]);

async function archiveDetached(db: Queryable, partition: AuditPartition, store: AuditArchiveStore, now: Date): Promise<ArchivedPartition> {
  const name = `${partition.name}.${now.toISOString().replace(/[-:.]/g, "")}.ndjson.gz`;
  let stored: { location: string; bytes: number };
  let inArchive: number;
  try {
    stored = await store.put(name, through(Readable.from(partitionLines(db, partition.name)), createGzip()));
    inArchive = await countArchiveRows(await store.open(stored.location));
  } catch (err) {
    // the write's error is the one to report; if re-attaching fails too, the next run finds the partition detached and finishes it
    await reattach(db, partition).catch(() => undefined);
    throw err;
  }
  await db.query("BEGIN");
  try {
    await lock(db);
    const { rows } = await db.query<{ n: number; attached: boolean }>(
      `SELECT (SELECT count(*)::int FROM "${partition.name}") AS n,
              EXISTS (SELECT FROM pg_inherits WHERE inhrelid = to_regclass($1)) AS attached`,
      [`"${partition.name}"`],
    );
    const { n, attached } = rows[0]!;
    if (attached || n !== inArchive) {
      await db.query("ROLLBACK");
      if (!attached) await reattach(db, partition);
      throw new Error(`audit archive of ${partition.name}: the archive has ${inArchive} rows, the table ${n}${attached ? " and was re-attached meanwhile" : ""}; kept the partition (re-attached), archive ${stored.location}`);
    }
    await db.query(`DROP TABLE "${partition.name}"`);
    await db.query("COMMIT");
  } catch (err) {
    await db.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  return { partition: partition.name, location: stored.location, rows: inArchive, bytes: stored.bytes };
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

/** Reads an archive through (its gzip bytes): its number of rows. Throws when it is not valid gzip or a line is not JSON. */
export async function countArchiveRows(archive: Readable): Promise<number> {
  let n = 0;
  for await (const line of archiveLines(archive)) {
    JSON.parse(line);
    n++;
  }
  return n;
}

async function* archiveLines(archive: Readable): AsyncGenerator<string> {
  for await (const line of createInterface({ input: through(archive, createGunzip()), crlfDelay: Infinity })) if (line.trim()) yield line;
}

/** `source.pipe(transform)`, with the source's errors passed on (`pipe` alone would leave the reader waiting). */
function through(source: Readable, transform: Transform): Transform {
  source.on("error", (err) => transform.destroy(err));
  return source.pipe(transform);
}

/**
 * Loads an archive (`location` in `store`, as archival reported it, or a bare name) back into the audit table,
 * idempotently: rows already present are skipped (ON CONFLICT DO NOTHING on the primary key), and a missing monthly
 * partition is created first. Rows go straight into their partition (not through the parent's row-level security, as they belong to many tenants). Restored rows past
 * their retention are archived again by the next archival run (a restore is for an investigation).
 * Returns how many rows the archive has and how many were inserted.
 */
export async function restoreAuditArchive(db: Queryable, store: AuditArchiveStore, location: string): Promise<{ rows: number; inserted: number }> {
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
  for await (const line of archiveLines(await store.open(location))) {
    const row = JSON.parse(line) as { changedAt?: unknown };
    if (typeof row.changedAt !== "string" || !/^\d{4}-\d{2}-/.test(row.changedAt)) throw new Error(`${location}: line ${rows + 1} has no changedAt`);
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
