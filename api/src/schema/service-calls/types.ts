import { serviceCallStatus } from "../../domain/service-call-status.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { readMany } from "../../db/sql-read.ts";
import { builder } from "../builder.ts";
import { archivedFilter, DateTimeRange, rangeFilter, SortDirection, textSearch, totalCountOf, updatedAfterDescription, whereId } from "../common.ts";
import { ServiceCallPriorityEnum, ServiceCallStatusEnum } from "./enums.ts";

export const ServiceCallRef = builder.prismaNode("ServiceCall", {
  description: "A residential service call: a customer's plumbing problem, dispatched to a technician.",
  select: { id: true },
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:read" } },
  fields: (t) => ({
    customerName: t.exposeString("customerName", { description: "The customer's name." }),
    customerPhone: t.exposeString("customerPhone", { description: "The customer's phone, E.164." }),
    customerEmail: t.exposeString("customerEmail", { nullable: true, description: "The customer's email." }),
    addressLine1: t.exposeString("addressLine1", { description: "Street address of the job site." }),
    city: t.exposeString("city", { nullable: true, description: "City." }),
    state: t.exposeString("state", { nullable: true, description: "Two-letter state code." }),
    postalCode: t.exposeString("postalCode", { nullable: true, description: "ZIP code." }),
    problem: t.exposeString("problem", { description: "What the customer reports." }),
    priority: t.expose("priority", { type: ServiceCallPriorityEnum, description: "How fast it needs a technician." }),
    status: t.expose("status", { type: ServiceCallStatusEnum, description: "Where the call is in its lifecycle." }),
    allowedNextStatuses: t.field({
      type: [ServiceCallStatusEnum],
      description: "The statuses changeServiceCallStatus accepts from the current one.",
      select: { status: true },
      resolve: (call) => [...serviceCallStatus.next(call.status)],
    }),
    windowStart: t.expose("windowStart", { type: "DateTime", nullable: true, description: "Start of the promised arrival window." }),
    windowEnd: t.expose("windowEnd", { type: "DateTime", nullable: true, description: "End of the promised arrival window." }),
    assignedTechnician: t.exposeString("assignedTechnician", { nullable: true, description: "The technician assigned." }),
    resolutionNotes: t.exposeString("resolutionNotes", { nullable: true, description: "What was done." }),
    completedAt: t.expose("completedAt", { type: "DateTime", nullable: true, description: "When it was completed." }),
    invoicedAt: t.expose("invoicedAt", { type: "DateTime", nullable: true, description: "When it was invoiced." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version: send it back as `expectedVersion`." }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true, description: "When it was archived (soft-deleted), if it was." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was taken." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

const ServiceCallFilter = builder.inputType("ServiceCallFilter", {
  description: "Which service calls to list; all conditions must hold.",
  fields: (t) => ({
    status: t.field({ type: [ServiceCallStatusEnum], description: "Only calls in one of these statuses." }),
    priority: t.field({ type: [ServiceCallPriorityEnum], description: "Only calls of one of these priorities." }),
    window: t.field({ type: DateTimeRange, description: "Only calls whose window starts in this range." }),
    assignedTechnician: t.string({ description: "Only calls assigned to this technician (exact)." }),
    search: t.string({ description: "Text in the customer's name, phone, address or the problem (case-insensitive)." }),
    updatedAfter: t.field({ type: "DateTime", description: updatedAfterDescription }),
    includeArchived: t.boolean({ description: "Include archived calls (default false)." }),
  }),
});

const ServiceCallOrderField = builder.enumType("ServiceCallOrderField", {
  description: "What service calls can be sorted by.",
  values: {
    UPDATED_AT: { value: "updatedAt", description: "Last change." },
    CREATED_AT: { value: "createdAt", description: "When taken." },
    PRIORITY: { value: "priority", description: "Priority: ASC puts emergencies first." },
  } as const,
});

const ServiceCallOrder = builder.inputType("ServiceCallOrder", {
  description: "Sort order of service calls; ties are broken by id.",
  fields: (t) => ({
    field: t.field({ type: ServiceCallOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: SortDirection, defaultValue: "desc", description: "Direction (default DESC)." }),
  }),
});

type FilterShape = typeof ServiceCallFilter.$inferInput | null | undefined;
const serviceCallWhere = (f: FilterShape): Prisma.ServiceCallWhereInput => ({
  ...archivedFilter(f?.includeArchived),
  ...(f?.status?.length ? { status: { in: f.status } } : {}),
  ...(f?.priority?.length ? { priority: { in: f.priority } } : {}),
  ...(rangeFilter(f?.window) ? { windowStart: rangeFilter(f?.window) } : {}),
  ...(f?.assignedTechnician ? { assignedTechnician: f.assignedTechnician } : {}),
  ...(f?.updatedAfter ? { updatedAt: { gt: f.updatedAfter } } : {}),
  ...(f?.search?.trim() ? { OR: textSearch(["customerName", "customerPhone", "addressLine1", "problem"], f.search) } : {}),
});

builder.queryField("serviceCalls", (t) =>
  t.prismaConnection(
    {
      type: "ServiceCall",
      cursor: "id",
      description: "The acting tenant's service calls, filtered and sorted (default: most recently changed first).",
      authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:read" } },
      args: {
        filter: t.arg({ type: ServiceCallFilter, description: "Which service calls." }),
        orderBy: t.arg({ type: ServiceCallOrder, description: "Sort order (default UPDATED_AT DESC)." }),
      },
      resolve: (query, _root, { filter, orderBy }, ctx) => {
        const direction = orderBy?.direction ?? "desc";
        return readMany(ctx.db, "ServiceCall", { ...query, where: serviceCallWhere(filter), orderBy: [{ [orderBy?.field ?? "updatedAt"]: direction }, { id: direction }] }, (args) => ctx.db.serviceCall.findMany(args));
      },
      totalCount: (_connection, { filter }, ctx) => totalCountOf(ctx, "ServiceCall", serviceCallWhere(filter)),
    },
    { name: "ServiceCallConnection", description: "A page of service calls." },
    { name: "ServiceCallEdge", description: "A service call in a page." },
  ),
);
