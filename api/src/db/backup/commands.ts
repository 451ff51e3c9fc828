import { mkdirSync, openSync, readSync, closeSync, statSync } from "node:fs";
import path from "node:path";
import { restoreCopyBackup, writeCopyBackup } from "./copy-format.ts";
import { restorePgDump, usablePgDump, writePgDump } from "./pg-dump.ts";

export type BackupMethod = "pg_dump" | "copy";

/**
 * `db:backup [--file F] [--method pg_dump|copy]`: a consistent logical backup of the whole database. Without
 * `--method`, the system's pg_dump when it can read the server, else the COPY method (no external binary). Without
 * `--file`, `<dir>/h2o-acp-<time>.dump` (pg_dump's custom format) or `.copy.gz` (the COPY format).
 */
export async function backupDatabase(url: string, opts: { file?: string; method?: string; dir: string }): Promise<{ file: string; method: BackupMethod; detail: string }> {
  const method = await chooseMethod(url, opts.method);
  const file = opts.file ?? path.join(opts.dir, `h2o-acp-${new Date().toISOString().replace(/[:.]/g, "-")}${method.method === "pg_dump" ? ".dump" : ".copy.gz"}`);
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if (method.method === "pg_dump") {
    await writePgDump(url, file);
    return { file, method: "pg_dump", detail: `${statSync(file).size} bytes` };
  }
  const counts = await writeCopyBackup(url, file);
  const rows = Object.values(counts).reduce((a, b) => a + b, 0);
  return { file, method: "copy", detail: `${Object.keys(counts).length} tables, ${rows} rows, ${statSync(file).size} bytes${method.why ? ` (${method.why})` : ""}` };
}

async function chooseMethod(url: string, wanted: string | undefined): Promise<{ method: BackupMethod; why?: string }> {
  if (wanted !== undefined && wanted !== "pg_dump" && wanted !== "copy") throw new Error(`--method must be pg_dump or copy, not ${wanted}`);
  if (wanted === "copy") return { method: "copy" };
  const pgDump = await usablePgDump(url);
  if ("bin" in pgDump) return { method: "pg_dump" };
  if (wanted === "pg_dump") throw new Error(`--method pg_dump: ${pgDump.reason}`);
  return { method: "copy", why: pgDump.reason };
}

/**
 * `db:restore --file F [--replace]`: loads a backup of either method into the database, all or nothing. The
 * database must hold no data (a new one) unless `--replace`. The method is read from the file itself.
 */
export async function restoreDatabase(url: string, file: string | undefined, opts: { replace?: boolean } = {}): Promise<{ method: BackupMethod; detail: string }> {
  if (!file || file === "true") throw new Error("--file is required: a backup written by db:backup");
  if (fileStartsWith(file, "PGDMP")) {
    await restorePgDump(url, file, opts);
    return { method: "pg_dump", detail: "pg_restore done" };
  }
  if (!fileStartsWith(file, "\x1f\x8b")) throw new Error(`${file} is neither a pg_dump custom-format dump nor an H2O-ACP backup`);
  const counts = await restoreCopyBackup(url, file, opts);
  return { method: "copy", detail: `${Object.keys(counts).length} tables, ${Object.values(counts).reduce((a, b) => a + b, 0)} rows` };
}

function fileStartsWith(file: string, magic: string): boolean {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(magic.length);
    readSync(fd, buf, 0, magic.length, 0);
    return buf.equals(Buffer.from(magic, "latin1"));
  } finally {
    closeSync(fd);
  }
}
