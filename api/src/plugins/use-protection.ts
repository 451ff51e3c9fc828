import type { DocumentNode, GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";
import { rateSubject, type RateDecision, type RequestLimiter } from "../auth/request-limiter.ts";
import type { Context } from "../context.ts";
import type { Env } from "../env.ts";
import { AppError, ErrorCode } from "../errors.ts";
import { costRefusal, queryCost } from "./query-cost.ts";

type Limits = Pick<Env, "QUERY_MAX_COST" | "RATE_LIMIT_ANONYMOUS_PER_MINUTE" | "RATE_LIMIT_USER_PER_MINUTE">;

interface OperationArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  variableValues?: Record<string, unknown> | null;
  operationName?: string | null;
  contextValue: unknown;
}

/** The cost check of an operation about to run (HTTP and WebSocket alike); null when it may run. */
export const refuseCostly = (args: OperationArgs, limits: Pick<Env, "QUERY_MAX_COST">) =>
  costRefusal(queryCost(args.schema, args.document, args.variableValues, args.operationName), limits.QUERY_MAX_COST);

/**
 * Cost and rate limits of queries and mutations (ARCHITECTURE "Protection"), over HTTP and over WebSocket (ws.ts
 * runs them through the same enveloped `execute`). A costly operation is refused before it takes from the caller's
 * budget; a caller over budget gets RATE_LIMITED (HTTP 429, `Retry-After`). HTTP responses carry the budget in
 * `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. Subscriptions are costed when they start but do not
 * take from the budget: they are long-lived, and their events are not requests.
 */
export function useProtection(limiter: RequestLimiter, limits: Limits): Plugin<Context> {
  const decisions = new WeakMap<Request, RateDecision>();
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const costly = refuseCostly(args as OperationArgs, limits);
      if (costly) return void setResultAndStopExecution({ errors: [costly] });
      const ctx = args.contextValue as Context & { request?: Request };
      const subject = rateSubject(ctx, limits);
      if (!subject) return;
      const decision = await limiter.take(subject);
      if (ctx.request) decisions.set(ctx.request, decision);
      if (!decision.allowed)
        setResultAndStopExecution({
          errors: [
            new AppError(ErrorCode.RATE_LIMITED, `rate limit of ${decision.limit} requests a minute reached: try again in ${decision.resetSeconds} s`, {
              details: { retryAfterSeconds: decision.resetSeconds, limitPerMinute: decision.limit },
            }),
          ],
        });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const costly = refuseCostly(args as OperationArgs, limits);
      if (costly) setResultAndStopExecution({ errors: [costly] });
    },
    onResponse({ request, response }) {
      const decision = decisions.get(request);
      if (!decision) return;
      response.headers.set("ratelimit-limit", String(decision.limit));
      response.headers.set("ratelimit-remaining", String(decision.remaining));
      response.headers.set("ratelimit-reset", String(decision.resetSeconds));
      if (!decision.allowed) response.headers.set("retry-after", String(decision.resetSeconds));
    },
  };
}
