import { Prisma as Sql } from "../generated/prisma/client.ts";
import { prisma } from "../db/client.ts";
import { badInput, conflict, notFound } from "../errors.ts";

export const workerJobStates = ["queued", "running", "retrying", "failed"] as const;
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
  payload: Record<string, unknown>;
}

/**
 * The state of a graphile-worker job: RUNNING while a worker holds it, FAILED once its attempts are spent (graphile
 * keeps such jobs), RETRYING after a failed attempt (`run_at` is the next try, `last_error` why), else QUEUED (due
 * now or scheduled for `run_at`). Completed jobs are deleted by graphile-worker, so they are not listed.
 */
const state = Sql.sql`CASE WHEN j.locked_at IS NOT NULL AND j.locked_by IS NOT NULL THEN 'running'
  WHEN j.attempts >= j.max_attempts THEN 'failed' WHEN j.attempts > 0 THEN 'retrying' ELSE 'queued' END`;

const select = (tenantId: string) => Sql.sql`
  SELECT j.id::text AS id, t.identifier AS task, ${state} AS state, j.attempts::int AS attempts, j.max_attempts::int AS "maxAttempts",
         j.last_error AS "lastError", j.run_at AS "runAt", j.created_at AS "createdAt", j.updated_at AS "updatedAt",
         j.locked_at AS "lockedAt", j.payload AS payload
    FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
   WHERE j.payload->>'tenantId' = ${tenantId}`;

type Db = Pick<typeof prisma, "$queryRaw">;

/**
 * The acting tenant's worker jobs (those whose payload names it: publishing, webhook sends, status looks), newest
 * change first, filtered by task and state. Read with the process's system connection (the worker's schema is not
 * the application role's), confined to the tenant by the payload's `tenantId`.
 */
export function listWorkerJobs(tenantId: string, filter: { tasks?: readonly string[] | null; states?: readonly WorkerJobState[] | null; first: number }, db: Db = prisma) {
  const tasks = filter.tasks?.length ? Sql.sql`AND x.task = ANY(${[...filter.tasks]}::text[])` : Sql.empty;
  const states = filter.states?.length ? Sql.sql`AND x.state = ANY(${[...filter.states]}::text[])` : Sql.empty;
  return db.$queryRaw<WorkerJobRow[]>`SELECT * FROM (${select(tenantId)}) x WHERE true ${tasks} ${states} ORDER BY x."updatedAt" DESC, x.id DESC LIMIT ${filter.first}`;
}

async function failedJob(tx: Db, tenantId: string, id: string) {
  if (!/^\d{1,18}$/.test(id)) throw badInput("not a job id", ["input", "id"]);
  const [job] = await tx.$queryRaw<WorkerJobRow[]>`SELECT * FROM (${select(tenantId)} AND j.id = ${BigInt(id)} FOR UPDATE OF j) x`;
  if (!job) throw notFound("worker job");
  if (job.state !== "failed") throw conflict(`only a failed job can be retried or cancelled (this one is ${job.state})`);
  return job;
}

/** A failed job of the tenant runs again now, with its attempts reset (one transaction). NOT_FOUND for another tenant's. */
export function retryWorkerJob(tenantId: string, id: string): Promise<WorkerJobRow> {
  return prisma.$transaction(async (tx) => {
    await failedJob(tx, tenantId, id);
    await tx.$queryRaw`SELECT graphile_worker.reschedule_jobs(ARRAY[${BigInt(id)}]::bigint[], run_at := now(), attempts := 0)`;
    const [job] = await tx.$queryRaw<WorkerJobRow[]>`SELECT * FROM (${select(tenantId)} AND j.id = ${BigInt(id)}) x`;
    return job!;
  });
}

/** A failed job of the tenant is dropped for good (one transaction). NOT_FOUND for another tenant's. */
export function cancelWorkerJob(tenantId: string, id: string): Promise<WorkerJobRow> {
  return prisma.$transaction(async (tx) => {
    const job = await failedJob(tx, tenantId, id);
    await tx.$queryRaw`SELECT graphile_worker.complete_jobs(ARRAY[${BigInt(id)}]::bigint[])`;
    return job;
  });
}
