import type { DocumentNode, ExecutionResult, GraphQLSchema } from "graphql";
import type { Plugin } from "graphql-yoga";
import { rateSubject, type CostDecision, type RateDecision, type RequestLimiter } from "../auth/request-limiter.ts";
import type { Context } from "../context.ts";
import type { Env } from "../env.ts";
import { AppError, ErrorCode } from "../errors.ts";
import { tracing } from "../telemetry/hooks.ts";
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
 * What every query and mutation response carries in `extensions.cost` (the names of Shopify's GraphQL Admin API):
 * the operation's cost and, once it was checked against the caller's bucket, the bucket's state after it.
 */
export interface CostExtension {
  requestedQueryCost: number;
  throttleStatus?: { maximumAvailable: number; currentlyAvailable: number; restoreRate: number };
}

const costExtension = (requested: number, cost?: CostDecision): CostExtension =>
  cost
    ? { requestedQueryCost: requested, throttleStatus: { maximumAvailable: cost.maximumAvailable, currentlyAvailable: cost.currentlyAvailable, restoreRate: cost.restoreRate } }
    : { requestedQueryCost: requested };

/**
 * Cost and rate limits of queries and mutations (ARCHITECTURE "Protection"), over HTTP and over WebSocket (ws.ts
 * runs them through the same enveloped `execute`). In order:
 * 1. an operation costing more than QUERY_MAX_COST, or than the caller's whole bucket (it would never fit), is
 *    QUERY_TOO_COMPLEX and takes nothing from the caller's budgets;
 * 2. one request is taken from the caller's one-minute request budget and the operation's cost from their cost
 *    bucket, in one step (one Redis round trip with Redis: RequestLimiter); over either, RATE_LIMITED (HTTP 429,
 *    `Retry-After`, `extensions.retryAfterSeconds`: for the cost, the time until the bucket holds it);
 * 3. the response, refused or not, carries `extensions.cost` (CostExtension).
 * HTTP responses carry the request budget in `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`.
 * Subscriptions are costed when they start but take from neither budget: they are long-lived, and their events are
 * not requests.
 */
export function useProtection(limiter: RequestLimiter, limits: Limits): Plugin<Context> {
  const retryAfter = new WeakMap<Request, RateDecision>();
  return {
    async onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as Context & { request?: Request };
      const subject = rateSubject(ctx, limits);
      const cost = queryCost(args.schema, args.document, args.variableValues, args.operationName);
      const costly = costRefusal(cost, Math.min(limits.QUERY_MAX_COST, subject?.costBudget.maximum ?? Infinity));
      if (costly) return void setResultAndStopExecution({ errors: [costly], extensions: { cost: costExtension(cost ?? 0) } });
      if (!subject) return;
      const requested = cost ?? 0; // an operation that cannot be costed fails in execution, having run nothing
      const take = () => limiter.take(subject, requested);
      const decision = await (tracing.withinOperation ? tracing.withinOperation(ctx, take) : take());
      if (ctx.request) retryAfter.set(ctx.request, decision);
      const extensions = { cost: costExtension(requested, decision.cost) };
      const refusal = refusalOf(decision);
      if (refusal) return void setResultAndStopExecution({ errors: [refusal], extensions });
      return {
        onExecuteDone({ result, setResult }) {
          if (isAsyncIterable(result)) return;
          const single = result as ExecutionResult;
          setResult({ ...single, extensions: { ...single.extensions, ...extensions } });
        },
      };
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const costly = refuseCostly(args as OperationArgs, limits);
      if (costly) setResultAndStopExecution({ errors: [costly] });
    },
    onResponse({ request, response }) {
      const decision = retryAfter.get(request);
      if (!decision) return;
      response.headers.set("ratelimit-limit", String(decision.limit));
      response.headers.set("ratelimit-remaining", String(decision.remaining));
      response.headers.set("ratelimit-reset", String(decision.resetSeconds));
      if (!decision.allowed) response.headers.set("retry-after", String(decision.resetSeconds));
      else if (decision.cost && !decision.cost.allowed) response.headers.set("retry-after", String(decision.cost.retryAfterSeconds));
    },
  };
}

/** RATE_LIMITED when the request budget, or else the cost bucket, refused the operation; null when it may run. */
function refusalOf(decision: RateDecision): AppError | null {
  if (!decision.allowed)
    return new AppError(ErrorCode.RATE_LIMITED, `rate limit of ${decision.limit} requests a minute reached: try again in ${decision.resetSeconds} s`, {
      details: { retryAfterSeconds: decision.resetSeconds, limitPerMinute: decision.limit },
    });
  const cost = decision.cost;
  if (!cost || cost.allowed) return null;
  return new AppError(
    ErrorCode.RATE_LIMITED,
    `query cost ${cost.requested} exceeds the ${cost.currentlyAvailable} cost points available (${cost.restoreRate} restored a second): try again in ${cost.retryAfterSeconds} s`,
    { details: { retryAfterSeconds: cost.retryAfterSeconds } },
  );
}

const isAsyncIterable = (value: unknown): boolean =>
  typeof value === "object" && value !== null && Symbol.asyncIterator in value;
