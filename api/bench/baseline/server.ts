// Entry of the baseline server process (started by `npm run bench -- http`, see app.ts): configuration from the
// environment the bench gives it, then listen until SIGTERM.
import { createBaseline } from "./app.ts";

const need = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
const baseline = await createBaseline({
  databaseUrl: need("DATABASE_URL"),
  jwtSecret: need("JWT_SECRET"),
  poolMax: Number(process.env.DB_POOL_MAX ?? 10),
  redisUrl: process.env.REDIS_URL,
  redisPrefix: process.env.REDIS_KEY_PREFIX,
});
const url = await baseline.listen(Number(need("BASELINE_PORT")));
console.log(`baseline listening on ${url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void baseline.close().then(() => process.exit(0)));
