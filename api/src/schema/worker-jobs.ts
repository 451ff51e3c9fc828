import { cancelWorkerJob, listWorkerJobs, retryWorkerJob, type WorkerJobRow } from "../jobs/job-view.ts";
import { z } from "zod";
import { builder } from "./builder.ts";

const admin = { can: "tenant:configure" } as const;

const WorkerJobStateEnum = builder.enumType("WorkerJobState", {
  description: "Where a background job is.",
  values: {
    QUEUED: { value: "queued", description: "Waiting for its time (`runAt`) or a free worker." },
    RUNNING: { value: "running", description: "A worker is running it." },
    RETRYING: { value: "retrying", description: "An attempt failed (`lastError`); the next one is at `runAt`." },
    FAILED: { value: "failed", description: "Every attempt failed; it waits for a retry or a cancel." },
    COMPLETED: { value: "completed", description: "It succeeded (`completedAt`); listed for WORKER_COMPLETED_RETENTION_HOURS (24 by default)." },
  } as const,
});

const WorkerJobRef = builder.objectRef<WorkerJobRow>("WorkerJob").implement({
  description: "A background job of the tenant (publishing a post, sending webhooks, ...): why something did not go out yet.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The job's id (for retryWorkerJob and cancelWorkerJob)." }),
    task: t.exposeString("task", { description: "What it does: `marketing.publish`, `marketing.check_status`, `webhook.fanout`, `webhook.deliver`, ..." }),
    state: t.field({ type: WorkerJobStateEnum, description: "Where it is.", resolve: (j) => j.state }),
    subject: t.string({
      description: "What it is about: the ids in its payload (`targetId=…`), never anything else.",
      resolve: (j) => Object.entries(j.payload ?? {}).filter(([k, v]) => k !== "tenantId" && /Id$/.test(k) && typeof v === "string").map(([k, v]) => `${k}=${v}`).join(" "),
    }),
    attempts: t.exposeInt("attempts", { description: "Attempts made." }),
    maxAttempts: t.exposeInt("maxAttempts", { description: "Attempts allowed before it is FAILED." }),
    lastError: t.exposeString("lastError", { nullable: true, description: "Why the last attempt failed." }),
    runAt: t.expose("runAt", { type: "DateTime", description: "When it runs (next)." }),
    lockedAt: t.expose("lockedAt", { type: "DateTime", nullable: true, description: "When a worker took it, while RUNNING." }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true, description: "When it succeeded (COMPLETED only)." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was queued." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

builder.queryField("workerJobs", (t) =>
  t.field({
    type: [WorkerJobRef],
    description: "The tenant's background jobs, most recently changed first: those not finished, and those completed recently (COMPLETED). For admins, to see why a post or a webhook did not go out.",
    authScopes: admin,
    args: {
      tasks: t.arg.stringList({ description: "Only these tasks (`marketing.publish`, ...)." }),
      states: t.arg({ type: [WorkerJobStateEnum], description: "Only jobs in these states." }),
      first: t.arg.int({ defaultValue: 50, description: "At most this many (1 to 200).", validate: { schema: z.number().int().min(1, "must be 1 to 200").max(200, "must be 1 to 200") } }),
    },
    resolve: (_root, args, ctx) => listWorkerJobs(ctx.tenant!.id, { tasks: args.tasks, states: args.states, first: args.first ?? 50 }),
  }),
);

const JobIdInput = (name: string, what: string) =>
  builder.inputType(name, { description: what, fields: (t) => ({ id: t.id({ required: true, description: "The job's id." }) }) });

builder.mutationField("retryWorkerJob", (t) =>
  t.field({
    type: WorkerJobRef,
    description: "Runs a FAILED job again now, its attempts reset (audited: `worker_job.retried`).",
    authScopes: admin,
    args: { input: t.arg({ type: JobIdInput("RetryWorkerJobInput", "The failed job to run again."), required: true, description: "The job." }) },
    resolve: (_root, { input }, ctx) => retryWorkerJob(ctx, String(input.id)),
  }),
);

builder.mutationField("cancelWorkerJob", (t) =>
  t.field({
    type: WorkerJobRef,
    description: "Drops a FAILED job for good, returned as it was (audited: `worker_job.cancelled`).",
    authScopes: admin,
    args: { input: t.arg({ type: JobIdInput("CancelWorkerJobInput", "The failed job to drop."), required: true, description: "The job." }) },
    resolve: (_root, { input }, ctx) => cancelWorkerJob(ctx, String(input.id)),
  }),
);

