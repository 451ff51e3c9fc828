import pino from "pino";

/** Structured JSON logs. `LOG_LEVEL` is read through env.ts by the caller. */
export function createLogger(level: string, name = "api") {
  return pino({ name, level, base: { pid: process.pid, service: name } });
}
export type { Logger } from "pino";
