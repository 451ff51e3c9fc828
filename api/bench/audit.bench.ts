// The audit trail's benchmark (issue 5): `npm run bench -- audit`.
// 1. `auditEvents` for one entity on a 5,000,000-row, 24-month partitioned audit table: the SQL the connection sends
//    (captured from the Prisma client), its EXPLAIN (must be Index / Bitmap Index scans) and its timings; and
//    `auditTrail` on a list of 50 objects: its two batched statements (pages, counts), explained and timed.
// 2. The audit write's share of a mutation: updateJob-like changes through the real pipeline (runMutation, every
//    registered hook), with the audit hook on and off, and the time spent inside the hook itself.
// Needs a PostgreSQL server (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/postgres); it creates
// and drops its own database. Env: AUDIT_BENCH_ROWS (default 5000000), AUDIT_BENCH_MUTATIONS (default 400).
import { randomBytes, randomUUID } from "node:crypto";
import os from "node:os";
import pg from "pg";
import { auditHook } from "../src/audit/hook.ts";
import { webhookOutbox } from "../src/webhooks/outbox.ts";
import type { TransactionalHook } from "../src/events/pipeline.ts";
import { SystemWrites } from "../src/events/system-writes.ts";
import { ensureAuditPartitions, monthStart } from "../src/audit/partitions.ts";
import type { Context } from "../src/context.ts";
import { connectDb, disconnectDb, observeSql, type ObservedSql } from "../src/db/client.ts";
import { migrateDeploy } from "../src/db/migrate.ts";
import { tenantScoped } from "../src/db/tenancy.ts";
import { versioned, versionedUpdate } from "../src/domain/versioned.ts";
import { loadEnv } from "../src/env.ts";
import { runMutation } from "../src/events/pipeline.ts";
import { createLogger } from "../src/logger.ts";
import { auditPage, auditWhere } from "../src/schema/audit.ts";
import { trailLoaders } from "../src/audit/trail-loader.ts";
import "../src/schema/index.ts"; // every domain, so every hook a real mutation runs is registered

const server = process.env.BENCH_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const ROWS = Number(process.env.AUDIT_BENCH_ROWS ?? 5_000_000);
const MUTATIONS = Number(process.env.AUDIT_BENCH_MUTATIONS ?? 400);
const TENANTS = 20;
const ENTITIES = Math.max(1, Math.floor(ROWS / 10)); // ~10 changes per entity, spread over two years
const withDb = (url: string, db: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString();
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)]!;

