import { bidStatus } from "../../domain/bid-status.ts";
import { lineItemsOf } from "../../domain/bid-line-items.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { readMany } from "../../db/sql-read.ts";
import { builder } from "../builder.ts";
import { BuilderRef } from "../builders/types.ts";
import { archivedFilter, DateRange, idOf, rangeFilter, SortDirection, textSearch, totalCountOf, updatedAfterDescription, whereId } from "../common.ts";
import { BidStatusEnum } from "./enums.ts";

const BidLineItem = builder.objectRef<{ description: string; quantity: number; unitPriceCents: number }>("BidLineItem").implement({
  description: "One priced line of a bid.",
  fields: (t) => ({
    description: t.exposeString("description", { description: "What is priced." }),
    quantity: t.exposeInt("quantity", { description: "How many units." }),
    unitPriceCents: t.exposeInt("unitPriceCents", { description: "Price of one unit in integer cents." }),
    totalCents: t.int({ description: "quantity × unitPriceCents.", resolve: (l) => l.quantity * l.unitPriceCents }),
  }),
});

export const BidRef = builder.prismaNode("Bid", {
  description: "A bid to a builder for the plumbing of a project's plans.",
  select: { id: true },
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes: { $all: { capability: "bids", can: "bid:read" } },
  fields: (t) => ({
    builder: t.relation("builder", { description: "The builder the bid is for." }),
    project: t.exposeString("project", { description: "Project or community." }),
    plans: t.exposeStringList("plans", { description: "House plans the bid covers." }),
    status: t.expose("status", { type: BidStatusEnum, description: "Where the bid is in its pipeline." }),
    allowedNextStatuses: t.field({
      type: [BidStatusEnum],
      description: "The statuses changeBidStatus accepts from the current one.",
      select: { status: true },
      resolve: (bid) => [...bidStatus.next(bid.status)],
    }),
    lineItems: t.field({ type: [BidLineItem], description: "Priced lines.", select: { lineItems: true }, resolve: (bid) => lineItemsOf(bid.lineItems) }),
    amountCents: t.exposeInt("amountCents", { description: "Total in integer cents (the sum of the line items when there are any)." }),
    dueDate: t.expose("dueDate", { type: "Date", description: "When the builder expects the bid." }),
    submittedAt: t.expose("submittedAt", { type: "DateTime", nullable: true, description: "When it was submitted." }),
    decidedAt: t.expose("decidedAt", { type: "DateTime", nullable: true, description: "When it was won, lost or expired." }),
    estimator: t.exposeString("estimator", { nullable: true, description: "The estimator responsible." }),
    notes: t.exposeString("notes", { nullable: true, description: "Free-form notes." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version: send it back as `expectedVersion`." }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true, description: "When it was archived (soft-deleted), if it was." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
  }),
});

const BidFilter = builder.inputType("BidFilter", {
  description: "Which bids to list; all conditions must hold.",
  fields: (t) => ({
    status: t.field({ type: [BidStatusEnum], description: "Only bids in one of these statuses." }),
    builderId: t.globalID({ for: BuilderRef, description: "Only bids to this builder." }),
    due: t.field({ type: DateRange, description: "Only bids due in this range." }),
    estimator: t.string({ description: "Only bids of this estimator (exact)." }),
    search: t.string({ description: "Text in the project or notes (case-insensitive)." }),
    updatedAfter: t.field({ type: "DateTime", description: updatedAfterDescription }),
    includeArchived: t.boolean({ description: "Include archived bids (default false)." }),
  }),
});

const BidOrderField = builder.enumType("BidOrderField", {
  description: "What bids can be sorted by.",
  values: {
    UPDATED_AT: { value: "updatedAt", description: "Last change." },
    CREATED_AT: { value: "createdAt", description: "Creation." },
    DUE_DATE: { value: "dueDate", description: "Due date." },
    AMOUNT: { value: "amountCents", description: "Total amount." },
  } as const,
});

const BidOrder = builder.inputType("BidOrder", {
  description: "Sort order of bids; ties are broken by id.",
  fields: (t) => ({
    field: t.field({ type: BidOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: SortDirection, defaultValue: "desc", description: "Direction (default DESC)." }),
  }),
});

type BidFilterShape = typeof BidFilter.$inferInput | null | undefined;
const bidWhere = (f: BidFilterShape): Prisma.BidWhereInput => ({
  ...archivedFilter(f?.includeArchived),
  ...(f?.status?.length ? { status: { in: f.status } } : {}),
  ...(f?.builderId ? { builderId: idOf(f.builderId, ["filter", "builderId"]) } : {}),
  ...(rangeFilter(f?.due) ? { dueDate: rangeFilter(f?.due) } : {}),
  ...(f?.estimator ? { estimator: f.estimator } : {}),
  ...(f?.updatedAfter ? { updatedAt: { gt: f.updatedAfter } } : {}),
  ...(f?.search?.trim() ? { OR: textSearch(["project", "notes"], f.search) } : {}),
});

builder.queryField("bids", (t) =>
  t.prismaConnection(
    {
      type: "Bid",
      cursor: "id",
      description: "The acting tenant's bids, filtered and sorted (default: most recently changed first).",
      authScopes: { $all: { capability: "bids", can: "bid:read" } },
      args: {
        filter: t.arg({ type: BidFilter, description: "Which bids." }),
        orderBy: t.arg({ type: BidOrder, description: "Sort order (default UPDATED_AT DESC)." }),
      },
      resolve: (query, _root, { filter, orderBy }, ctx) => {
        const direction = orderBy?.direction ?? "desc";
        return readMany(ctx.db, "Bid", { ...query, where: bidWhere(filter), orderBy: [{ [orderBy?.field ?? "updatedAt"]: direction }, { id: direction }] }, (args) => ctx.db.bid.findMany(args));
      },
      totalCount: (_connection, { filter }, ctx) => totalCountOf(ctx, "Bid", bidWhere(filter)),
    },
    { name: "BidConnection", description: "A page of bids." },
    { name: "BidEdge", description: "A bid in a page." },
  ),
);
