import { createReadStream, createWriteStream } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { migrateDeploy } from "../migrate.ts";

/**
 * The backup method that needs no external binary: every table's rows as COPY text, read inside one
 * `REPEATABLE READ READ ONLY` transaction (one snapshot, so the backup is consistent), gzip-compressed. The file:
 *   line 1: `H2O-ACP-BACKUP 1 <manifest JSON>` (migrations applied, tables and their columns, partitions, sequences)
 *   then per table: `COPY <schema>.<table>` on a line, its rows in COPY text format, `\.` on a line
 *   last: `END <row counts JSON>` (a truncated file has no END line and is refused)
 * Restore ({@link restoreCopyBackup}) migrates the target to the same migrations, then loads every table in one
 * transaction with triggers off (`session_replication_role = replica`: the counters are restored as they were, not
 * recounted) and row-level security off (`row_security = off`: refused, rather than partial, when the role cannot
 * bypass it). Needs a superuser (or the managed service's equivalent) on both ends.
 */
const MAGIC = "H2O-ACP-BACKUP 1 ";
const SCHEMAS = ["public", "graphile_worker"];

interface TableInfo { schema: string; name: string; columns: string[] }
interface Manifest {
  createdAt: string;
  serverVersion: string;
  migrations: string[];
  tables: TableInfo[];
  /** partitions to create before loading: `CREATE TABLE IF NOT EXISTS … PARTITION OF …` */
  partitions: { schema: string; name: string; parentSchema: string; parent: string; bound: string }[];
  sequences: { schema: string; name: string; lastValue: string; isCalled: boolean }[];
}

const qi = (s: string) => `"${s.replaceAll('"', '""')}"`;
const qualified = (t: { schema: string; name: string }) => `${qi(t.schema)}.${qi(t.name)}`;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: "h2o-acp-backup" });
  await client.connect();
  return client;
}

async function readManifest(client: pg.Client): Promise<Manifest> {
  const { rows: [version] } = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v");
  const { rows: migrations } = await client.query<{ name: string }>(
    `SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`);
  const { rows: tables } = await client.query<TableInfo>(`
    SELECT n.nspname AS schema, c.relname AS name,
           array_agg(a.attname::text ORDER BY a.attnum) AS columns
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
     WHERE c.relkind = 'r' AND n.nspname = ANY($1)
     GROUP BY n.nspname, c.relname ORDER BY n.nspname, c.relname`, [SCHEMAS]);
  const { rows: partitions } = await client.query<Manifest["partitions"][number]>(`
    SELECT n.nspname AS schema, c.relname AS name, pn.nspname AS "parentSchema", p.relname AS parent,
           pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_inherits i ON i.inhrelid = c.oid JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace pn ON pn.oid = p.relnamespace
     WHERE c.relispartition AND c.relkind IN ('r', 'p') AND n.nspname = ANY($1) ORDER BY 1, 2`, [SCHEMAS]);
  const { rows: sequences } = await client.query<{ schema: string; name: string }>(
    `SELECT schemaname AS schema, sequencename AS name FROM pg_sequences WHERE schemaname = ANY($1) ORDER BY 1, 2`, [SCHEMAS]);
  const seqs: Manifest["sequences"] = [];
  for (const s of sequences) {
    const { rows: [r] } = await client.query<{ last_value: string; is_called: boolean }>(`SELECT last_value::text, is_called FROM ${qualified(s)}`);
    seqs.push({ ...s, lastValue: r!.last_value, isCalled: r!.is_called });
  }
  return { createdAt: new Date().toISOString(), serverVersion: version!.v, migrations: migrations.map((m) => m.name), tables, partitions, sequences: seqs };
}

/** Writes a consistent backup of the database at `url` to `file` (gzip). Returns the rows per table. */
export async function writeCopyBackup(url: string, file: string): Promise<Record<string, number>> {
  const client = await connect(url);
  const gzip = createGzip();
  const out = pipeline(gzip, createWriteStream(file, { mode: 0o600 }));
  const write = async (chunk: string | Buffer) => { if (!gzip.write(chunk)) await once(gzip, "drain"); };
  const counts: Record<string, number> = {};
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await client.query("SET LOCAL row_security = off");
    const manifest = await readManifest(client);
    await write(`${MAGIC}${JSON.stringify(manifest)}\n`);
    for (const table of manifest.tables) {
      await write(`COPY ${qualified(table)}\n`);
      const stream = client.query(copyTo(`COPY ${qualified(table)} (${table.columns.map(qi).join(", ")}) TO STDOUT`));
      for await (const chunk of stream) await write(chunk as Buffer);
      await write("\\.\n");
      counts[`${table.schema}.${table.name}`] = stream.rowCount;
    }
    await client.query("COMMIT");
    gzip.end(`END ${JSON.stringify(counts)}\n`);
    await out;
    return counts;
  } catch (e) {
    gzip.destroy();
    await out.catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}