export async function run(): Promise<void> {
  const name = `h2o_bench_audit_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = withDb(server, name);
  const db = new pg.Client({ connectionString: url });
  try {
    console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
    await migrateDeploy(url);
    await db.connect();
    const tenants = await seedTenants(db);
    await fill(db, tenants);
    await queryBench(url, db, tenants);
    await writeShareBench(url, db, tenants[0]!);
  } finally {
    await db.end().catch(() => undefined);
    await disconnectDb().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

async function seedTenants(db: pg.Client): Promise<string[]> {
  const ids = Array.from({ length: TENANTS }, () => randomUUID());
  for (const [i, id] of ids.entries()) {
    await db.query(`INSERT INTO "Tenant" (id, slug, name, "updatedAt") VALUES ($1, $2, $2, now())`, [id, `bench-${i}`]);
    await db.query(`INSERT INTO "TenantConfig" (id, "tenantId", "jobsEnabled", "updatedAt") VALUES ($1, $2, true, now())`, [randomUUID(), id]);
  }
  return ids;
}

/** ROWS audit rows over the last 24 months (INSERT ... SELECT generate_series, in chunks), each entity in one tenant. */
async function fill(db: pg.Client, tenants: string[]) {
  const now = new Date();
  await ensureAuditPartitions(db, monthStart(now, -24), 24);
  await db.query("SET synchronous_commit = off");
  await db.query("SET maintenance_work_mem = '512MB'");
  const started = process.hrtime.bigint();
  // bulk load without the indexes, then build them (sorted builds are far faster than 5M random inserts)
  const { rows: indexes } = await db.query<{ def: string; name: string }>(`SELECT indexdef AS def, indexname AS name FROM pg_indexes WHERE tablename = 'AuditEvent' AND indexname <> 'AuditEvent_pkey'`);
  await db.query(`ALTER TABLE "AuditEvent" DROP CONSTRAINT "AuditEvent_pkey"`);
  for (const { name } of indexes) await db.query(`DROP INDEX "${name}"`);
  const chunk = 500_000;
  const span = (now.getTime() - monthStart(now, -24).getTime()) / 1000;
  for (let from = 1; from <= ROWS; from += chunk) {
    const to = Math.min(ROWS, from + chunk - 1);
    await db.query(
      `INSERT INTO "AuditEvent" (id, "tenantId", "changedAt", "actorKind", "actorId", "actorLabel", action, "eventType", "entityType", "entityId",
         before, after, "requestId", ip, "userAgent")
       SELECT gen_random_uuid(), ($1::uuid[])[1 + (i % $4) % array_length($1::uuid[], 1)],
              $5::timestamp + ((i::bigint * 7919) % $6::bigint) * interval '1 second',
              'user', md5((i % 50)::text), 'user' || (i % 50) || '@example.com', 'updated', 'job.updated', 'job',
              md5((i % $4)::text)::uuid::text,
              jsonb_build_object('status', 'scheduled', 'notes', 'before ' || i, 'version', i % 9),
              jsonb_build_object('status', 'underground', 'notes', 'after ' || i, 'version', i % 9 + 1),
              md5(i::text), '10.1.2.3', 'bench/1.0'
         FROM generate_series($2::int, $3::int) AS i`,
      [tenants, from, to, ENTITIES, monthStart(now, -24).toISOString().slice(0, 19), Math.floor(span)],
    );
    process.stdout.write(`\r  filling: ${to.toLocaleString("en-US")} / ${ROWS.toLocaleString("en-US")} rows`);
  }
  const loaded = ms(started);
  process.stdout.write(`\r  loaded in ${(loaded / 1000).toFixed(1)} s; building the primary key and ${indexes.length} indexes...`);
  await db.query(`ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id", "changedAt")`);
  for (const { def } of indexes) await db.query(def.replace(" ON ONLY ", " ON ")); // pg_indexes shows the parent-only form
  await db.query("ANALYZE \"AuditEvent\"");
  const [{ n, parts, size }] = (await db.query(
    `SELECT (SELECT count(*) FROM "AuditEvent")::int AS n,
            (SELECT count(*) FROM pg_inherits WHERE inhparent = '"AuditEvent"'::regclass)::int AS parts,
            pg_size_pretty((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = '"AuditEvent"'::regclass)::bigint) AS size`,
  )).rows;
  console.log(`\r  table: ${n.toLocaleString("en-US")} rows in ${parts} partitions (${size} with indexes), ${TENANTS} tenants, ${ENTITIES.toLocaleString("en-US")} entities; filled in ${(ms(started) / 1000).toFixed(1)} s`);
}

