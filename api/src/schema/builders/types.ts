import type { Capability } from "../../domain/capabilities.ts";
import { email, longText, phone, postalCode, text, toE164, usState, version } from "../../domain/validation.ts";
import { versioned, versionedUpdate } from "../../domain/versioned.ts";
import { runMutation } from "../../events/pipeline.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { readMany } from "../../db/sql-read.ts";
import { builder, type InputFields } from "../builder.ts";
import { archivedFilter, idOf, patchOf, payloadType, SortDirection, textSearch, updatedAfterDescription, whereId } from "../common.ts";
import { BidStatusEnum } from "../bids/enums.ts";
import { JobStatusEnum } from "../jobs/enums.ts";

/** Builders are shared by every tenant that works with them: tenants with the jobs or the bids capability. */
const authScopes = { $all: { capability: ["jobs", "bids"] satisfies Capability[], can: "builder:read" as const } };
const writeScopes = { $all: { capability: ["jobs", "bids"] satisfies Capability[], can: "builder:write" as const } };

export const BuilderRef = builder.prismaNode("Builder", {
  description: "A home builder: a customer company of new-construction work, shared across tenants.",
  select: { id: true },
  id: { field: "id" },
  findUnique: whereId,
  nullable: true,
  authScopes,
  fields: (t) => ({
    name: t.exposeString("name", { description: "Company name." }),
    contactName: t.exposeString("contactName", { nullable: true, description: "Main contact person." }),
    phone: t.exposeString("phone", { nullable: true, description: "Phone number, E.164." }),
    email: t.exposeString("email", { nullable: true, description: "Email address." }),
    addressLine1: t.exposeString("addressLine1", { nullable: true, description: "Street address." }),
    city: t.exposeString("city", { nullable: true, description: "City." }),
    state: t.exposeString("state", { nullable: true, description: "Two-letter state code." }),
    postalCode: t.exposeString("postalCode", { nullable: true, description: "ZIP code." }),
    notes: t.exposeString("notes", { nullable: true, description: "Free-form notes." }),
    active: t.exposeBoolean("active", { description: "Whether new work is being taken from this builder." }),
    version: t.exposeInt("version", { description: "Optimistic-concurrency version: send it back as `expectedVersion`." }),
    archivedAt: t.expose("archivedAt", { type: "DateTime", nullable: true, description: "When it was archived (soft-deleted), if it was." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was created." }),
    updatedAt: t.expose("updatedAt", { type: "DateTime", description: "When it last changed." }),
    jobs: t.relatedConnection("jobs", {
      cursor: "id",
      totalCount: true,
      nullable: true,
      description: "The acting tenant's jobs for this builder, most recently changed first.",
      authScopes: { $all: { capability: "jobs", can: "job:read" } },
      args: { status: t.arg({ type: [JobStatusEnum], description: "Only jobs in these statuses." }) },
      query: (args) => ({
        where: { archivedAt: null, ...(args.status?.length ? { status: { in: args.status } } : {}) },
        orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
      }),
    }),
    bids: t.relatedConnection("bids", {
      cursor: "id",
      totalCount: true,
      nullable: true,
      description: "The acting tenant's bids to this builder, most recently changed first.",
      authScopes: { $all: { capability: "bids", can: "bid:read" } },
      args: { status: t.arg({ type: [BidStatusEnum], description: "Only bids in these statuses." }) },
      query: (args) => ({
        where: { archivedAt: null, ...(args.status?.length ? { status: { in: args.status } } : {}) },
        orderBy: [{ updatedAt: "desc" }, { id: "desc" }],
      }),
    }),
  }),
});

const BuilderFilter = builder.inputType("BuilderFilter", {
  description: "Which builders to list.",
  fields: (t) => ({
    search: t.string({ description: "Text in the name, contact, email or city (case-insensitive)." }),
    active: t.boolean({ description: "Only active (true) or inactive (false) builders." }),
    updatedAfter: t.field({ type: "DateTime", description: updatedAfterDescription }),
    includeArchived: t.boolean({ description: "Include archived builders (default false)." }),
  }),
});

const BuilderOrderField = builder.enumType("BuilderOrderField", {
  description: "What builders can be sorted by.",
  values: {
    NAME: { value: "name", description: "Company name." },
    UPDATED_AT: { value: "updatedAt", description: "Last change." },
    CREATED_AT: { value: "createdAt", description: "Creation." },
  } as const,
});

const BuilderOrder = builder.inputType("BuilderOrder", {
  description: "Sort order of builders; ties are broken by id.",
  fields: (t) => ({
    field: t.field({ type: BuilderOrderField, required: true, description: "Sort key." }),
    direction: t.field({ type: SortDirection, defaultValue: "asc", description: "Direction (default ASC)." }),
  }),
});

type BuilderFilterShape = typeof BuilderFilter.$inferInput | null | undefined;
const builderWhere = (f: BuilderFilterShape): Prisma.BuilderWhereInput => ({
  ...archivedFilter(f?.includeArchived),
  ...(f?.active != null ? { active: f.active } : {}),
  ...(f?.updatedAfter ? { updatedAt: { gt: f.updatedAfter } } : {}),
  ...(f?.search?.trim() ? { OR: textSearch(["name", "contactName", "email", "city"], f.search) } : {}),
});

builder.queryField("builders", (t) =>
  t.prismaConnection(
    {
      type: "Builder",
      cursor: "id",
      description: "Builders, filtered and sorted (default: by name).",
      authScopes,
      args: {
        filter: t.arg({ type: BuilderFilter, description: "Which builders." }),
        orderBy: t.arg({ type: BuilderOrder, description: "Sort order (default NAME ASC)." }),
      },
      resolve: (query, _root, { filter, orderBy }, ctx) => {
        const direction = orderBy?.direction ?? "asc";
        return readMany(ctx.db, "Builder", { ...query, where: builderWhere(filter), orderBy: [{ [orderBy?.field ?? "name"]: direction }, { id: direction }] }, (args) => ctx.db.builder.findMany(args));
      },
      totalCount: (_connection, { filter }, ctx) => ctx.db.builder.count({ where: builderWhere(filter) }),
    },
    { name: "BuilderConnection", description: "A page of builders." },
    { name: "BuilderEdge", description: "A builder in a page." },
  ),
);

const fields = ["name", "contactName", "phone", "email", "addressLine1", "city", "state", "postalCode", "notes", "active"] as const;

const detailFields = <R extends boolean>(t: InputFields, nameRequired: R) => ({
  name: t.string({ required: nameRequired, description: "Company name.", validate: { schema: text(120) } }),
  contactName: t.string({ description: "Main contact person.", validate: { schema: text(120) } }),
  phone: t.string({ description: "Phone: E.164 or 10 US digits.", validate: { schema: phone } }),
  email: t.string({ description: "Email address.", validate: { schema: email } }),
  addressLine1: t.string({ description: "Street address.", validate: { schema: text(200) } }),
  city: t.string({ description: "City.", validate: { schema: text(80) } }),
  state: t.string({ description: "Two-letter state code.", validate: { schema: usState } }),
  postalCode: t.string({ description: "ZIP code.", validate: { schema: postalCode } }),
  notes: t.string({ description: "Free-form notes.", validate: { schema: longText } }),
  active: t.boolean({ description: "Whether new work is taken from this builder (default true)." }),
});

const CreateBuilderInput = builder.inputType("CreateBuilderInput", {
  description: "A new builder.",
  fields: (t) => detailFields(t, true),
});

const UpdateBuilderInput = builder.inputType("UpdateBuilderInput", {
  description: "Changes to a builder; omitted fields keep their value, null clears.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: BuilderRef, description: "The builder to change." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read; a stale one is a CONFLICT.", validate: { schema: version } }),
    ...detailFields(t, false),
  }),
});