/**
 * Restores a backup written by {@link writeCopyBackup} into the database at `url`: migrates it, checks it is at the
 * backup's migrations, then (one transaction) empties every backed-up table and loads it, creates missing partitions
 * and sets the sequences. Refuses a database holding tenants or users unless `replace`.
 */
export async function restoreCopyBackup(url: string, file: string, opts: { replace?: boolean } = {}): Promise<Record<string, number>> {
  await migrateDeploy(url);
  const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done || !first.value.startsWith(MAGIC)) throw new Error(`${file} is not an H2O-ACP backup (no ${MAGIC.trim()} header)`);
  const manifest = JSON.parse(first.value.slice(MAGIC.length)) as Manifest;
  const client = await connect(url);
  try {
    const { rows: applied } = await client.query<{ name: string }>(
      `SELECT migration_name AS name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name`);
    const have = applied.map((m) => m.name).join("\n");
    if (have !== manifest.migrations.join("\n")) {
      throw new Error(`the backup was taken at migration ${manifest.migrations.at(-1)}, this code migrates to ${applied.at(-1)?.name}: restore with the code of the backup's version, then migrate`);
    }
    if (!opts.replace) {
      const { rows: [used] } = await client.query<{ n: number }>(`SELECT (SELECT count(*) FROM "Tenant") + (SELECT count(*) FROM "User") AS n`);
      if (Number(used!.n) > 0) throw new Error("the target database already holds tenants or users: restore into a new database, or pass --replace to overwrite it");
    }
    await client.query("BEGIN");
    await client.query("SET LOCAL session_replication_role = replica");
    await client.query("SET LOCAL row_security = off");
    for (const p of manifest.partitions) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${qualified(p)} PARTITION OF ${qi(p.parentSchema)}.${qi(p.parent)} ${p.bound}`);
    }
    await client.query(`TRUNCATE ${manifest.tables.map(qualified).join(", ")}`);
    const counts: Record<string, number> = {};
    for (;;) {
      const next = await lines.next();
      if (next.done) throw new Error(`${file} is truncated (no END line): nothing was restored`);
      if (next.value.startsWith("END ")) {
        const expected = JSON.parse(next.value.slice(4)) as Record<string, number>;
        for (const [table, n] of Object.entries(expected)) {
          if (counts[table] !== n) throw new Error(`${table}: ${counts[table] ?? 0} rows loaded, the backup says ${n}: nothing was restored`);
        }
        break;
      }
      const table = manifest.tables.find((t) => next.value === `COPY ${qualified(t)}`);
      if (!table) throw new Error(`${file}: unexpected line ${JSON.stringify(next.value.slice(0, 80))}`);
      const sink = client.query(copyFrom(`COPY ${qualified(table)} (${table.columns.map(qi).join(", ")}) FROM STDIN`));
      const done = new Promise<void>((resolve, reject) => sink.on("finish", resolve).on("error", reject));
      done.catch(() => {}); // awaited below; a failure meanwhile (a bad row) must not be an unhandled rejection
      for (;;) {
        const row = await lines.next();
        if (row.done) {
          sink.destroy(new Error("truncated"));
          throw new Error(`${file} is truncated inside ${qualified(table)}: nothing was restored`);
        }
        if (row.value === "\\.") break;
        if (!sink.write(`${row.value}\n`)) await once(sink, "drain");
      }
      sink.end();
      await done;
      counts[`${table.schema}.${table.name}`] = sink.rowCount;
    }
    for (const s of manifest.sequences) {
      await client.query(`SELECT setval($1::regclass, $2::bigint, $3)`, [qualified(s), s.lastValue, s.isCalled]);
    }
    await client.query("COMMIT");
    return counts;
  } catch (e) {
    await client.query("ROLLBACK").catch(() => {});
    throw e;
  } finally {
    await client.end();
  }
}