/** The statements `auditEvents(first: 20, filter: { entityId })` sends (page and totalCount), explained and timed. */
async function queryBench(url: string, db: pg.Client, tenants: string[]) {
  const statements: ObservedSql[] = [];
  observeSql((s) => statements.push(s)); // stays on: the observer must be registered while the client sends
  const env = loadEnv({ NODE_ENV: "test", JWT_SECRET: "b".repeat(40), ENCRYPTION_KEY: "0".repeat(64) });
  const prisma = connectDb(url, env);
  const entityOf = (k: number) => db.query<{ id: string; tenant: string }>(`SELECT md5(($1::int % $2::int)::text)::uuid::text AS id, ($3::uuid[])[1 + ($1::int % $2::int) % $4::int]::text AS tenant`, [k, ENTITIES, tenants, TENANTS]).then((r) => r.rows[0]!);
  /** Exactly what the `auditEvents` resolver runs (schema/audit.ts `auditPage`), with `totalCount` selected. */
  const page = async (tenant: string, filter: Parameters<typeof auditWhere>[0], after?: string) => {
    const ctx = { db: tenantScoped(prisma, tenant) } as unknown as Context;
    const connection = await auditPage(ctx, auditWhere(filter), { first: 20, after });
    return [connection, await connection.totalCount()] as const;
  };

  const target = await entityOf(4242);
  statements.length = 0;
  const [first, total] = await page(target.tenant, { entityId: target.id });
  const [second] = await page(target.tenant, { entityId: target.id }, first.edges[4]!.cursor);
  console.log(`\n  auditEvents(first: 20, filter: { entityId }) for one entity: ${first.edges.length} rows, totalCount ${total}; the page after the 5th: ${second.edges.length} rows`);
  if (second.edges.length !== Math.max(0, Math.min(20, total - 5))) throw new Error("keyset pagination returned the wrong page");
  const sent = auditStatements(statements);
  let allIndexed = true;
  for (const s of sent) allIndexed = (await explained(db, target.tenant, s)) && allIndexed;
  if (!sent.length || !allIndexed) throw new Error("auditEvents for one entity must use index scans only");

  // the page's SQL alone (no Prisma, no per-operation transaction): 50 other entities, as the application role
  const pageSql = sent[0]!;
  const sqlTimes: number[] = [];
  for (let k = 0; k < 60; k++) {
    const e = await entityOf(20_000 + k * 7_919);
    await db.query("BEGIN");
    await db.query("SELECT set_config('role', 'h2o_app', true), set_config('app.tenant_id', $1, true)", [e.tenant]);
    const t0 = process.hrtime.bigint();
    const { rowCount } = await db.query(pageSql.sql, [e.id, e.tenant, ...pageSql.params.slice(2)]);
    sqlTimes.push(ms(t0));
    await db.query("COMMIT");
    if (!rowCount) throw new Error("expected rows for the entity");
  }
  console.log(`\n  the page's SQL alone, one entity (50 other entities after 10 warm-up): median ${median(sqlTimes.slice(10)).toFixed(2)} ms, p95 ${p95(sqlTimes.slice(10)).toFixed(2)} ms`);
  for (const [label, filter] of [
    ["one entity (entityId)", (e: { id: string }) => ({ entityId: e.id })],
    ["one entity kind, last 30 days (entityType + from)", () => ({ entityType: "job", from: new Date(Date.now() - 30 * 86_400_000) })],
  ] as const) {
    const times: number[] = [];
    for (let k = 0; k < 60; k++) {
      const e = await entityOf(10_000 + k * 7_919);
      const t0 = process.hrtime.bigint();
      await page(e.tenant, filter(e));
      times.push(ms(t0));
    }
    console.log(`  auditEvents page + totalCount, ${label}: median ${median(times.slice(10)).toFixed(2)} ms, p95 ${p95(times.slice(10)).toFixed(2)} ms (50 runs after 10 warm-up, through the tenant-scoped Prisma client)`);
  }

  // `auditTrail(first: 3) { totalCount }` on each of a list of 50 objects of one tenant, through the operation's batchers
  const trailOf = async (base: number) => {
    const entities: Array<{ id: string; tenant: string }> = [];
    for (let j = 0; j < 50; j++) entities.push(await entityOf(base + j * TENANTS));
    const tenant = entities[0]!.tenant; // the same for all: base + j * TENANTS picks entities of one tenant
    const loaders = trailLoaders({ db: tenantScoped(prisma, tenant), tenant: { id: tenant } } as unknown as Context);
    const keys = entities.map((e) => ({ entityType: "job", entityId: e.id, filter: {} }));
    const t0 = process.hrtime.bigint();
    const [pages, counts] = await Promise.all([Promise.all(keys.map((k) => loaders.pages.load({ ...k, limit: 4 }))), Promise.all(keys.map((k) => loaders.counts.load(k)))]);
    return { tenant, pages, counts, ms: ms(t0) };
  };
  statements.length = 0;
  const trail = await trailOf(30_000);
  const trailSent = auditStatements(statements);
  console.log(`\n  auditTrail(first: 3) { totalCount } on 50 objects: ${trailSent.length} statements, ${trail.pages.reduce((n, p) => n + p.length, 0)} rows, counts ${Math.min(...trail.counts)}..${Math.max(...trail.counts)}`);
  if (trailSent.length !== 2 || trail.pages.some((p) => !p.length)) throw new Error("auditTrail on a list must be one page statement and one count statement");
  let trailIndexed = true;
  for (const s of trailSent) trailIndexed = (await explained(db, trail.tenant, s)) && trailIndexed;
  if (!trailIndexed) throw new Error("auditTrail on a list must use index scans only");
  const trailTimes: number[] = [];
  for (let k = 0; k < 30; k++) trailTimes.push((await trailOf(40_000 + k * 997)).ms);
  console.log(`  auditTrail on 50 objects, both statements: median ${median(trailTimes.slice(10)).toFixed(2)} ms, p95 ${p95(trailTimes.slice(10)).toFixed(2)} ms (20 lists after 10 warm-up)`);
}

