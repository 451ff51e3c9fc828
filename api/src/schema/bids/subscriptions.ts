import { topicFor } from "../../events/pubsub.ts";
import { builder } from "../builder.ts";
import { BuilderRef } from "../builders/types.ts";
import { BidChange, catchUp, either, liveEvents, typeMatches, typesArg } from "../live.ts";
import { BidStatusEnum } from "./enums.ts";
import { BidRef } from "./types.ts";

builder.subscriptionField("bidChanged", (t) =>
  t.field({
    type: BidChange,
    description: "Every committed change to the acting tenant's bids that passes the filters (all must hold)." + catchUp("bids"),
    authScopes: { $all: { capability: "bids", can: "bid:read" } },
    args: {
      id: t.arg.globalID({ for: BidRef, description: "Only this bid." }),
      status: t.arg({ type: [BidStatusEnum], description: "Only bids in one of these statuses before or after the change." }),
      builderId: t.arg.globalID({ for: BuilderRef, description: "Only bids to this builder (before or after the change)." }),
      estimator: t.arg.string({ description: "Only bids of this estimator before or after the change." }),
      types: t.arg.stringList({ description: typesArg }),
    },
    subscribe: (_root, args, ctx) =>
      liveEvents(ctx, (tenant) => topicFor(tenant, "bid"), (e) =>
        (!args.id || e.entityId === args.id.id) &&
        either(e, "status", args.status) &&
        either(e, "builderId", args.builderId ? [args.builderId.id] : null) &&
        either(e, "estimator", args.estimator != null ? [args.estimator] : null) &&
        typeMatches(args.types)(e),
      ),
    resolve: (event) => event,
  }),
);
