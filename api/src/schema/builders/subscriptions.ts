import { topicFor } from "../../events/pubsub.ts";
import { builder } from "../builder.ts";
import { BuilderRef } from "./types.ts";
import { BuilderChange, catchUp, liveEvents, typeMatches, typesArg } from "../live.ts";

builder.subscriptionField("builderChanged", (t) =>
  t.field({
    type: BuilderChange,
    description: "Every committed change the acting tenant makes to builders, filtered." + catchUp("builders"),
    authScopes: { $all: { capability: ["jobs", "bids"], can: "builder:read" } },
    args: {
      id: t.arg.globalID({ for: BuilderRef, description: "Only this builder." }),
      types: t.arg.stringList({ description: typesArg }),
    },
    subscribe: (_root, args, ctx) =>
      liveEvents(ctx, (tenant) => topicFor(tenant, "builder"), (e) => (!args.id || e.entityId === args.id.id) && typeMatches(args.types)(e)),
    resolve: (event) => event,
  }),
);