const auditStatements = (statements: ObservedSql[]) => statements.filter((s) => /"AuditEvent"/.test(s.sql) && /^SELECT/i.test(s.sql.trim()));

/** Prints a statement's plan (as the application role, in the tenant) with a verdict; true when every partition with rows is read by index. */
async function explained(db: pg.Client, tenant: string, s: ObservedSql): Promise<boolean> {
  const plan = await explain(db, tenant, s);
  const scans = [...new Set(plan.match(/(Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index Scan|Seq Scan)/g) ?? [])];
  // the planner rightly reads an EMPTY table (next months' partitions, DEFAULT) sequentially: zero pages
  const seqScanned = [...plan.matchAll(/Seq Scan on "([^"]+)"/g)].map((m) => m[1]!);
  const nonEmpty: string[] = [];
  for (const table of new Set(seqScanned)) if ((await db.query(`SELECT EXISTS (SELECT FROM "${table}") AS x`)).rows[0].x) nonEmpty.push(table);
  const indexed = /Index/.test(plan) && !nonEmpty.length;
  const verdict = indexed
    ? `OK: every partition with rows read by index${seqScanned.length ? ` (Seq Scan only on ${new Set(seqScanned).size} empty partitions: ${[...new Set(seqScanned)].join(", ")})` : ""}`
    : `NOT INDEXED: Seq Scan on ${nonEmpty.join(", ")}`;
  const shown = plan.split("\n").filter((l) => !/Buffers:|One-Time Filter/.test(l)).map((l) => (l.length > 240 ? `${l.slice(0, 240)}...` : l));
  console.log(`\n  SQL: ${s.sql.replace(/\s+/g, " ").replace(/"public"\."AuditEvent"\./g, "").slice(0, 600)}\n  params: ${JSON.stringify(s.params).slice(0, 300)}\n  scans: ${scans.join(", ")} -> ${verdict}\n${shown.slice(0, 14).map((l) => `    ${l}`).join("\n")}${shown.length > 14 ? `\n    ... (${shown.length - 16} more plan lines)\n${shown.slice(-2).map((l) => `    ${l}`).join("\n")}` : ""}`);
  return indexed;
}

