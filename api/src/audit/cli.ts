import pg from "pg";
import type { Env } from "../env.ts";
import { archiveExpiredPartitions, auditArchiveDir, restoreAuditArchive } from "./archive.ts";
import { ensureAuditPartitions } from "./partitions.ts";

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: "h2o-acp-cli" });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** `audit:archive`: partitions ahead first, then every expired partition archived; prints one line per file. */
export async function auditArchiveCommand(url: string, env: Env): Promise<void> {
  await withClient(url, async (client) => {
    await ensureAuditPartitions(client, new Date(), env.AUDIT_PARTITIONS_AHEAD);
    const archived = await archiveExpiredPartitions(client, { dir: auditArchiveDir(env) });
    for (const a of archived) console.log(`audit:archive: ${a.partition}: ${a.rows} rows -> ${a.file}`);
    if (!archived.length) console.log("audit:archive: no partition has expired");
  });
}

/** `audit:restore --file F`: loads an archive back (idempotent). */
export async function auditRestoreCommand(url: string, file: string | undefined): Promise<void> {
  if (!file || file === "true") throw new Error("--file is required: an archive written by audit:archive (.ndjson.gz)");
  await withClient(url, async (client) => {
    const { rows, inserted } = await restoreAuditArchive(client, file);
    console.log(`audit:restore: ${file}: ${rows} rows, ${inserted} inserted (${rows - inserted} were already present)`);
  });
}
