import { tenantOwned } from "../../db/tenancy.ts";
import { activeBuilderId } from "../../domain/builders.ts";
import { jobStatus } from "../../domain/job-status.ts";
import { cents, longText, postalCode, text, usState, version } from "../../domain/validation.ts";
import { versioned, versionedUpdate } from "../../domain/versioned.ts";
import { badInput } from "../../errors.ts";
import { runMutation } from "../../events/pipeline.ts";
import { builder, type InputFields } from "../builder.ts";
import { BuilderRef } from "../builders/types.ts";
import { idOf, patchOf, payloadType } from "../common.ts";
import { JobStatusEnum } from "./enums.ts";
import { JobRef } from "./types.ts";

const detailFields = <R extends boolean>(t: InputFields, required: R) => ({
  builderId: t.globalID({ required, for: BuilderRef, description: "The builder the job is for." }),
  community: t.string({ required, description: "Community or subdivision.", validate: { schema: text(120) } }),
  lot: t.string({ description: "Lot number.", validate: { schema: text(40) } }),
  addressLine1: t.string({ description: "Street address.", validate: { schema: text(200) } }),
  city: t.string({ description: "City.", validate: { schema: text(80) } }),
  state: t.string({ description: "Two-letter state code.", validate: { schema: usState } }),
  postalCode: t.string({ description: "ZIP code.", validate: { schema: postalCode } }),
  plan: t.string({ description: "The builder's house plan.", validate: { schema: text(80) } }),
  scheduledDate: t.field({ type: "Date", required, description: "The day work is scheduled to start." }),
  assignedCrew: t.string({ description: "The crew assigned to the job.", validate: { schema: text(80) } }),
  notes: t.string({ description: "Free-form notes.", validate: { schema: longText } }),
  amountCents: t.int({ description: "Contract amount in integer cents.", validate: { schema: cents } }),
});

const CreateJobInput = builder.inputType("CreateJobInput", {
  description: "A new job; it starts SCHEDULED.",
  fields: (t) => detailFields(t, true),
});

const UpdateJobInput = builder.inputType("UpdateJobInput", {
  description: "Changes to a job's details (its status changes through changeJobStatus); omitted fields keep their value, null clears.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: JobRef, description: "The job to change." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read; a stale one is a CONFLICT.", validate: { schema: version } }),
    ...detailFields(t, false),
  }),
});

const ChangeJobStatusInput = builder.inputType("ChangeJobStatusInput", {
  description: "A move of a job to its next status; see Job.allowedNextStatuses.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: JobRef, description: "The job." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
    status: t.field({ type: JobStatusEnum, required: true, description: "The new status." }),
  }),
});

const ArchiveJobInput = builder.inputType("ArchiveJobInput", {
  description: "The job to archive (soft delete: it stays readable by id and in history).",
  fields: (t) => ({
    id: t.globalID({ required: true, for: JobRef, description: "The job." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
  }),
});

const columns = ["community", "lot", "addressLine1", "city", "state", "postalCode", "plan", "scheduledDate", "assignedCrew", "notes", "amountCents"] as const;

const upperState = (data: Record<string, unknown>) => (typeof data.state === "string" ? { ...data, state: data.state.toUpperCase() } : data);

builder.mutationField("createJob", (t) =>
  t.field({
    type: payloadType("CreateJobPayload", "job", JobRef, "job"),
    description: "Creates a job for a builder; it starts SCHEDULED.",
    authScopes: { $all: { capability: "jobs", can: "job:write" } },
    args: { input: t.arg({ type: CreateJobInput, required: true, description: "The job." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "job", action: "created" }, async (tx) => {
        const builderId = await activeBuilderId(tx, input.builderId);
        const data = upperState(patchOf(input, columns));
        const job = await tx.job.create({ data: tenantOwned({ ...data, builderId, community: input.community, scheduledDate: input.scheduledDate }) });
        return { result: { job }, entityId: job.id, before: null, after: job };
      }),
  }),
);

builder.mutationField("updateJob", (t) =>
  t.field({
    type: payloadType("UpdateJobPayload", "job", JobRef, "job"),
    description: "Changes a job's details.",
    authScopes: { $all: { capability: "jobs", can: "job:write" } },
    args: { input: t.arg({ type: UpdateJobInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "job", action: "updated" }, async (tx) => {
        const data = upperState(patchOf(input, columns, ["community", "scheduledDate"]));
        if (input.builderId === null) throw badInput("cannot be cleared", ["input", "builderId"]);
        if (input.builderId) data.builderId = await activeBuilderId(tx, input.builderId);
        const { before, after } = await versionedUpdate(versioned(tx, "job"), "job", idOf(input.id, ["input", "id"]), input.expectedVersion, data);
        return { result: { job: after }, entityId: after.id, before, after };
      }),
  }),
);

builder.mutationField("changeJobStatus", (t) =>
  t.field({
    type: payloadType("ChangeJobStatusPayload", "job", JobRef, "job"),
    description: "Moves a job to its next status, following the job state machine (see Job.allowedNextStatuses).",
    authScopes: { $all: { capability: "jobs", can: "job:write" } },
    args: { input: t.arg({ type: ChangeJobStatusInput, required: true, description: "The move." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "job", action: "status_changed" }, async (tx) => {
        const { before, after } = await versionedUpdate(versioned(tx, "job"), "job", idOf(input.id, ["input", "id"]), input.expectedVersion, (job) => {
          jobStatus.assert(job.status, input.status);
          return { status: input.status, completedAt: input.status === "complete" ? new Date() : job.completedAt };
        });
        return { result: { job: after }, entityId: after.id, before, after };
      }),
  }),
);

builder.mutationField("archiveJob", (t) =>
  t.field({
    type: payloadType("ArchiveJobPayload", "job", JobRef, "job"),
    description: "Archives a job: hidden from lists, kept for history.",
    authScopes: { $all: { capability: "jobs", can: "job:write" } },
    args: { input: t.arg({ type: ArchiveJobInput, required: true, description: "The job." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "job", action: "archived" }, async (tx) => {
        const { before, after } = await versionedUpdate(versioned(tx, "job"), "job", idOf(input.id, ["input", "id"]), input.expectedVersion, { archivedAt: new Date() });
        return { result: { job: after }, entityId: after.id, before, after };
      }),
  }),
);