async function explain(db: pg.Client, tenant: string, s: ObservedSql): Promise<string> {
  await db.query("BEGIN");
  try {
    await db.query("SELECT set_config('role', 'h2o_app', true), set_config('app.tenant_id', $1, true)", [tenant]);
    const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${s.sql}`, s.params);
    return rows.map((r: Record<string, string>) => r["QUERY PLAN"]).join("\n");
  } finally {
    await db.query("ROLLBACK");
  }
}

/** N job updates through runMutation with the audit hook on and off, interleaved in rounds; plus time inside the hook. */
async function writeShareBench(url: string, db: pg.Client, tenantId: string) {
  const builderId = randomUUID();
  await db.query(`INSERT INTO "Builder" (id, name, "updatedAt") VALUES ($1, 'Bench Homes', now())`, [builderId]);
  const jobs = Array.from({ length: 20 }, () => randomUUID());
  for (const id of jobs)
    await db.query(`INSERT INTO "Job" (id, "tenantId", "builderId", community, "scheduledDate", "updatedAt") VALUES ($1, $2, $3, 'Bench', '2026-01-01', now())`, [id, tenantId, builderId]);
  const { findActingTenant } = await import("../src/domain/tenants.ts");
  const { prisma } = await import("../src/db/client.ts");
  const tenant = (await findActingTenant(prisma, tenantId))!;
  // the hooks the bench's changes run: with the audit hook, without it, or with a timed copy of it (below)
  const hooks: TransactionalHook[] = [auditHook, webhookOutbox];
  const ctx = {
    requestId: "bench", log: createLogger("silent"), ip: "127.0.0.1", userAgent: "bench/1.0", tenant, db: tenantScoped(prisma, tenant.id),
    principal: { kind: "user", userId: randomUUID(), email: "bench@example.com", name: "Bench", role: "owner", sessionId: randomUUID() },
    permissions: new Set(), authError: null, authExpiresAt: null, cookies: null,
    services: { hooks },
  } as unknown as Context;
  const versions = new Map(jobs.map((id) => [id, 1]));
  let i = 0;
  const mutate = () => {
    const id = jobs[i++ % jobs.length]!;
    return runMutation(ctx, { entityType: "job", action: "updated" }, async (tx) => {
      const { before, after } = await versionedUpdate(versioned(tx, "job"), "job", id, versions.get(id)!, { notes: `note ${i}` });
      versions.set(id, after.version);
      return { result: after, entityId: id, before, after };
    });
  };
  let hookMs = 0;
  // the audit row alone, written by its own statement so its time can be taken (the pipeline writes it with the others)
  const timedHook = {
    ...auditHook,
    run: async (tx: Parameters<typeof auditHook.run>[0], event: Parameters<typeof auditHook.run>[1], c: Parameters<typeof auditHook.run>[2]) => {
      const t0 = process.hrtime.bigint();
      const own = new SystemWrites();
      await auditHook.run(tx, event, c, own);
      await own.flush(tx);
      hookMs += ms(t0);
    },
  };

  for (let w = 0; w < 50; w++) await mutate(); // warm-up
  const on: number[] = [];
  const off: number[] = [];
  const rounds = 8;
  const per = Math.max(1, Math.floor(MUTATIONS / rounds));
  for (let r = 0; r < rounds; r++) {
    hooks.splice(0, hooks.length, auditHook, webhookOutbox);
    for (let k = 0; k < per; k++) { const t0 = process.hrtime.bigint(); await mutate(); on.push(ms(t0)); }
    hooks.splice(0, hooks.length, webhookOutbox);
    for (let k = 0; k < per; k++) { const t0 = process.hrtime.bigint(); await mutate(); off.push(ms(t0)); }
  }
  // the hook's own time, measured inside the transaction (the timed copy stands in for the registered one)
  hooks.splice(0, hooks.length, timedHook, webhookOutbox);
  let total = 0;
  for (let k = 0; k < per * 2; k++) { const t0 = process.hrtime.bigint(); await mutate(); total += ms(t0); }

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [mOn, mOff] = [mean(on), mean(off)];
  console.log(`\n  mutation (job update through runMutation, one transaction) on a ${ROWS.toLocaleString("en-US")}-row audit table, ${on.length} with / ${off.length} without the audit hook, interleaved in ${rounds} rounds:`);
  console.log(`    with audit:    mean ${mOn.toFixed(3)} ms, median ${median(on).toFixed(3)} ms, p95 ${p95(on).toFixed(3)} ms`);
  console.log(`    without audit: mean ${mOff.toFixed(3)} ms, median ${median(off).toFixed(3)} ms, p95 ${p95(off).toFixed(3)} ms`);
  console.log(`    audit write's share of a mutation (mean with − without) / with: ${(((mOn - mOff) / mOn) * 100).toFixed(1)} %  (median-based: ${(((median(on) - median(off)) / median(on)) * 100).toFixed(1)} %)`);
  console.log(`    time inside the audit hook (its INSERT), measured in the transaction over ${per * 2} mutations: ${(hookMs / (per * 2)).toFixed(3)} ms/mutation = ${((hookMs / total) * 100).toFixed(1)} % of the mutation's time`);
}
