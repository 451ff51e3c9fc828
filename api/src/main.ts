import { boundHeapGrowth } from "./heap-growth.ts";
import { loadEnvOrExit } from "./env.ts";
import { installCrashPolicy } from "./crash-policy.ts";
import { createLogger } from "./logger.ts";
import { buildApp } from "./server.ts";

boundHeapGrowth();
const env = loadEnvOrExit();
if (!env.DATABASE_URL) (console.error("DATABASE_URL: required by the API process (npm start sets it for the embedded database)"), process.exit(2));
// OpenTelemetry only when asked for: the SDK is not even loaded otherwise
const traces = env.OTEL_EXPORTER_OTLP_ENDPOINT
  ? (await import("./telemetry/tracing.ts")).startTracing("h2o-acp-api", env.OTEL_EXPORTER_OTLP_ENDPOINT, { slowResolverMs: env.OTEL_SLOW_RESOLVER_MS })
  : null;
const log = createLogger(env.LOG_LEVEL, "api");
const app = buildApp(env, { databaseUrl: env.DATABASE_URL, log, tracing: traces?.yogaPlugin() });
const stop = () => app.stop().then(() => traces?.shutdown());
installCrashPolicy(log, stop);
const { url } = await app.start();
log.info({ url }, "api listening");
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop().then(() => process.exit(0)));
