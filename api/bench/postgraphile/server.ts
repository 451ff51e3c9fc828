// Entry of the PostGraphile process `npm run bench -- http` starts (see app.ts): configuration from the environment
// the bench gives it, then listen until SIGTERM. It listens once its schema is built: any answer means ready.
import { createPostGraphile } from "./app.ts";

const need = (name: string) => process.env[name] ?? (console.error(`${name} is required`), process.exit(2));
const pgl = await createPostGraphile({ databaseUrl: need("DATABASE_URL"), jwtSecret: need("JWT_SECRET"), poolMax: Number(process.env.DB_POOL_MAX ?? 10) });
const url = await pgl.listen(Number(need("POSTGRAPHILE_PORT")));
console.log(`postgraphile listening on ${url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void pgl.close().then(() => process.exit(0)));
