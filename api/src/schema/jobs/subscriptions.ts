import { topicFor } from "../../events/pubsub.ts";
import { builder } from "../builder.ts";
import { BuilderRef } from "../builders/types.ts";
import { catchUp, either, JobChange, liveEvents, typeMatches, typesArg } from "../live.ts";
import { JobStatusEnum } from "./enums.ts";
import { JobRef } from "./types.ts";

builder.subscriptionField("jobChanged", (t) =>
  t.field({
    type: JobChange,
    description: "Every committed change to the acting tenant's jobs that passes the filters (all must hold)." + catchUp("jobs"),
    authScopes: { $all: { capability: "jobs", can: "job:read" } },
    args: {
      id: t.arg.globalID({ for: JobRef, description: "Only this job." }),
      status: t.arg({ type: [JobStatusEnum], description: "Only jobs in one of these statuses before or after the change (so leaving one counts)." }),
      builderId: t.arg.globalID({ for: BuilderRef, description: "Only this builder's jobs (before or after the change)." }),
      assignedCrew: t.arg.string({ description: "Only jobs assigned to this crew before or after the change." }),
      types: t.arg.stringList({ description: typesArg }),
    },
    subscribe: (_root, args, ctx) =>
      liveEvents(ctx, (tenant) => topicFor(tenant, "job"), (e) =>
        (!args.id || e.entityId === args.id.id) &&
        either(e, "status", args.status) &&
        either(e, "builderId", args.builderId ? [args.builderId.id] : null) &&
        either(e, "assignedCrew", args.assignedCrew != null ? [args.assignedCrew] : null) &&
        typeMatches(args.types)(e),
      ),
    resolve: (event) => event,
  }),
);
