import { endpointHealth, type EndpointHealth, type HealthBucket } from "../../webhooks/endpoint-health.ts";
import { webhookSettings } from "../../webhooks/runtime.ts";
import { builder } from "../builder.ts";
import { manage, WebhookEndpointRef } from "./types.ts";

const BreakerStateEnum = builder.enumType("WebhookBreakerState", {
  description: "The endpoint's circuit breaker, as its attempt log shows it.",
  values: {
    CLOSED: { description: "Attempts go out as usual." },
    OPEN: { description: "Too many consecutive failures: attempts are refused without sending until the breaker's open time has passed." },
    HALF_OPEN: { description: "The open time has passed: the next attempt is a probe; a success closes the breaker, a failure opens it again." },
  } as const,
});

const HealthBucketRef = builder.objectRef<HealthBucket>("WebhookEndpointHealthBucket").implement({
  description: "An endpoint's attempts over a period (an hour, or the whole window), computed by the database from its attempt log.",
  fields: (t) => ({
    start: t.expose("start", { type: "DateTime", description: "The period's start (UTC)." }),
    attempts: t.exposeInt("attempts", { description: "HTTP attempts (and attempts refused by the open breaker)." }),
    successes: t.exposeInt("successes", { description: "Attempts answered 2xx." }),
    successRate: t.exposeFloat("successRate", { nullable: true, description: "successes / attempts, from 0 to 1; null without attempts." }),
    latencyP50Ms: t.exposeFloat("latencyP50Ms", { nullable: true, description: "Median latency of the attempts that got an answer, in ms; null without any." }),
    latencyP95Ms: t.exposeFloat("latencyP95Ms", { nullable: true, description: "95th-percentile latency of the attempts that got an answer, in ms; null without any." }),
  }),
});

const HealthRef = builder.objectRef<EndpointHealth>("WebhookEndpointHealth").implement({
  description: "How an endpoint has been doing over the last 24 hours, its breaker, and when it would be disabled.",
  fields: (t) => ({
    since: t.expose("since", { type: "DateTime", description: "Start of the window: 24 hourly buckets, the current hour last." }),
    total: t.field({ type: HealthBucketRef, description: "The whole window (its start is `since`).", resolve: (h) => ({ start: h.since, ...h.total }) }),
    hourly: t.field({ type: [HealthBucketRef], description: "Hour by hour, oldest first (24 buckets; hours without attempts included).", resolve: (h) => h.hourly }),
    breaker: t.field({ type: BreakerStateEnum, description: "The circuit breaker's state.", resolve: (h) => h.breaker }),
    autoDisableAt: t.expose("autoDisableAt", {
      type: "DateTime",
      nullable: true,
      description: "When the endpoint is disabled if every attempt keeps failing until then (failingSince + the auto-disable period); null while it is not failing, or once disabled.",
    }),
  }),
});

builder.objectField(WebhookEndpointRef, "health", (t) =>
  t.field({
    type: HealthRef,
    description: "Success rate and latency over the last 24 hours, the breaker's state, and when it would be auto-disabled.",
    authScopes: manage,
    extensions: { webhookPayload: false }, // read-time figures, not the endpoint's state: not in its events' payloads
    resolve: (endpoint, _args, ctx) => {
      const { config, disableAfterMs } = webhookSettings();
      return endpointHealth(ctx.db, endpoint, config, disableAfterMs);
    },
  }),
);