const ArchiveBuilderInput = builder.inputType("ArchiveBuilderInput", {
  description: "The builder to archive (soft delete: it stays readable by id and in history).",
  fields: (t) => ({
    id: t.globalID({ required: true, for: BuilderRef, description: "The builder." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
  }),
});

const normalize = (data: Record<string, unknown>) => ({
  ...data,
  ...(typeof data.phone === "string" ? { phone: toE164(data.phone) } : {}),
  ...(typeof data.state === "string" ? { state: data.state.toUpperCase() } : {}),
});

builder.mutationField("createBuilder", (t) =>
  t.field({
    type: payloadType("CreateBuilderPayload", "builder", BuilderRef, "builder"),
    description: "Adds a builder (shared with every tenant).",
    authScopes: writeScopes,
    args: { input: t.arg({ type: CreateBuilderInput, required: true, description: "The builder." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "builder", action: "created" }, async (tx) => {
        const created = await tx.builder.create({ data: normalize(patchOf(input, fields)) as Prisma.BuilderCreateInput });
        return { result: { builder: created }, entityId: created.id, before: null, after: created };
      }),
  }),
);

builder.mutationField("updateBuilder", (t) =>
  t.field({
    type: payloadType("UpdateBuilderPayload", "builder", BuilderRef, "builder"),
    description: "Changes a builder's details.",
    authScopes: writeScopes,
    args: { input: t.arg({ type: UpdateBuilderInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "builder", action: "updated" }, async (tx) => {
        const data = normalize(patchOf(input, fields, ["name", "active"]));
        const { before, after } = await versionedUpdate(versioned(tx, "builder"), "builder", idOf(input.id, ["input", "id"]), input.expectedVersion, data);
        return { result: { builder: after }, entityId: after.id, before, after };
      }),
  }),
);

builder.mutationField("archiveBuilder", (t) =>
  t.field({
    type: payloadType("ArchiveBuilderPayload", "builder", BuilderRef, "builder"),
    description: "Archives a builder: hidden from lists, kept for history.",
    authScopes: writeScopes,
    args: { input: t.arg({ type: ArchiveBuilderInput, required: true, description: "The builder." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "builder", action: "archived" }, async (tx) => {
        const { before, after } = await versionedUpdate(versioned(tx, "builder"), "builder", idOf(input.id, ["input", "id"]), input.expectedVersion, {
          archivedAt: new Date(),
          active: false,
        });
        return { result: { builder: after }, entityId: after.id, before, after };
      }),
  }),
);
