// The data set `npm run bench -- http` measures: a dedicated database with the demo tenants (`seed`) and `seed:large`
// (50,000 jobs in all_county, service calls in h2o). Created on the first run, reused afterwards: the job count is the
// marker (seed:large is one transaction). Its default name carries the migrations' hash (`h2o_bench_<hash>`, as the
// tests' template does), so branches with different migrations never share, or half-migrate, one data set.
import pg from "pg";
import { seed } from "../../../prisma/seed.ts";
import { generateApiKey } from "../../src/auth/api-keys.ts";
import { createPrisma } from "../../src/db/client.ts";
import { migrateDeploy, migrationNames } from "../../src/db/migrate.ts";
import { generateLargeDataset } from "../../scripts/generate-large-dataset.ts";
import { templateName } from "../../test/support/database.ts";

/** postgresql://postgres@127.0.0.1:5432/h2o_bench_<hash of prisma/migrations>, unless BENCH_DATABASE_URL says. */
export const defaultBenchUrl = () => `postgresql://postgres@127.0.0.1:5432/h2o_bench_${templateName().split("_").at(-1)}`;

export const JOBS_TENANT = "all_county";
export const CALLS_TENANT = "h2o";
/** Rate limits the bench tenants get (requests a minute): no bench request may be refused with 429. */
const UNLIMITED = 1_000_000_000;
const POOL_SIZE = 200;

export interface PooledJob {
  id: string;
  status: string;
  version: number;
}

export interface Dataset {
  url: string;
  jobsTenant: { id: string; slug: string };
  callsTenant: { id: string; slug: string };
  jobs: number;
  /** A job that `node(id:)` reads. */
  nodeJobId: string;
  /** Jobs the mutations move between SCHEDULED and ON_HOLD (one per connection, so no request conflicts). */
  mutationPool: string[];
  /** An API key of the jobs tenant, created for this run. */
  apiKey: string;
}

const quiet = { info: () => undefined };
const settings = { DB_POOL_MAX: 4, DB_CONNECTION_TIMEOUT_MS: 10_000, DB_IDLE_TIMEOUT_MS: 10_000, DB_STATEMENT_TIMEOUT_MS: 0 };

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function ensureDatabase(url: string): Promise<boolean> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const server = Object.assign(new URL(url), { pathname: "/postgres" }).toString();
  return withClient(server, async (c) => {
    const { rowCount } = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (rowCount) return false;
    await c.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  });
}

async function migrationsPending(url: string): Promise<boolean> {
  return withClient(url, async (c) => {
    const exists = await c.query(`SELECT to_regclass('public._prisma_migrations') IS NOT NULL AND to_regclass('graphile_worker.jobs') IS NOT NULL AS ok`);
    if (!exists.rows[0].ok) return true;
    const { rows } = await c.query(`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL`);
    const applied = new Set(rows.map((r) => r.migration_name as string));
    return migrationNames().some((m) => !applied.has(m));
  });
}

/** Seeds what is missing (printing what it does), then prepares this run: rate limits, an API key, the job pool. */
export async function prepareDataset(url: string, jobs: number, log: (line: string) => void): Promise<Dataset> {
  if (await ensureDatabase(url)) log(`created database ${new URL(url).pathname.slice(1)}`);
  if (await migrationsPending(url)) {
    log("applying migrations…");
    await migrateDeploy(url);
  }
  const counts = await withClient(url, (c) =>
    c.query(`SELECT (SELECT count(*) FROM "Tenant" WHERE slug = ANY($1)) AS tenants,
                    (SELECT count(*) FROM "Job" j JOIN "Tenant" t ON t.id = j."tenantId" WHERE t.slug = $2) AS jobs`, [[JOBS_TENANT, CALLS_TENANT], JOBS_TENANT]),
  );
  const { tenants, jobs: present } = counts.rows[0] as { tenants: string; jobs: string };
  if (Number(tenants) < 2 || Number(present) < jobs) {
    const prisma = createPrisma(url, settings);
    try {
      if (Number(tenants) < 2) {
        log("seed: demo tenants and users…");
        await seed(prisma, quiet);
      }
      if (Number(present) < jobs) {
        log(`seed:large: ${jobs} jobs in ${JOBS_TENANT}, service calls in ${CALLS_TENANT}…`);
        const started = Date.now();
        const added = await generateLargeDataset(prisma, { jobsTenant: JOBS_TENANT, serviceCallsTenant: CALLS_TENANT, jobs: jobs - Number(present) });
        log(`seed:large: added ${JSON.stringify(added)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
    } finally {
      await prisma.$disconnect();
    }
  }
  return withClient(url, async (c) => {
    const tenant = async (slug: string) => (await c.query(`SELECT id, slug FROM "Tenant" WHERE slug = $1`, [slug])).rows[0] as { id: string; slug: string };
    const jobsTenant = await tenant(JOBS_TENANT);
    const callsTenant = await tenant(CALLS_TENANT);
    await c.query(`UPDATE "TenantConfig" SET "rateLimitPerMinute" = $1, "apiKeyRateLimitPerMinute" = $1, "queryCostBudget" = $1, "queryCostRestoreRate" = $1 WHERE "tenantId" = ANY($2)`, [UNLIMITED, [jobsTenant.id, callsTenant.id]]);
    const key = generateApiKey();
    await c.query(
      `INSERT INTO "ApiKey" (id, "tenantId", name, prefix, "keyHash", scopes, "updatedAt") VALUES (gen_random_uuid(), $1, 'bench', $2, $3, $4, now())`,
      [jobsTenant.id, key.prefix, key.hash, ["read:jobs", "write:jobs"]],
    );
    const total = (await c.query(`SELECT count(*)::int AS n FROM "Job" WHERE "tenantId" = $1`, [jobsTenant.id])).rows[0].n as number;
    const pool = await c.query(
      `SELECT id FROM "Job" WHERE "tenantId" = $1 AND "archivedAt" IS NULL AND status IN ('scheduled', 'on_hold') ORDER BY id LIMIT $2`,
      [jobsTenant.id, POOL_SIZE],
    );
    const node = await c.query(`SELECT id FROM "Job" WHERE "tenantId" = $1 AND status = 'complete' ORDER BY id LIMIT 1`, [jobsTenant.id]);
    return { url, jobsTenant, callsTenant, jobs: total, nodeJobId: node.rows[0].id, mutationPool: pool.rows.map((r) => r.id), apiKey: key.key };
  });
}

/**
 * Waits until no other `npm run bench -- http` runs on this PostgreSQL server (a session advisory lock in its
 * `postgres` database): two at once would share the cores and the mutation pool. Returns the release.
 */
export async function exclusiveRun(url: string, log: (line: string) => void): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: Object.assign(new URL(url), { pathname: "/postgres" }).toString() });
  await client.connect();
  const take = async () => (await client.query(`SELECT pg_try_advisory_lock(hashtext('h2o-acp http bench')) AS ok`)).rows[0].ok as boolean;
  if (!(await take())) {
    log("another http bench is running on this PostgreSQL server: waiting for it to finish…");
    while (!(await take())) await new Promise((r) => setTimeout(r, 2_000));
  }
  return () => client.end();
}

/** The current status and version of the pool's jobs (read before each run: API and baseline move the same jobs). */
export async function poolState(url: string, ids: string[]): Promise<PooledJob[]> {
  return withClient(url, async (c) => {
    const { rows } = await c.query(`SELECT id, status, version FROM "Job" WHERE id = ANY($1::uuid[]) ORDER BY id`, [ids]);
    return rows as PooledJob[];
  });
}
