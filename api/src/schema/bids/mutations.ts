import { tenantOwned } from "../../db/tenancy.ts";
import { activeBuilderId } from "../../domain/builders.ts";
import { bidAmount, lineItem, lineItemsOf } from "../../domain/bid-line-items.ts";
import { bidStatus } from "../../domain/bid-status.ts";
import { cents, longText, text, version } from "../../domain/validation.ts";
import { versioned, versionedUpdate } from "../../domain/versioned.ts";
import { badInput } from "../../errors.ts";
import { runMutation } from "../../events/pipeline.ts";
import type { BidStatus } from "../../generated/prisma/enums.ts";
import { builder, type InputFields } from "../builder.ts";
import { BuilderRef } from "../builders/types.ts";
import { idOf, patchOf, payloadType } from "../common.ts";
import { BidStatusEnum } from "./enums.ts";
import { BidRef } from "./types.ts";

const BidLineItemInput = builder.inputType("BidLineItemInput", {
  description: "One priced line of a bid.",
  fields: (t) => ({
    description: t.string({ required: true, description: "What is priced.", validate: { schema: lineItem.shape.description } }),
    quantity: t.int({ required: true, description: "How many units (1 or more).", validate: { schema: lineItem.shape.quantity } }),
    unitPriceCents: t.int({ required: true, description: "Price of one unit in integer cents.", validate: { schema: lineItem.shape.unitPriceCents } }),
  }),
});

const detailFields = <R extends boolean>(t: InputFields, required: R) => ({
  builderId: t.globalID({ required, for: BuilderRef, description: "The builder the bid is for." }),
  project: t.string({ required, description: "Project or community.", validate: { schema: text(160) } }),
  plans: t.stringList({ description: "House plans the bid covers.", validate: { maxLength: 50, items: { schema: text(80) } } }),
  lineItems: t.field({ type: [BidLineItemInput], description: "Priced lines; replaces all lines. The amount becomes their sum.", validate: { maxLength: 200 } }),
  amountCents: t.int({ description: "Total in integer cents, when there are no line items.", validate: { schema: cents } }),
  dueDate: t.field({ type: "Date", required, description: "When the builder expects the bid." }),
  estimator: t.string({ description: "The estimator responsible.", validate: { schema: text(80) } }),
  notes: t.string({ description: "Free-form notes.", validate: { schema: longText } }),
});

const CreateBidInput = builder.inputType("CreateBidInput", { description: "A new bid; it starts DRAFT.", fields: (t) => detailFields(t, true) });

const UpdateBidInput = builder.inputType("UpdateBidInput", {
  description: "Changes to a bid's details (its status changes through changeBidStatus); omitted fields keep their value, null clears.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: BidRef, description: "The bid to change." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read; a stale one is a CONFLICT.", validate: { schema: version } }),
    ...detailFields(t, false),
  }),
});

const ChangeBidStatusInput = builder.inputType("ChangeBidStatusInput", {
  description: "A move of a bid to its next status; see Bid.allowedNextStatuses.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: BidRef, description: "The bid." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
    status: t.field({ type: BidStatusEnum, required: true, description: "The new status." }),
  }),
});

const ArchiveBidInput = builder.inputType("ArchiveBidInput", {
  description: "The bid to archive (soft delete: it stays readable by id and in history).",
  fields: (t) => ({
    id: t.globalID({ required: true, for: BidRef, description: "The bid." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
  }),
});

const columns = ["project", "plans", "dueDate", "estimator", "notes"] as const;

/** Timestamps that follow a status: submitted → submittedAt, a decision → decidedAt, reopening clears both. */
function statusDates(to: BidStatus, now = new Date()) {
  if (to === "submitted") return { submittedAt: now, decidedAt: null };
  if (to === "draft") return { submittedAt: null, decidedAt: null };
  return { decidedAt: now };
}

builder.mutationField("createBid", (t) =>
  t.field({
    type: payloadType("CreateBidPayload", "bid", BidRef, "bid"),
    description: "Creates a bid to a builder; it starts DRAFT.",
    authScopes: { $all: { capability: "bids", can: "bid:write" } },
    args: { input: t.arg({ type: CreateBidInput, required: true, description: "The bid." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "bid", action: "created" }, async (tx) => {
        const builderId = await activeBuilderId(tx, input.builderId);
        const items = input.lineItems ?? [];
        const bid = await tx.bid.create({
          data: tenantOwned({
            ...patchOf(input, columns),
            builderId,
            project: input.project,
            dueDate: input.dueDate,
            plans: input.plans ?? [],
            lineItems: items,
            amountCents: bidAmount(items, input.amountCents),
          }),
        });
        return { result: { bid }, entityId: bid.id, before: null, after: bid };
      }),
  }),
);

builder.mutationField("updateBid", (t) =>
  t.field({
    type: payloadType("UpdateBidPayload", "bid", BidRef, "bid"),
    description: "Changes a bid's details; line items replace the existing ones.",
    authScopes: { $all: { capability: "bids", can: "bid:write" } },
    args: { input: t.arg({ type: UpdateBidInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "bid", action: "updated" }, async (tx) => {
        const data = patchOf(input, columns, ["project", "dueDate", "plans"]);
        if (input.builderId === null) throw badInput("cannot be cleared", ["input", "builderId"]);
        if (input.builderId) data.builderId = await activeBuilderId(tx, input.builderId);
        const { before, after } = await versionedUpdate(versioned(tx, "bid"), "bid", idOf(input.id, ["input", "id"]), input.expectedVersion, (bid) => {
          const items = input.lineItems === undefined ? lineItemsOf(bid.lineItems) : (input.lineItems ?? []);
          const amountCents = bidAmount(items, input.amountCents, bid.amountCents);
          return { ...data, ...(input.lineItems !== undefined ? { lineItems: items } : {}), amountCents };
        });
        return { result: { bid: after }, entityId: after.id, before, after };
      }),
  }),
);

builder.mutationField("changeBidStatus", (t) =>
  t.field({
    type: payloadType("ChangeBidStatusPayload", "bid", BidRef, "bid"),
    description: "Moves a bid to its next status, following the bid state machine (see Bid.allowedNextStatuses).",
    authScopes: { $all: { capability: "bids", can: "bid:write" } },
    args: { input: t.arg({ type: ChangeBidStatusInput, required: true, description: "The move." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "bid", action: "status_changed" }, async (tx) => {
        const { before, after } = await versionedUpdate(versioned(tx, "bid"), "bid", idOf(input.id, ["input", "id"]), input.expectedVersion, (bid) => {
          bidStatus.assert(bid.status, input.status);
          return { status: input.status, ...statusDates(input.status) };
        });
        return { result: { bid: after }, entityId: after.id, before, after };
      }),
  }),
);

builder.mutationField("archiveBid", (t) =>
  t.field({
    type: payloadType("ArchiveBidPayload", "bid", BidRef, "bid"),
    description: "Archives a bid: hidden from lists, kept for history.",
    authScopes: { $all: { capability: "bids", can: "bid:write" } },
    args: { input: t.arg({ type: ArchiveBidInput, required: true, description: "The bid." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "bid", action: "archived" }, async (tx) => {
        const { before, after } = await versionedUpdate(versioned(tx, "bid"), "bid", idOf(input.id, ["input", "id"]), input.expectedVersion, { archivedAt: new Date() });
        return { result: { bid: after }, entityId: after.id, before, after };
      }),
  }),
);
