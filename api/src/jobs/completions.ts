import type { Job, WorkerEvents } from "graphile-worker";
import type pg from "pg";
import type { Logger } from "../logger.ts";

/** Completions written at once at most; a flush also runs every FLUSH_MS. */
const BATCH = 500;
const FLUSH_MS = 250;
/** How often the rows past their retention are deleted. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Records the jobs this worker completes (graphile-worker deletes them) in WorkerJobCompletion, for the job view's
 * COMPLETED state, and deletes the rows older than `retentionHours`. Listens to graphile-worker's `job:success`;
 * the rows are written a batch at a time (one statement per FLUSH_MS or BATCH jobs, on the worker's own pool), so a
 * thousand webhook jobs a second cost a few statements. At most once: a worker that crashes loses the completions
 * of its last quarter second from the view (never a job: the queue is graphile-worker's). Jobs cancelled through
 * the view are not completions.
 */
export function recordCompletions(events: WorkerEvents, pool: pg.Pool, log: Logger, retentionHours: number) {
  let buffer: Job[] = [];
  let writing: Promise<void> = Promise.resolve();
  let lastPrune = 0;
  const flush = () => {
    if (!buffer.length && Date.now() - lastPrune < PRUNE_EVERY_MS) return writing;
    const jobs = buffer;
    buffer = [];
    writing = writing.then(async () => {
      try {
        if (jobs.length) await insert(pool, log, jobs.map(row));
        if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await pool.query(`DELETE FROM "WorkerJobCompletion" WHERE "completedAt" < (now() AT TIME ZONE 'UTC') - make_interval(hours => $1)`, [retentionHours]);
        }
      } catch (err) {
        log.warn({ err, jobs: jobs.length }, "recording completed jobs failed (the job view misses them)");
      }
    });
    return writing;
  };
  const onSuccess = ({ job }: { job: Job }) => {
    buffer.push(job);
    if (buffer.length >= BATCH) void flush();
  };
  events.on("job:success", onSuccess);
  const timer = setInterval(() => void flush(), FLUSH_MS);
  timer.unref();
  return {
    /** Stops listening and writes what is buffered. */
    async stop() {
      events.off("job:success", onSuccess);
      clearInterval(timer);
      await flush();
    },
  };
}

/** The batch in one statement; should it fail, each row alone, so that one bad row loses only itself. */
async function insert(pool: pg.Pool, log: Logger, rows: Array<ReturnType<typeof row>>) {
  try {
    await pool.query(INSERT, [JSON.stringify(rows)]);
  } catch {
    for (const r of rows) await pool.query(INSERT, [JSON.stringify([r])]).catch((err) => log.warn({ err, jobId: r.id, task: r.task }, "recording a completed job failed"));
  }
}

const row = (job: Job) => {
  const payload = (job.payload && typeof job.payload === "object" ? job.payload : {}) as Record<string, unknown>;
  const tenantId = typeof payload.tenantId === "string" && /^[0-9a-f-]{36}$/i.test(payload.tenantId) ? payload.tenantId : null;
  return { id: String(job.id), tenantId, task: job.task_identifier, attempts: job.attempts ?? 1, maxAttempts: job.max_attempts ?? 1, payload, createdAt: job.created_at ?? new Date() };
};

const INSERT = `INSERT INTO "WorkerJobCompletion" ("id", "tenantId", "task", "attempts", "maxAttempts", "payload", "createdAt", "completedAt")
  SELECT (r->>'id')::bigint, (r->>'tenantId')::uuid, r->>'task', (r->>'attempts')::int, (r->>'maxAttempts')::int, r->'payload', ((r->>'createdAt')::timestamptz AT TIME ZONE 'UTC'), (now() AT TIME ZONE 'UTC')
    FROM json_array_elements($1::json) r
  ON CONFLICT ("id") DO NOTHING`; // columns without a time zone hold UTC, as Prisma writes them
