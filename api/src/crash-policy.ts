import type { Logger } from "./logger.ts";

/**
 * What a process does with an error nothing caught (an `uncaughtException`, or a promise rejection nobody
 * handled): it cannot know what state that left behind, so it does not carry on.
 *
 * 1. The error is logged at `fatal` with its kind and the process's name (request and connection handlers catch
 *    their own errors and log them with their request or connection id; what reaches here escaped all of them).
 * 2. `stop` (the graceful shutdown) gets `graceMs` to finish in-flight work, then the process exits with code 1
 *    whatever happened; a second error during that time does not start a second shutdown.
 * 3. The supervisor (`npm start`, docker-compose's restart policy) starts the process again.
 */
export function installCrashPolicy(log: Logger, stop: () => Promise<unknown>, graceMs = 5_000): void {
  let crashing = false;
  const crash = (kind: string) => (err: unknown) => {
    log.fatal({ err, kind }, "unhandled error: the process exits and its supervisor restarts it");
    if (crashing) return;
    crashing = true;
    process.exitCode = 1;
    setTimeout(() => process.exit(1), graceMs).unref();
    void Promise.resolve()
      .then(stop)
      .catch((stopErr: unknown) => log.error({ err: stopErr }, "shutdown after an unhandled error failed"))
      .finally(() => process.exit(1));
  };
  process.on("uncaughtException", crash("uncaughtException"));
  process.on("unhandledRejection", crash("unhandledRejection"));
}
