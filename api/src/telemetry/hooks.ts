/**
 * Tracing as the rest of the code sees it: empty unless OTEL_EXPORTER_OTLP_ENDPOINT is set, when
 * telemetry/tracing.ts (loaded only then, with the OpenTelemetry SDK) fills it in. A caller pays one `undefined`
 * check when tracing is off: `tracing.span?.(…) ?? fn()`.
 */
export const tracing: {
  /** The active span's W3C `traceparent`, to carry the trace into a worker job's payload. */
  traceparent?: () => string | undefined;
  /** Runs `fn` in a new span, child of `traceparent` when given (a job's), else of the active span. */
  span?: <T>(name: string, attributes: Record<string, string | number | boolean | undefined>, traceparent: string | undefined, fn: () => Promise<T>) => Promise<T>;
  /**
   * Runs `fn` inside the span of the GraphQL operation whose context value is `graphqlContext` (for work its plugins
   * do before the operation executes, such as taking its budgets); just runs it when there is none.
   */
  withinOperation?: <T>(graphqlContext: object, fn: () => T) => T;
  /** Sets an attribute on the active span. */
  annotate?: (attributes: Record<string, string | number | boolean | undefined>) => void;
  /** Adds the active span's context (`traceparent`, `tracestate`) to an outbound request's headers. */
  inject?: (headers: Record<string, string>) => void;
  /** `trace_id` and `span_id` of the active span, for log lines (pino's mixin). */
  logFields?: () => Record<string, string>;
} = {};
