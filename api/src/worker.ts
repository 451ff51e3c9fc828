import { ConfigError, loadEnv } from "./env.ts";
import { createLogger } from "./logger.ts";
import { startWorker } from "./jobs/runner.ts";
import { connectPubSub } from "./events/pubsub.ts";

const env = (() => {
  try {
    return loadEnv();
  } catch (e) {
    if (e instanceof ConfigError) (console.error(e.message), process.exit(2));
    throw e;
  }
})();
if (!env.DATABASE_URL) (console.error("DATABASE_URL: required by the worker process (npm start sets it for the embedded database)"), process.exit(2));
const log = createLogger(env.LOG_LEVEL, "worker");
// changes the worker makes (e.g. disabling a failing webhook endpoint) reach the API replicas' subscribers through Redis
const events = connectPubSub(env, log);
const worker = await startWorker(env, env.DATABASE_URL, log);
log.info("worker running");
for (const signal of ["SIGINT", "SIGTERM"] as const)
  process.once(signal, () => void worker.stop().then(() => events.close()).then(() => process.exit(0)));
