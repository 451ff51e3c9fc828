import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

/**
 * The system's `pg_dump` (custom format, one snapshot) when it is on PATH and can read the server: pg_dump refuses a
 * server of a newer major version (the embedded PostgreSQL 18 against Debian 12's client 15), and then the COPY
 * method is used instead. Returns the pg_dump path, or the reason it cannot be used.
 */
export async function usablePgDump(url: string, bin = "pg_dump"): Promise<{ bin: string } | { reason: string }> {
  let clientMajor: number;
  try {
    const { stdout } = await run(bin, ["--version"]);
    clientMajor = Number(/(\d+)(\.\d+)?/.exec(stdout)?.[1]);
  } catch {
    return { reason: `${bin} is not installed` };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: [r] } = await client.query<{ v: string }>("SELECT current_setting('server_version_num') AS v");
    const serverMajor = Math.floor(Number(r!.v) / 10000);
    return clientMajor >= serverMajor ? { bin } : { reason: `${bin} is version ${clientMajor}, the server ${serverMajor}` };
  } finally {
    await client.end();
  }
}

/** Runs a PostgreSQL client program against `url`, its password in PGPASSWORD rather than on the command line. */
function exec(bin: string, url: string, args: string[]): Promise<void> {
  const target = new URL(url);
  const password = decodeURIComponent(target.password);
  target.password = "";
  return new Promise((resolve, reject) => {
    const stderr: string[] = [];
    const env = password ? { ...process.env, PGPASSWORD: password } : process.env;
    const child = spawn(bin, [...args, "--dbname", target.toString()], { stdio: ["ignore", "ignore", "pipe"], env });
    child.stderr.on("data", (d) => stderr.push(String(d)));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${bin} exited with ${code}: ${stderr.join("").trim()}`))));
  });
}

/** `pg_dump --format=custom`: the whole database, schema and data, consistent (pg_dump reads one snapshot). */
export const writePgDump = (url: string, file: string, bin = "pg_dump") =>
  exec(bin, url, ["--format=custom", "--no-owner", "--file", file]);

/**
 * `pg_restore` into the database at `url`, in one transaction (all or nothing), stopping at the first error. The
 * target must be a new, empty database: pg_restore's `--clean` cannot drop partitioned tables' inherited
 * constraints, so there is no `--replace` for this format.
 */
export async function restorePgDump(url: string, file: string, opts: { replace?: boolean; bin?: string } = {}): Promise<void> {
  if (opts.replace) throw new Error("--replace works with the COPY format only: restore a pg_dump backup into a new, empty database");
  // the dump's policies and grants name the application role, which lives in the cluster, not in the dump
  // (created as in prisma/migrations/*_identity_rls): a new cluster needs it first
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows: [used] } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('public', 'graphile_worker') AND c.relkind IN ('r', 'p')`);
    if (used!.n > 0) throw new Error("the target database is not empty: restore a pg_dump backup into a new, empty database");
    await client.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'h2o_app') THEN CREATE ROLE h2o_app NOLOGIN NOSUPERUSER NOBYPASSRLS; END IF;
    END $$`);
  } finally {
    await client.end();
  }
  await exec(opts.bin ?? "pg_restore", url, [
    "--no-owner", "--single-transaction", "--exit-on-error", ...(opts.replace ? ["--clean", "--if-exists"] : []), file,
  ]);
}
