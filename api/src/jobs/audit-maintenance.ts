import type { ParsedCronItem, TaskList } from "graphile-worker";
import { archiveExpiredPartitions } from "../audit/archive.ts";
import { auditArchiveStore, type ArchiveEnv } from "../audit/archive-store.ts";
import { ensureAuditPartitions, type Queryable } from "../audit/partitions.ts";
import type { Env } from "../env.ts";
import type { Logger } from "../logger.ts";
import { auditJobDefinitions } from "./definitions.ts";
import { cronItemsOf, taskListOf, type JobHandler } from "./queue.ts";

type AuditEnv = ArchiveEnv & Pick<Env, "AUDIT_PARTITIONS_AHEAD" | "AUDIT_PARTITIONS_CRON">;

/** What the audit trail's jobs share. */
export interface AuditWorkerDeps {
  env: AuditEnv;
  log: Logger;
}

/** `audit.partitions` (jobs/definitions.ts): the partitions months ahead, on the job's own connection. */
export const partitionsHandler = ({ env, log }: AuditWorkerDeps): JobHandler<Record<string, unknown>> => async (_payload, helpers) => {
  const created = await helpers.withPgClient((client) => ensureAuditPartitions(client as unknown as Queryable, new Date(), env.AUDIT_PARTITIONS_AHEAD));
  if (created.length) log.info({ created }, "audit partitions created");
};

/** `audit.archive` (jobs/definitions.ts): expired partitions archived and dropped. */
export const archiveHandler = ({ env, log }: AuditWorkerDeps): JobHandler<Record<string, unknown>> => async (_payload, helpers) => {
  const store = await auditArchiveStore(env);
  await helpers.withPgClient((client) => archiveExpiredPartitions(client as unknown as Queryable, { store, log }));
};

/**
 * The audit trail's worker side: `audit.partitions` and `audit.archive` (jobs/definitions.ts), both on a schedule and
 * idempotent, so a retried or doubled run (two workers) does no harm. No backfill: a missed day is caught up by the
 * next run, and partitions are kept months ahead.
 */
export async function auditMaintenance(env: AuditEnv, log: Logger): Promise<{ tasks: TaskList; cronItems: ParsedCronItem[]; onStart(db: Queryable): Promise<void> }> {
  return {
    tasks: await taskListOf(auditJobDefinitions, { env, log }),
    cronItems: cronItemsOf(auditJobDefinitions, env),
    /** Run before the worker takes jobs: partitions are in place even if the cron has never fired yet. */
    async onStart(db: Queryable) {
      const created = await ensureAuditPartitions(db, new Date(), env.AUDIT_PARTITIONS_AHEAD);
      if (created.length) log.info({ created }, "audit partitions created");
    },
  };
}
