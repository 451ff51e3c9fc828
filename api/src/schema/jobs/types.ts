import { jobStatus } from "../../domain/job-status.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { readMany } from "../../db/sql-read.ts";
import { builder } from "../builder.ts";
import { BuilderRef } from "../builders/types.ts";
import { archivedFilter, DateRange, idOf, rangeFilter, SortDirection, textSearch, totalCountOf, updatedAfterDescription, whereId } from "../common.ts";
import { JobStatusEnum } from "./enums.ts";

export const JobRef = builder.prismaNode("Job", {
  description: "A new-construction plumbing job on one lot, moving through the construction phases.",
  // select mode: a query reads the columns its selection needs (plus keys), never every column
  select: { id: true },
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: { $all: { capability: "jobs", can: "job:read" } },
  fields: (t) => ({
    builder: t.relation("builder", { description: "The builder the job is for." }),
    community: t.exposeString("community", { description: "Community or subdivision." }),
    lot: t.exposeString("lot", { nullable: true, description: "Lot number." }),
    addressLine1: t.exposeString("addressLine1", { nullable: true, description: "Street address." }),
    city: t.exposeString("city", { nullable: true, description: "City." }),
    state: t.exposeString("state", { nullable: true, description: "Two-letter state code." }),
    postalCode: t.exposeString("postalCode", { nullable: true, description: "ZIP code." }),
    plan: t.exposeString("plan", { nullable: true, description: "The builder's house plan." }),
    status: t.expose("status", { type: JobStatusEnum, description: "Current phase or state." }),
    allowedNextStatuses: t.field({
      type: [JobStatusEnum],
      description: "The statuses changeJobStatus accepts from the current one.",
      select: { status: true },
      resolve: (job) => [...jobStatus.next(job.status)],
    }),
    scheduledDate: t.expose("scheduledDate", { type: "Date", description: "The day work is scheduled to start." }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true, description: "When the job reached COMPLETE." }),
    assignedCrew: t.exposeString("assignedCrew", { nullable: true, description: "The crew assigned to the job." }),
    notes: t.exposeString("notes", { nullable: true, description: "Free-form notes." }),
    amountCents: t.exposeInt("amountCents", { nullable: true, description: "Contract amount in integer cents." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version: send it back as `expectedVersion`." }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true, description: "When it was archived (soft-deleted), if it was." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

const JobFilter = builder.inputType("JobFilter", {
  description: "Which jobs to list; all conditions must hold.",
  fields: (t) => ({
    status: t.field({ type: [JobStatusEnum], description: "Only jobs in one of these statuses." }),
    builderId: t.globalID({ for: BuilderRef, description: "Only this builder's jobs." }),
    scheduled: t.field({ type: DateRange, description: "Only jobs scheduled to start in this range." }),
    assignedCrew: t.string({ description: "Only jobs assigned to this crew (exact)." }),
    search: t.string({ description: "Text in the community, lot, address, plan or notes (case-insensitive)." }),
    updatedAfter: t.field({ type: "DateTime", description: updatedAfterDescription }),
    includeArchived: t.boolean({ description: "Include archived jobs (default false)." }),
  }),
});

const JobOrderField = builder.enumType("JobOrderField", {
  description: "What jobs can be sorted by.",
  values: {
    UPDATED_AT: { value: "updatedAt", description: "Last change." },
    CREATED_AT: { value: "createdAt", description: "Creation." },
    SCHEDULED_DATE: { value: "scheduledDate", description: "Scheduled start." },
    STATUS: { value: "status", description: "Phase, in construction order." },
  } as const,
});

const JobOrder = builder.inputType("JobOrder", {
  description: "Sort order of jobs; ties are broken by id.",
  fields: (t) => ({
    field: t.field({ type: JobOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: SortDirection, defaultValue: "desc", description: "Direction (default DESC)." }),
  }),
});

type JobFilterShape = typeof JobFilter.$inferInput | null | undefined;
const jobWhere = (f: JobFilterShape): Prisma.JobWhereInput => ({
  ...archivedFilter(f?.includeArchived),
  ...(f?.status?.length ? { status: { in: f.status } } : {}),
  ...(f?.builderId ? { builderId: idOf(f.builderId, ["filter", "builderId"]) } : {}),
  ...(rangeFilter(f?.scheduled) ? { scheduledDate: rangeFilter(f?.scheduled) } : {}),
  ...(f?.assignedCrew ? { assignedCrew: f.assignedCrew } : {}),
  ...(f?.updatedAfter ? { updatedAt: { gt: f.updatedAfter } } : {}),
  ...(f?.search?.trim() ? { OR: textSearch(["community", "lot", "addressLine1", "plan", "notes"], f.search) } : {}),
});

builder.queryField("jobs", (t) =>
  t.prismaConnection(
    {
      type: "Job",
      cursor: "id",
      description: "The acting tenant's jobs, filtered and sorted (default: most recently changed first).",
      authScopes: { $all: { capability: "jobs", can: "job:read" } },
      args: {
        filter: t.arg({ type: JobFilter, description: "Which jobs." }),
        orderBy: t.arg({ type: JobOrder, description: "Sort order (default UPDATED_AT DESC)." }),
      },
      resolve: (query, _root, { filter, orderBy }, ctx) => {
        const direction = orderBy?.direction ?? "desc";
        return readMany(ctx.db, "Job", { ...query, where: jobWhere(filter), orderBy: [{ [orderBy?.field ?? "updatedAt"]: direction }, { id: direction }] }, (args) => ctx.db.job.findMany(args));
      },
      totalCount: (_connection, { filter }, ctx) => totalCountOf(ctx, "Job", jobWhere(filter)),
    },
    { name: "JobConnection", description: "A page of jobs." },
    { name: "JobEdge", description: "A job in a page." },
  ),
);
