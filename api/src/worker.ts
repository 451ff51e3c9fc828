import { writeFile } from "node:fs/promises";
import { boundHeapGrowth } from "./heap-growth.ts";
import { loadEnvOrExit } from "./env.ts";
import { installCrashPolicy } from "./crash-policy.ts";
import { createLogger } from "./logger.ts";
import { startWorker } from "./jobs/runner.ts";
import { connectPubSub } from "./events/pubsub.ts";

// the worker seals and opens secrets; it signs no tokens
boundHeapGrowth();
const env = loadEnvOrExit(["ENCRYPTION_KEY"]);
if (!env.DATABASE_URL) (console.error("DATABASE_URL: required by the worker process (npm start sets it for the embedded database)"), process.exit(2));
// OpenTelemetry only when asked for: the SDK is not even loaded otherwise
const traces = env.OTEL_EXPORTER_OTLP_ENDPOINT
  ? (await import("./telemetry/tracing.ts")).startTracing("h2o-acp-worker", env.OTEL_EXPORTER_OTLP_ENDPOINT)
  : null;
const log = createLogger(env.LOG_LEVEL, "worker");
// changes the worker makes (e.g. disabling a failing webhook endpoint) reach the API replicas' subscribers (Redis, or PostgreSQL without it)
const events = connectPubSub(env, log, env.DATABASE_URL);
const worker = await startWorker(env, env.DATABASE_URL, log);
installCrashPolicy(log, () => worker.stop().then(() => events.close()).then(() => traces?.shutdown()));
log.info("worker running");
// graphile-worker's runner failing for good ends the process, so that its supervisor (npm start, docker) restarts it
void worker.runner.promise.catch((err) => (log.fatal({ err }, "worker runner failed"), process.exit(1)));
if (env.WORKER_HEARTBEAT_FILE) {
  const file = env.WORKER_HEARTBEAT_FILE;
  // touched only while the worker reaches its database: the healthcheck (file older than 20 s) sees a worker cut off
  const beat = () =>
    worker.ping().then(() => writeFile(file, new Date().toISOString())).catch((err) => log.warn({ err, file }, "worker heartbeat not written"));
  void beat();
  setInterval(beat, 5_000).unref();
}
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void worker.stop().then(() => events.close()).then(() => traces?.shutdown()).then(() => process.exit(0)));
