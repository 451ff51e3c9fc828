import { Prisma as Sql } from "../generated/prisma/client.ts";
import type { Context } from "../context.ts";
import { prisma } from "../db/client.ts";
import { runMutation, type TenantTx } from "../events/pipeline.ts";
import { badInput, conflict, notFound } from "../errors.ts";

export const workerJobStates = ["queued", "running", "retrying", "failed", "completed"] as const;
export type WorkerJobState = (typeof workerJobStates)[number];

/** A worker job of one tenant, as an admin sees it (what it is about, never the payload's secrets: payloads hold ids only). */
export interface WorkerJobRow {
  id: string;
  task: string;
  state: WorkerJobState;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAt: Date;
  createdAt: Date;
  updatedAt: Date;
  lockedAt: Date | null;
  /** When it completed (COMPLETED only). */
  completedAt: Date | null;
  payload: Record<string, unknown>;
}

/**
 * The state of a graphile-worker job: RUNNING while a worker holds it, FAILED once its attempts are spent (graphile
 * keeps such jobs), RETRYING after a failed attempt (`run_at` is the next try, `last_error` why), else QUEUED (due
 * now or scheduled for `run_at`). Completed jobs are deleted by graphile-worker: COMPLETED ones are the worker's
 * record of them (WorkerJobCompletion, jobs/completions.ts), kept WORKER_COMPLETED_RETENTION_HOURS.
 */
const state = Sql.sql`CASE WHEN j.locked_at IS NOT NULL AND j.locked_by IS NOT NULL THEN 'running'
  WHEN j.attempts >= j.max_attempts THEN 'failed' WHEN j.attempts > 0 THEN 'retrying' ELSE 'queued' END`;

const select = (tenantId: string) => Sql.sql`
  SELECT j.id::text AS id, t.identifier AS task, ${state} AS state, j.attempts::int AS attempts, j.max_attempts::int AS "maxAttempts",
         j.last_error AS "lastError", j.run_at AS "runAt", j.created_at AS "createdAt", j.updated_at AS "updatedAt",
         j.locked_at AS "lockedAt", NULL::timestamptz AS "completedAt", j.payload AS payload
    FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
   WHERE j.payload->>'tenantId' = ${tenantId}
  UNION ALL
  SELECT c.id::text, c.task, 'completed', c.attempts, c."maxAttempts", NULL, c."completedAt" AT TIME ZONE 'UTC', c."createdAt" AT TIME ZONE 'UTC',
         c."completedAt" AT TIME ZONE 'UTC', NULL, c."completedAt" AT TIME ZONE 'UTC', c.payload::json
    FROM "WorkerJobCompletion" c
   WHERE c."tenantId" = ${tenantId}::uuid`;

type Db = Pick<typeof prisma, "$queryRaw">;

/**
 * The acting tenant's worker jobs (those whose payload names it: publishing, webhook sends, status looks), newest
 * change first, filtered by task and state. Read with the process's system connection (the worker's schema and the
 * completions are not the application role's), confined to the tenant by the payload's `tenantId`.
 */
export function listWorkerJobs(tenantId: string, filter: { tasks?: readonly string[] | null; states?: readonly WorkerJobState[] | null; first: number }, db: Db = prisma) {
  const tasks = filter.tasks?.length ? Sql.sql`AND x.task = ANY(${[...filter.tasks]}::text[])` : Sql.empty;
  const states = filter.states?.length ? Sql.sql`AND x.state = ANY(${[...filter.states]}::text[])` : Sql.empty;
  return db.$queryRaw<WorkerJobRow[]>`SELECT * FROM (${select(tenantId)}) x WHERE true ${tasks} ${states} ORDER BY x."updatedAt" DESC, x.id DESC LIMIT ${filter.first}`;
}

type Action = { before: WorkerJobRow; after: WorkerJobRow | null } | { error: "not_found" } | { error: "conflict"; state: string };

/**
 * Retry or cancel, through the mutation pipeline (one transaction: the job's change, the audit row
 * `worker_job.retried | cancelled` with the job before and after; then the live event). The change itself is
 * `h2o_worker_job_action` (the queue is not the application role's schema): the transaction's tenant's job only
 * (NOT_FOUND for another's), FAILED only (CONFLICT otherwise); either refusal changes nothing.
 */
function act(ctx: Context, id: string, action: "retry" | "cancel", event: string) {
  if (!/^\d{1,18}$/.test(id)) throw badInput("not a job id", ["input", "id"]);
  return runMutation(ctx, { entityType: "worker_job", action: "updated" }, async (tx: TenantTx) => {
    const [{ result }] = (await tx.$queryRaw<Array<{ result: Action }>>`SELECT h2o_worker_job_action(${BigInt(id)}, ${action}) AS result`) as [{ result: Action }];
    if ("error" in result) {
      if (result.error === "not_found") throw notFound("worker job");
      throw conflict(`only a failed job can be retried or cancelled (this one is ${result.state})`);
    }
    const revive = (row: WorkerJobRow) => ({ ...row, runAt: new Date(row.runAt), createdAt: new Date(row.createdAt), updatedAt: new Date(row.updatedAt), lockedAt: row.lockedAt && new Date(row.lockedAt) });
    const before = revive(result.before);
    const after = result.after && revive(result.after);
    return { result: after ?? before, entityId: id, before, after, eventType: event };
  });
}

/** A failed job of the tenant runs again now, with its attempts reset. NOT_FOUND for another tenant's. */
export function retryWorkerJob(ctx: Context, id: string): Promise<WorkerJobRow> {
  return act(ctx, id, "retry", "worker_job.retried");
}

/** A failed job of the tenant is dropped for good (returned as it was). NOT_FOUND for another tenant's. */
export function cancelWorkerJob(ctx: Context, id: string): Promise<WorkerJobRow> {
  return act(ctx, id, "cancel", "worker_job.cancelled");
}
