import { parseCronItems, type ParsedCronItem, type TaskList } from "graphile-worker";
import { archiveExpiredPartitions } from "../audit/archive.ts";
import { auditArchiveStore, type ArchiveEnv } from "../audit/archive-store.ts";
import { ensureAuditPartitions, type Queryable } from "../audit/partitions.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";

export const AUDIT_PARTITIONS_TASK = "audit.partitions";
export const AUDIT_ARCHIVE_TASK = "audit.archive";

type AuditEnv = ArchiveEnv & Pick<Env, "AUDIT_PARTITIONS_AHEAD" | "AUDIT_PARTITIONS_CRON">;

/**
 * The audit trail's worker side:
 * - `audit.partitions` keeps the current month's and the next AUDIT_PARTITIONS_AHEAD months' partitions in place
 *   (and moves rows out of the DEFAULT partition), daily at 03:17 UTC (AUDIT_PARTITIONS_CRON) and when the worker
 *   starts (`onStart`);
 * - `audit.archive` archives expired partitions (audit/archive.ts), daily at 03:47 UTC.
 * Both are idempotent, so a retried or doubled run (two workers) does no harm. No backfill: a missed day is caught
 * up by the next run, and partitions are kept months ahead.
 */
export function auditMaintenance(env: AuditEnv, log: Logger) {
  const tasks: TaskList = {
    [AUDIT_PARTITIONS_TASK]: async (_payload, helpers) => {
      const created = await helpers.withPgClient((client) => ensureAuditPartitions(client as unknown as Queryable, new Date(), env.AUDIT_PARTITIONS_AHEAD));
      if (created.length) log.info({ created }, "audit partitions created");
    },
    [AUDIT_ARCHIVE_TASK]: async (_payload, helpers) => {
      const store = await auditArchiveStore(env);
      await helpers.withPgClient((client) => archiveExpiredPartitions(client as unknown as Queryable, { store, log }));
    },
  };
  const cronItems: ParsedCronItem[] = parseCronItems([
    { task: AUDIT_PARTITIONS_TASK, match: env.AUDIT_PARTITIONS_CRON, identifier: AUDIT_PARTITIONS_TASK },
    { task: AUDIT_ARCHIVE_TASK, match: "47 3 * * *", identifier: AUDIT_ARCHIVE_TASK },
  ]);
  return {
    tasks,
    cronItems,
    /** Run before the worker takes jobs: partitions are in place even if the cron has never fired yet. */
    async onStart(db: Queryable) {
      const created = await ensureAuditPartitions(db, new Date(), env.AUDIT_PARTITIONS_AHEAD);
      if (created.length) log.info({ created }, "audit partitions created");
    },
  };
}
