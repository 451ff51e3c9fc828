import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context } from "@opentelemetry/api";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { PrismaInstrumentation } from "@prisma/instrumentation";
import { useOnResolve } from "@envelop/on-resolve";
import { Kind, type DocumentNode, type GraphQLResolveInfo, type OperationDefinitionNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context as AppContext } from "../context.ts";
import { queryCost } from "../plugins/query-cost.ts";
import { tracing } from "./hooks.ts";

/**
 * OpenTelemetry traces, exported over OTLP/HTTP (JSON) to `<endpoint>/v1/traces`. Loaded (with the SDK) only when
 * OTEL_EXPORTER_OTLP_ENDPOINT is set: main.ts and worker.ts import this module then, and nothing else does, so
 * tracing off costs nothing but the `tracing.x?.()` checks of telemetry/hooks.ts. What it traces:
 * - the API: a span per GraphQL operation (`useOperationSpans`: name, type, cost, tenant), child of the request's
 *   `traceparent` header when it has one; Prisma's own spans under it (operations and each SQL statement); a span for
 *   each resolver that took at least OTEL_SLOW_RESOLVER_MS (`graphql.resolve Type.field`, with its response path);
 * - the worker: `webhook.fanout` as a child of the mutation that wrote the message (its job carries the
 *   `traceparent`), `webhook.deliver` (an endpoint's drain) as a child of the fan-out that woke it last (drain jobs
 *   are one per endpoint, collapsed: a drain woken by several fan-outs follows the latest), a `webhook.attempt` per
 *   request, whose context goes to the partner in the `traceparent` header; the fan-out's and the drain's own SQL
 *   (not Prisma's) as `pg.query` spans with their text (db/sql.ts);
 * - Redis: a span per call of the request path and the pipeline (`redis h2oTakeBudgets`, the request and cost budgets;
 *   `redis PUBLISH`, live events), made where they are called (auth/request-limiter.ts, events/pubsub.ts);
 * - log lines carry `trace_id` and `span_id` of the active span.
 * Not traced: graphile-worker's own queries (its pg pool), subscriptions' deliveries, the subscriber connections.
 */
export function startTracing(serviceName: string, endpoint: string, options: { slowResolverMs?: number } = {}): { yogaPlugin: () => Plugin<Record<string, unknown>>; shutdown(): Promise<void> } {
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": serviceName }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/$/, "")}/v1/traces` }))],
  });
  provider.register(); // the global tracer provider, AsyncLocalStorage context, W3C trace context propagation
  new PrismaInstrumentation(); // enabled on construction: Prisma Client reports its spans to the global provider
  const tracer = trace.getTracer("h2o-acp");

  const fromTraceparent = (traceparent: string | undefined): Context =>
    traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : context.active();

  tracing.traceparent = () => {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    return carrier.traceparent;
  };
  tracing.span = (name, attributes, traceparent, fn) =>
    tracer.startActiveSpan(name, { attributes: defined(attributes) }, fromTraceparent(traceparent), async (span) => {
      try {
        return await fn();
      } catch (err) {
        span.recordException(err as Error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
        throw err;
      } finally {
        span.end();
      }
    });
  tracing.withinOperation = (graphqlContext, fn) => {
    const active = operationContexts.get(graphqlContext);
    return active ? context.with(active, fn) : fn();
  };
  tracing.annotate = (attributes) => trace.getActiveSpan()?.setAttributes(defined(attributes));
  tracing.inject = (headers) => propagation.inject(context.active(), headers);
  tracing.logFields = (): Record<string, string> => {
    const span = trace.getActiveSpan()?.spanContext();
    return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
  };

  return {
    yogaPlugin: () => useOperationSpans(tracer, options.slowResolverMs ?? 20),
    async shutdown() {
      await provider.shutdown(); // exports what is still buffered
    },
  };
}

const defined = (attributes: Record<string, string | number | boolean | undefined>): Attributes =>
  Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Attributes;

/** The active context of each GraphQL operation's span, by its context value (`tracing.withinOperation`). */
const operationContexts = new WeakMap<object, Context>();

/**
 * A span per executed GraphQL operation, active while it runs (so Prisma's and the pipeline's work are its children),
 * and for the plugins after this one that run their work in `tracing.withinOperation` (the budgets' Redis call): the
 * server puts this plugin first.
 */
function useOperationSpans(tracer: ReturnType<typeof trace.getTracer>, slowResolverMs: number): Plugin<Record<string, unknown>> {
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useSlowResolverSpans(tracer, slowResolverMs) as Plugin<Record<string, unknown>>);
    },
    onExecute({ args, executeFn, setExecuteFn }) {
      const ctx = args.contextValue as Partial<AppContext> & { request?: Request };
      const document = args.document as DocumentNode;
      const operation = document.definitions.find(
        (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION && (!args.operationName || d.name?.value === args.operationName),
      );
      const name = operation?.name?.value ?? args.operationName ?? "anonymous";
      const type = operation?.operation ?? "query";
      const parent = ctx.request ? propagation.extract(ROOT_CONTEXT, Object.fromEntries(ctx.request.headers)) : context.active();
      const span = tracer.startSpan(`graphql.${type} ${name}`, {
        kind: SpanKind.SERVER,
        attributes: defined({
          "graphql.operation.name": name,
          "graphql.operation.type": type,
          "graphql.operation.cost": queryCost(args.schema, document, args.variableValues, args.operationName) ?? undefined,
          "app.tenant_id": ctx.tenant?.id,
          "app.request_id": ctx.requestId,
        }),
      }, parent);
      const active = trace.setSpan(parent, span);
      operationContexts.set(args.contextValue as object, active);
      setExecuteFn((a) => context.with(active, () => executeFn(a)));
      return {
        onExecuteDone({ result }) {
          const errors = "errors" in result ? result.errors : undefined;
          if (errors?.length) span.setStatus({ code: SpanStatusCode.ERROR, message: errors[0]!.message });
          span.end();
        },
      };
    },
  };
}

/**
 * A span for each resolver that took at least `thresholdMs`, made when it has finished (with its real start and end),
 * under its operation's span: every resolver is timed while tracing is on (it is not loaded otherwise), and only the
 * slow ones are exported.
 */
function useSlowResolverSpans(tracer: ReturnType<typeof trace.getTracer>, thresholdMs: number) {
  return useOnResolve(({ context: graphqlContext, info }) => {
    const start = performance.now();
    const startTime = Date.now();
    return ({ result }) => {
      const took = performance.now() - start;
      if (took < thresholdMs) return;
      const parent = operationContexts.get(graphqlContext as object) ?? context.active();
      const span = tracer.startSpan(`graphql.resolve ${info.parentType.name}.${info.fieldName}`, {
        startTime,
        attributes: { "graphql.field.path": responsePathOf(info.path), "graphql.field.type": String(info.returnType) },
      }, parent);
      if (result instanceof Error) span.setStatus({ code: SpanStatusCode.ERROR, message: result.message });
      span.end(startTime + took);
    };
  });
}

const responsePathOf = (path: GraphQLResolveInfo["path"] | undefined): string => (path ? `${path.prev ? responsePathOf(path.prev) + "." : ""}${path.key}` : "");
