// The worker process of the webhooks bench: api/src/worker.ts's startWorker with the bench's concurrency, on the
// bench's database; says "ready" on stdout once running, stops on SIGTERM. A file of its own (not *.bench.ts) so the
// bench can run it against a baseline revision too.
import { loadEnv } from "../src/env.ts";
import { startWorker } from "../src/jobs/runner.ts";
import { createLogger } from "../src/logger.ts";

const env = loadEnv();
const worker = await startWorker(env, env.DATABASE_URL!, createLogger("silent"), Number(process.env.BENCH_WORKER_CONCURRENCY ?? 8));
process.stdout.write("ready\n");
process.once("SIGTERM", () => void worker.stop().then(() => process.exit(0)));
