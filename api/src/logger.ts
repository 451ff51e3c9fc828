import pino from "pino";
import { tracing } from "./telemetry/hooks.ts";

/**
 * Structured JSON logs. `LOG_LEVEL` is read through env.ts by the caller. With tracing on (started before the
 * logger is made), each line carries the active span's `trace_id` and `span_id`.
 */
export function createLogger(level: string, name = "api") {
  return pino({ name, level, base: { pid: process.pid, service: name }, ...(tracing.logFields ? { mixin: tracing.logFields } : {}) });
}
export type { Logger } from "pino";
