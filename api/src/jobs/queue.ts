import type { JobHelpers, TaskList } from "graphile-worker";
import { parseCronItems, type ParsedCronItem } from "graphile-worker";
import type { z } from "zod";
import type { Env } from "../env.ts";

/**
 * The worker's queue: the only module that enqueues and removes jobs. A job is made from its definition
 * (jobs/definitions.ts), never spelled out by hand:
 * - inside a transaction (`enqueueJobs`): a change's jobs exist exactly when it commits;
 * - from a running job (`addJob`): through its helpers, on its own connection.
 */

/** One graphile-worker job, as `graphile_worker.add_jobs` takes it. */
export interface JobSpec {
  identifier: string;
  payload: Record<string, unknown>;
  queueName?: string | null;
  runAt?: Date | null;
  maxAttempts?: number;
  /** Lower runs first (graphile-worker's `priority`; 0 unless given). */
  priority?: number;
  /** Jobs with the same key collapse into one (a running one is left to finish and a new one created). */
  jobKey?: string | null;
}

/** A job's options: everything of a JobSpec but its identifier, which the definition gives. */
export type JobOptions<P> = Omit<JobSpec, "identifier" | "payload"> & { payload: P };

/** What a job's handler runs per job, its payload parsed by the definition's schema. */
export type JobHandler<P> = (payload: P, helpers: JobHelpers) => Promise<void>;

/**
 * One job (after Documenso's job definitions): its id (graphile-worker's task identifier), its payload's schema,
 * how it is enqueued (`jobs`: named builders of its options, each the one way to make such a job), when it runs on a
 * schedule (`cron`), and its handler, loaded when a worker builds its task list (so the API, which only enqueues,
 * never loads a handler's code) and given the dependencies of the worker side it belongs to.
 */
export interface JobDefinition<P, D, B extends Record<string, (...args: never[]) => JobOptions<P>>> {
  id: string;
  payload: z.ZodType<P>;
  jobs: { [K in keyof B]: (...args: Parameters<B[K]>) => JobSpec };
  /** A crontab schedule (graphile-worker's syntax), for jobs that run on one. */
  cron?: (env: CronEnv) => string;
  handler: () => Promise<(deps: D) => JobHandler<P>>;
}

/** What schedules may depend on. */
export type CronEnv = Pick<Env, "AUDIT_PARTITIONS_CRON">;

export function defineJob<P extends Record<string, unknown>, D, B extends Record<string, (...args: never[]) => JobOptions<P>> = Record<never, never>>(definition: {
  id: string;
  payload: z.ZodType<P>;
  jobs?: B;
  cron?: (env: CronEnv) => string;
  handler: () => Promise<(deps: D) => JobHandler<P>>;
}): JobDefinition<P, D, B> {
  const jobs = Object.fromEntries(
    Object.entries(definition.jobs ?? {}).map(([name, options]) => [name, (...args: never[]) => ({ identifier: definition.id, ...(options as (...a: never[]) => JobOptions<P>)(...args) })]),
  ) as unknown as JobDefinition<P, D, B>["jobs"];
  return { id: definition.id, payload: definition.payload, jobs, cron: definition.cron, handler: definition.handler };
}

/** What building a task list needs of a definition, whatever its payload. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type TaskDefinition<D> = { id: string; payload: z.ZodType<any>; handler: () => Promise<(deps: D) => JobHandler<any>> };

/**
 * The tasks of one worker side, built from its definitions: each parses its payload with the definition's schema
 * (a malformed payload fails the job, visibly, instead of reaching the handler) and runs the handler.
 */
export async function taskListOf<D>(definitions: readonly TaskDefinition<D>[], deps: D): Promise<TaskList> {
  const entries = await Promise.all(
    definitions.map(async (definition) => {
      const handle = (await definition.handler())(deps);
      return [definition.id, async (raw: unknown, helpers: JobHelpers) => handle(definition.payload.parse(raw ?? {}), helpers)] as const;
    }),
  );
  return Object.fromEntries(entries);
}

/** The schedules of the definitions that have one. */
export function cronItemsOf(definitions: readonly { id: string; cron?: (env: CronEnv) => string }[], env: CronEnv): ParsedCronItem[] {
  return parseCronItems(definitions.filter((d) => d.cron).map((d) => ({ task: d.id, match: d.cron!(env), identifier: d.id })));
}

/** Anything that runs raw SQL inside the caller's transaction (a Prisma transaction client, tenant-scoped or not). */
type RawExecutor = { $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number> };

/**
 * Enqueues worker jobs inside the caller's transaction (one statement for any number): they exist exactly when the
 * transaction commits, and the worker hears of them at commit (NOTIFY). The queue is the system's, not the
 * tenant's: `h2o_enqueue_jobs` (migration enqueue_as_system) adds them with its owner's rights, whether the
 * transaction runs as the application role (inside a mutation's change) or as the system.
 */
export async function enqueueJobs(tx: RawExecutor, jobs: readonly JobSpec[]): Promise<void> {
  if (jobs.length === 0) return;
  await tx.$executeRaw`SELECT h2o_enqueue_jobs(${JSON.stringify(jobs.map(graphileJobSpec))}::json)`;
}

/** Removes waiting jobs by their job keys inside the caller's transaction (a running one is left to finish), as the system. */
export async function removeJobs(tx: RawExecutor, jobKeys: readonly string[]): Promise<void> {
  if (jobKeys.length === 0) return;
  await tx.$executeRaw`SELECT h2o_remove_jobs(${[...jobKeys]}::text[])`;
}

/** Enqueues a job through the running job's helpers (its own connection; jobs with the same key collapse). */
export function addJob(helpers: Pick<JobHelpers, "addJob">, spec: JobSpec): Promise<void> {
  return helpers
    .addJob(spec.identifier, spec.payload, { jobKey: spec.jobKey ?? undefined, queueName: spec.queueName ?? undefined, runAt: spec.runAt ?? undefined, maxAttempts: spec.maxAttempts ?? 25, priority: spec.priority ?? undefined })
    .then(() => undefined);
}

/** A job as `graphile_worker.add_jobs` takes it (its `job_spec` type), ready for JSON: for statements that enqueue themselves. */
export const graphileJobSpec = (j: JobSpec) => ({
  identifier: j.identifier,
  payload: j.payload,
  queue_name: j.queueName ?? null,
  run_at: j.runAt?.toISOString() ?? null,
  max_attempts: j.maxAttempts ?? 25,
  job_key: j.jobKey ?? null,
  priority: j.priority ?? 0,
});
