import type { WorkerEvents } from "graphile-worker";
import pg from "pg";
import type { Logger } from "../logger.ts";

/** The first key of the advisory locks that mark a graphile-worker worker as alive ("hw"). */
const LOCK_NAMESPACE = 0x6877;

export interface WorkerLivenessOptions {
  databaseUrl: string;
  events: WorkerEvents;
  log: Logger;
  /** How often to look for jobs of dead workers. */
  intervalMs: number;
  /** Only locks older than this are examined, so a worker starting up has time to announce itself (default: 5 intervals, at most 10 s). */
  graceMs?: number;
}

/**
 * Crash recovery for graphile-worker. A worker killed mid-job (kill -9, OOM, lost machine) leaves its jobs, and its
 * queues' locks, held for 4 hours, graphile-worker's lock timeout; `force_unlock_workers` releases them, but only
 * for workers known to be dead. This makes death observable: each worker pool of this process holds a session-level
 * advisory lock named after its id (what graphile-worker writes as `locked_by`) on one dedicated connection, which Postgres releases the moment the
 * process dies. Every `intervalMs` (and at start), any worker id holding job or queue locks for longer than
 * `graceMs` whose advisory lock is free is dead, and its locks are released: the jobs run again on a live worker.
 * Limits: every worker on the database must run this (a worker that does not is taken for dead); a network
 * partition that drops only the dedicated connection also counts as death (the job may then run twice: our
 * tasks are idempotent, and a webhook repeated is repeated with the same `webhook-id`).
 */
export async function startWorkerLiveness(options: WorkerLivenessOptions): Promise<{ recover(): Promise<string[]>; stop(): Promise<void> }> {
  const { log, intervalMs, graceMs = Math.min(10_000, 5 * intervalMs) } = options;
  const client = new pg.Client({ connectionString: options.databaseUrl, application_name: "h2o-acp-worker-liveness" });
  client.on("error", (err) => log.error({ err }, "worker liveness connection failed"));
  await client.connect();
  // one statement at a time on the dedicated connection
  let queue: Promise<unknown> = Promise.resolve();
  const query = <R extends pg.QueryResultRow>(sql: string, values: unknown[]) => {
    const next = queue.then(() => client.query<R>(sql, values));
    queue = next.catch(() => undefined);
    return next;
  };
  const mine = new Set<string>();
  // graphile-worker 0.17 locks jobs and queues in the name of the worker pool (`locked_by` = the pool's id)
  const onPool = ({ workerPool }: { workerPool: { id: string } }) => {
    mine.add(workerPool.id);
    query("SELECT pg_advisory_lock($1, hashtext($2))", [LOCK_NAMESPACE, workerPool.id]).catch((err) => log.error({ err }, "announcing a worker pool failed"));
  };
  options.events.on("pool:create", onPool);

  let stopped = false;
  async function recover(): Promise<string[]> {
    const { rows } = await query<{ locked_by: string }>(
      `SELECT locked_by FROM graphile_worker._private_jobs WHERE locked_by IS NOT NULL AND locked_at < now() - make_interval(secs => $1)
       UNION SELECT locked_by FROM graphile_worker._private_job_queues WHERE locked_by IS NOT NULL AND locked_at < now() - make_interval(secs => $1)`,
      [graceMs / 1000],
    );
    const dead: string[] = [];
    for (const { locked_by: id } of rows) {
      if (mine.has(id)) continue;
      const { rows: probe } = await query<{ free: boolean }>("SELECT pg_try_advisory_lock($1, hashtext($2)) AS free", [LOCK_NAMESPACE, id]);
      if (!probe[0]?.free) continue;
      await query("SELECT pg_advisory_unlock($1, hashtext($2))", [LOCK_NAMESPACE, id]);
      dead.push(id);
    }
    if (dead.length) {
      await query("SELECT graphile_worker.force_unlock_workers($1::text[])", [dead]);
      log.warn({ workers: dead }, "released the jobs of dead workers");
    }
    return dead;
  }

  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = recover().catch((err) => log.error({ err }, "worker crash recovery failed"));
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return {
    recover,
    async stop() {
      stopped = true;
      clearInterval(timer);
      options.events.off("pool:create", onPool);
      await running;
      await queue;
      await client.end();
    },
  };
}
