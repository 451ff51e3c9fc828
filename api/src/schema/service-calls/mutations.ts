import { tenantOwned } from "../../db/tenancy.ts";
import { serviceCallStatus } from "../../domain/service-call-status.ts";
import { email, longText, phone, postalCode, text, toE164, usState, version } from "../../domain/validation.ts";
import { versioned, versionedUpdate } from "../../domain/versioned.ts";
import { badInput } from "../../errors.ts";
import { runMutation } from "../../events/pipeline.ts";
import type { ServiceCall } from "../../generated/prisma/client.ts";
import type { ServiceCallStatus } from "../../generated/prisma/enums.ts";
import { builder, type InputFields } from "../builder.ts";
import { idOf, patchOf, payloadType } from "../common.ts";
import { ServiceCallPriorityEnum, ServiceCallStatusEnum } from "./enums.ts";
import { ServiceCallRef } from "./types.ts";

const detailFields = <R extends boolean>(t: InputFields, required: R) => ({
  customerName: t.string({ required, description: "The customer's name.", validate: { schema: text(120) } }),
  customerPhone: t.string({ required, description: "Phone: E.164 or 10 US digits.", validate: { schema: phone } }),
  customerEmail: t.string({ description: "The customer's email.", validate: { schema: email } }),
  addressLine1: t.string({ required, description: "Street address of the job site.", validate: { schema: text(200) } }),
  city: t.string({ description: "City.", validate: { schema: text(80) } }),
  state: t.string({ description: "Two-letter state code.", validate: { schema: usState } }),
  postalCode: t.string({ description: "ZIP code.", validate: { schema: postalCode } }),
  problem: t.string({ required, description: "What the customer reports.", validate: { schema: text(2_000) } }),
  priority: t.field({ type: ServiceCallPriorityEnum, description: "How fast it needs a technician (default ROUTINE)." }),
  windowStart: t.field({ type: "DateTime", description: "Start of the promised arrival window." }),
  windowEnd: t.field({ type: "DateTime", description: "End of the promised arrival window (after its start)." }),
  assignedTechnician: t.string({ description: "The technician assigned.", validate: { schema: text(80) } }),
  resolutionNotes: t.string({ description: "What was done.", validate: { schema: longText } }),
});

const CreateServiceCallInput = builder.inputType("CreateServiceCallInput", {
  description: "A new service call; it starts NEW.",
  fields: (t) => detailFields(t, true),
});

const UpdateServiceCallInput = builder.inputType("UpdateServiceCallInput", {
  description: "Changes to a service call's details (its status changes through changeServiceCallStatus); omitted fields keep their value, null clears.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: ServiceCallRef, description: "The service call to change." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read; a stale one is a CONFLICT.", validate: { schema: version } }),
    ...detailFields(t, false),
  }),
});

