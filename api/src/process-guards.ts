import type { Logger } from "./logger.ts";

/**
 * The process-wide policy for errors nothing caught (every handler catches its own: this is the last net).
 * - An unhandled promise rejection is logged with its error and the process keeps serving: it belongs to one
 *   request, connection or job, whose own handler has already answered or timed out (Node's default would exit and
 *   take every other client with it).
 * - An uncaught exception leaves the process in an unknown state: it is logged as fatal and the process exits
 *   with 1, so the supervisor (`npm start`, docker-compose `restart:`) starts a clean one.
 */
export function installProcessGuards(log: Logger): void {
  process.on("unhandledRejection", (reason) => log.error({ err: reason }, "unhandled promise rejection (the process keeps serving)"));
  process.on("uncaughtException", (err) => {
    log.fatal({ err }, "uncaught exception: exiting for a clean restart");
    process.exit(1);
  });
}
