import { topicFor } from "../../events/pubsub.ts";
import { builder } from "../builder.ts";
import { catchUp, either, liveEvents, ServiceCallChange, typeMatches, typesArg } from "../live.ts";
import { ServiceCallPriorityEnum, ServiceCallStatusEnum } from "./enums.ts";
import { ServiceCallRef } from "./types.ts";

builder.subscriptionField("serviceCallChanged", (t) =>
  t.field({
    type: ServiceCallChange,
    description: "Every committed change to the acting tenant's service calls that passes the filters (all must hold)." + catchUp("serviceCalls"),
    authScopes: { $all: { capability: "serviceCalls", can: "serviceCall:read" } },
    args: {
      id: t.arg.globalID({ for: ServiceCallRef, description: "Only this service call." }),
      status: t.arg({ type: [ServiceCallStatusEnum], description: "Only calls in one of these statuses before or after the change." }),
      priority: t.arg({ type: [ServiceCallPriorityEnum], description: "Only calls of one of these priorities before or after the change." }),
      assignedTechnician: t.arg.string({ description: "Only calls assigned to this technician before or after the change." }),
      types: t.arg.stringList({ description: typesArg }),
    },
    subscribe: (_root, args, ctx) =>
      liveEvents(ctx, (tenant) => topicFor(tenant, "service_call"), (e) =>
        (!args.id || e.entityId === args.id.id) &&
        either(e, "status", args.status) &&
        either(e, "priority", args.priority) &&
        either(e, "assignedTechnician", args.assignedTechnician != null ? [args.assignedTechnician] : null) &&
        typeMatches(args.types)(e),
      ),
    resolve: (event) => event,
  }),
);