const ChangeServiceCallStatusInput = builder.inputType("ChangeServiceCallStatusInput", {
  description: "A move of a service call to its next status; see ServiceCall.allowedNextStatuses.",
  fields: (t) => ({
    id: t.globalID({ required: true, for: ServiceCallRef, description: "The service call." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
    status: t.field({ type: ServiceCallStatusEnum, required: true, description: "The new status." }),
  }),
});

const ArchiveServiceCallInput = builder.inputType("ArchiveServiceCallInput", {
  description: "The service call to archive (soft delete: it stays readable by id and in history).",
  fields: (t) => ({
    id: t.globalID({ required: true, for: ServiceCallRef, description: "The service call." }),
    expectedVersion: t.int({ required: true, description: "The `version` you read.", validate: { schema: version } }),
  }),
});

const columns = ["customerName", "customerPhone", "customerEmail", "addressLine1", "city", "state", "postalCode", "problem", "priority",
  "windowStart", "windowEnd", "assignedTechnician", "resolutionNotes"] as const;

function normalize(data: Record<string, unknown>) {
  if (typeof data.customerPhone === "string") data.customerPhone = toE164(data.customerPhone);
  if (typeof data.state === "string") data.state = data.state.toUpperCase();
  return data;
}

function checkWindow(call: Pick<ServiceCall, "windowStart" | "windowEnd">) {
  if (call.windowStart && call.windowEnd && call.windowEnd <= call.windowStart) throw badInput("must be after windowStart", ["input", "windowEnd"]);
}

/** Rules beyond the state machine, and the timestamps a status sets. */
function statusChange(call: ServiceCall, to: ServiceCallStatus, now = new Date()) {
  serviceCallStatus.assert(call.status, to);
  if (to === "scheduled" && !call.windowStart) throw badInput("set an arrival window (windowStart) before scheduling", ["input", "status"]);
  if (to === "dispatched" && !call.assignedTechnician) throw badInput("assign a technician before dispatching", ["input", "status"]);
  return { status: to, ...(to === "completed" ? { completedAt: now } : {}), ...(to === "invoiced" ? { invoicedAt: now } : {}) };
}

builder.mutationField("createServiceCall", (t) =>
  t.field({
    type: payloadType("CreateServiceCallPayload", "serviceCall", ServiceCallRef, "service call"),
    description: "Takes a new service call; it starts NEW.",
    authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:write" } },
    args: { input: t.arg({ type: CreateServiceCallInput, required: true, description: "The service call." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "service_call", action: "created" }, async (tx) => {
        const data = normalize(patchOf(input, columns, ["priority"]));
        checkWindow({ windowStart: input.windowStart ?? null, windowEnd: input.windowEnd ?? null });
        const call = await tx.serviceCall.create({
          data: tenantOwned({ ...data, customerName: input.customerName, customerPhone: toE164(input.customerPhone), addressLine1: input.addressLine1, problem: input.problem }),
        });
        return { result: { serviceCall: call }, entityId: call.id, before: null, after: call };
      }),
  }),
);

builder.mutationField("updateServiceCall", (t) =>
  t.field({
    type: payloadType("UpdateServiceCallPayload", "serviceCall", ServiceCallRef, "service call"),
    description: "Changes a service call's details.",
    authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:write" } },
    args: { input: t.arg({ type: UpdateServiceCallInput, required: true, description: "The changes." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "service_call", action: "updated" }, async (tx) => {
        const data = normalize(patchOf(input, columns, ["customerName", "customerPhone", "addressLine1", "problem", "priority"]));
        const { before, after } = await versionedUpdate(versioned(tx, "serviceCall"), "service call", idOf(input.id, ["input", "id"]), input.expectedVersion, (call) => {
          checkWindow({ ...call, ...data } as ServiceCall);
          return data;
        });
        return { result: { serviceCall: after }, entityId: after.id, before, after };
      }),
  }),
);

builder.mutationField("changeServiceCallStatus", (t) =>
  t.field({
    type: payloadType("ChangeServiceCallStatusPayload", "serviceCall", ServiceCallRef, "service call"),
    description: "Moves a service call to its next status, following the service-call state machine (see ServiceCall.allowedNextStatuses).",
    authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:write" } },
    args: { input: t.arg({ type: ChangeServiceCallStatusInput, required: true, description: "The move." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "service_call", action: "status_changed" }, async (tx) => {
        const { before, after } = await versionedUpdate(versioned(tx, "serviceCall"), "service call", idOf(input.id, ["input", "id"]), input.expectedVersion, (call) =>
          statusChange(call, input.status),
        );
        return { result: { serviceCall: after }, entityId: after.id, before, after };
      }),
  }),
);

builder.mutationField("archiveServiceCall", (t) =>
  t.field({
    type: payloadType("ArchiveServiceCallPayload", "serviceCall", ServiceCallRef, "service call"),
    description: "Archives a service call: hidden from lists, kept for history.",
    authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:write" } },
    args: { input: t.arg({ type: ArchiveServiceCallInput, required: true, description: "The service call." }) },
    resolve: (_root, { input }, ctx) =>
      runMutation(ctx, { entityType: "service_call", action: "archived" }, async (tx) => {
        const { before, after } = await versionedUpdate(versioned(tx, "serviceCall"), "service call", idOf(input.id, ["input", "id"]), input.expectedVersion, {
          archivedAt: new Date(),
        });
        return { result: { serviceCall: after }, entityId: after.id, before, after };
      }),
  }),
);
