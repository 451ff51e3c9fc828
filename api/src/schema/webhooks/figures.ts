import { Prisma } from "../../generated/prisma/client.ts";
import { builder } from "../builder.ts";
import { span } from "../figures.ts";
import { manage } from "./types.ts";

interface DeliveryFigures { since: Date; pending: number; succeeded: number; failed: number }

const DeliveryFiguresRef = builder.objectRef<DeliveryFigures>("WebhookDeliveryFigures").implement({
  description: "The acting tenant's webhook deliveries (one per message and endpoint) last changed in a window, by outcome, over all its endpoints.",
  fields: (t) => ({
    since: t.expose("since", { type: "DateTime", description: "The window's start; it ends now." }),
    pending: t.exposeInt("pending", { description: "Deliveries still being tried." }),
    succeeded: t.exposeInt("succeeded", { description: "Deliveries an endpoint accepted (2xx)." }),
    failed: t.exposeInt("failed", { description: "Deliveries given up on." }),
    successRate: t.float({
      nullable: true,
      description: "succeeded / (succeeded + failed), from 0 to 1; null when none has finished.",
      resolve: (f) => (f.succeeded + f.failed ? f.succeeded / (f.succeeded + f.failed) : null),
    }),
  }),
});

builder.queryField("webhookDeliveryFigures", (t) =>
  t.field({
    type: DeliveryFiguresRef,
    nullable: true,
    description: "Webhook delivery success over the last hours (deliveries by their last change), for those who manage webhooks.",
    authScopes: manage,
    args: { hours: t.arg.int({ defaultValue: 24, description: "The window, in hours (1 to 720, default 24)." }) },
    resolve: async (_, { hours }, ctx) => {
      // the window's start comes from a materialized CTE: as a parameter, the scan of (tenantId, updatedAt) is a range;
      // the tenant is named here as well as by the policy, whose value (an InitPlan) the planner cannot see
      const [row] = await ctx.db.$queryRaw<DeliveryFigures[]>(Prisma.sql`
        WITH w AS MATERIALIZED (SELECT now() - make_interval(hours => ${span(hours ?? 24, 720, "hours")}::int) AS since)
        SELECT (SELECT since FROM w) AS since,
          (count(*) FILTER (WHERE "status" = 'pending'))::int AS pending,
          (count(*) FILTER (WHERE "status" = 'succeeded'))::int AS succeeded,
          (count(*) FILTER (WHERE "status" = 'failed'))::int AS failed
        FROM "WebhookDelivery" WHERE "tenantId" = app_tenant_id() AND "updatedAt" >= (SELECT since AT TIME ZONE 'UTC' FROM w)`);
      return row!;
    },
  }),
);
