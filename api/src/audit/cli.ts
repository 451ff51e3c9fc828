import pg from "pg";
import type { Env } from "../env.ts";
import { archiveExpiredPartitions, restoreAuditArchive } from "./archive.ts";
import { auditArchiveStore } from "./archive-store.ts";
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

/** `audit:archive`: partitions ahead first, then every expired partition archived; prints one line per archive. */
export async function auditArchiveCommand(url: string, env: Env): Promise<void> {
  const store = await auditArchiveStore(env);
  await withClient(url, async (client) => {
    await ensureAuditPartitions(client, new Date(), env.AUDIT_PARTITIONS_AHEAD);
    const archived = await archiveExpiredPartitions(client, { store });
    for (const a of archived) console.log(`audit:archive: ${a.partition}: ${a.rows} rows -> ${a.location}`);
    if (!archived.length) console.log(`audit:archive: no partition has expired (archives go to ${store.description})`);
  });
}

/**
 * `audit:restore --file F`: loads an archive back from the configured store (idempotent). F is what audit:archive
 * printed (a path, or `s3://bucket/key`), or an archive's name in the store.
 */
export async function auditRestoreCommand(url: string, env: Env, file: string | undefined): Promise<void> {
  if (!file || file === "true") throw new Error("--file is required: an archive written by audit:archive (.ndjson.gz)");
  const store = await auditArchiveStore(env);
  await withClient(url, async (client) => {
    const { rows, inserted } = await restoreAuditArchive(client, store, file);
    console.log(`audit:restore: ${file}: ${rows} rows, ${inserted} inserted (${rows - inserted} were already present)`);
  });
}
