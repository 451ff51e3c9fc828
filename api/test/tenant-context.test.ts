import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeSql, prisma as processClient, type Prisma } from "../src/db/client.ts";
import { tenantTransaction } from "../src/db/rls.ts";
import { tenantScoped } from "../src/db/tenancy.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { addDemoUsers, as, globalId, seedDemo } from "./support/domain.ts";

/**
 * The tenant context of a request (db/rls.ts, db/settings-pool.ts): with ONE pooled connection, requests of two
 * tenants, system work, failing statements and rolled-back transactions interleave on the same connection, and
 * PostgreSQL itself says what every statement ran as. The direct reads use clients with row-level security alone in
 * charge (no Prisma tenant filter), so a statement run with another work's settings returns another tenant's rows,
 * or all of them (the system's), and is seen; the requests' (with the filter) return too few rows then.
 */
describe("one tenant context per request (one pooled connection, two tenants and the system interleaved)", () => {
  let t: TestApp;
  let seeded: Prisma;
  let admin: pg.Client;
  const tenant: Record<"A" | "B", string> = { A: "", B: "" };
  const jobs: Record<"A" | "B", Array<{ id: string; version: number }>> = { A: [], B: [] };
  const settingsStatements: string[] = [];
  let stopObserving: () => void;

  beforeAll(async () => {
    stopObserving = observeSql((s) => void (/set_config\('role', '[a-z0-9_]+', false\)/.test(s.sql) && settingsStatements.push(s.sql)));
    t = await startTestApp({ DB_POOL_MAX: "1" });
    seeded = await seedDemo(t);
    await seeded.tenant.create({ data: { slug: "ctx_b", name: "Tenant B", config: { create: { jobsEnabled: true, bidsEnabled: true, serviceCallsEnabled: true, marketingEnabled: true } } } });
    await addDemoUsers(seeded, "ctx_b");
    tenant.A = (await seeded.tenant.findUniqueOrThrow({ where: { slug: "all_county" } })).id;
    tenant.B = (await seeded.tenant.findUniqueOrThrow({ where: { slug: "ctx_b" } })).id;
    const template = await seeded.job.findMany({ where: { tenantId: tenant.A }, take: 8 });
    await seeded.job.createMany({ data: template.map(({ id: _id, tenantId: _t, ...job }) => ({ ...job, tenantId: tenant.B, lot: `B-${job.lot ?? ""}` })) });
    for (const k of ["A", "B"] as const) jobs[k] = await seeded.job.findMany({ where: { tenantId: tenant[k], archivedAt: null }, select: { id: true, version: true }, orderBy: { id: "asc" } });

    // every write to these tables says, from inside PostgreSQL, the role and tenant it ran with
    admin = new pg.Client({ connectionString: t.db.url });
    await admin.connect();
    await admin.query(`
      CREATE TABLE probe_log (seq bigserial PRIMARY KEY, tbl text, who text, setting text, row_tenant text, lot text);
      GRANT INSERT ON probe_log TO h2o_app; GRANT USAGE ON SEQUENCE probe_log_seq_seq TO h2o_app;
      CREATE FUNCTION probe_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
        INSERT INTO probe_log (tbl, who, setting, row_tenant, lot)
          VALUES (TG_TABLE_NAME, current_user, coalesce(current_setting('app.tenant_id', true), ''), to_jsonb(NEW)->>'tenantId', to_jsonb(NEW)->>'lot');
        RETURN NEW; END $$;
      CREATE TRIGGER probe AFTER INSERT OR UPDATE ON "Job" FOR EACH ROW EXECUTE FUNCTION probe_write();
      CREATE TRIGGER probe AFTER INSERT ON "AuditEvent" FOR EACH ROW EXECUTE FUNCTION probe_write();
      CREATE TRIGGER probe AFTER INSERT ON "WebhookMessage" FOR EACH ROW EXECUTE FUNCTION probe_write();`);
  });
  afterAll(async () => {
    stopObserving?.();
    await admin?.end();
    await seeded?.$disconnect();
    await t?.close();
  });

  it("runs every statement with its own work's settings, whatever ran on the connection before", async () => {
    const systemRole = (await admin.query<{ user: string }>("SELECT current_user AS user")).rows[0]!.user;
    const { rows: counts } = await admin.query<{ tenantId: string; n: number }>(`SELECT "tenantId"::text AS "tenantId", count(*)::int AS n FROM "Job" GROUP BY 1`);
    const jobsOf = (id: string) => counts.find((c) => c.tenantId === id)?.n ?? 0;
    const allJobs = counts.reduce((sum, c) => sum + c.n, 0);
    const scoped = { A: tenantScoped(processClient, tenant.A, { filter: false }), B: tenantScoped(processClient, tenant.B, { filter: false }) };
    const slug = { A: "all_county", B: "ctx_b" };
    const leaks: string[] = [];
    const expectThat = (ok: boolean, what: string) => void (ok || leaks.push(what));
    const settingsOf = async (db: Pick<Prisma, "$queryRaw">) =>
      (await db.$queryRaw<Array<{ who: string; tenant: string | null }>>`SELECT current_user AS who, coalesce(current_setting('app.tenant_id', true), '') AS tenant`)[0]!;

    const board = async (k: "A" | "B") => {
      const res = await t.gql<any>(`{ jobs(first: 100) { totalCount edges { node { id } } } }`, undefined, as(slug[k]));
      const ids = new Set(jobs[k].map((j) => globalId("Job", j.id)));
      expectThat(res.data?.jobs.totalCount === jobsOf(tenant[k]), `${k}'s board counted ${res.data?.jobs.totalCount} jobs, not ${jobsOf(tenant[k])}`);
      expectThat(res.data?.jobs.edges.every((e: any) => ids.has(e.node.id)) === true, `${k}'s board listed another tenant's job`);
    };
    const update = async (k: "A" | "B", i: number, stale: boolean) => {
      const job = jobs[k][i]!;
      const res = await t.gql<any>(
        `mutation($input: UpdateJobInput!) { updateJob(input: $input) { job { id lot } } }`,
        { input: { id: globalId("Job", job.id), expectedVersion: stale ? job.version + 100 : job.version, lot: `${k}-round-${i}` } },
        as(slug[k]),
      );
      if (stale) expectThat(res.errors?.[0]?.extensions?.code === "CONFLICT", `${k}'s stale update: ${JSON.stringify(res.errors ?? res.data)}`);
      else {
        expectThat(res.data?.updateJob.job.lot === `${k}-round-${i}`, `${k}'s update: ${JSON.stringify(res.errors ?? res.data)}`);
        job.version += 1;
      }
    };
    const failingHalfWay = async (k: "A" | "B") => {
      const listed = await scoped[k].job.findMany({ select: { tenantId: true } });
      expectThat(listed.length === jobsOf(tenant[k]) && listed.every((j) => j.tenantId === tenant[k]), `${k}'s half-failing request read other rows`);
      await scoped[k].$queryRaw`SELECT 1 / 0`.then(() => leaks.push(`${k}: division by zero succeeded`), () => undefined);
    };
    const rolledBack = async (k: "A" | "B", i: number) => {
      const job = jobs[k][i]!;
      await tenantTransaction(scoped[k], tenant[k], async (tx) => {
        await tx.job.update({ where: { id: job.id }, data: { lot: "never" } });
        expectThat((await settingsOf(tx)).who === "h2o_app", `${k}'s transaction did not run as the app role`);
        throw new Error("rolled back");
      }).then(() => leaks.push("the transaction committed"), () => undefined);
    };
    const system = async (i: number) => {
      const s = await settingsOf(processClient);
      expectThat(s.who === systemRole && s.tenant === "", `system statement ran as ${s.who} with tenant '${s.tenant}'`);
      const n = await processClient.job.count();
      expectThat(n === allJobs, `system count saw ${n} jobs, not ${allJobs}`);
      await processClient.job.update({ where: { id: jobs.A[20 + i]!.id }, data: { lot: "system" } });
      // a trusted system transaction for one tenant (as the worker's): transaction-local, gone at its commit
      const inTx = await processClient.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT set_config('app.tenant_id', ${tenant.B}, true)`;
        return settingsOf(tx);
      });
      expectThat(inTx.who === systemRole && inTx.tenant === tenant.B, `system transaction ran as ${inTx.who} / '${inTx.tenant}'`);
    };
    const sameTick = async () => {
      // Prisma batches findUniques of one shape started in one tick into one statement: never across settings
      const [aOwn, aForeign, bForeign, bOwn, sys] = await Promise.all([
        scoped.A.job.findUnique({ where: { id: jobs.A[0]!.id } }),
        scoped.A.job.findUnique({ where: { id: jobs.B[0]!.id } }),
        scoped.B.job.findUnique({ where: { id: jobs.A[1]!.id } }),
        scoped.B.job.findUnique({ where: { id: jobs.B[1]!.id } }),
        processClient.job.findUnique({ where: { id: jobs.B[2]!.id } }),
      ]);
      expectThat(aOwn?.id === jobs.A[0]!.id && bOwn?.id === jobs.B[1]!.id, "a tenant did not find its own job in a batch");
      expectThat(aForeign === null && bForeign === null, "a tenant found another tenant's job in a batch");
      expectThat(sys?.id === jobs.B[2]!.id, "the system did not find a job in a batch");
      for (const k of ["A", "B"] as const) {
        const s = await settingsOf(scoped[k]);
        expectThat(s.who === "h2o_app" && s.tenant === tenant[k], `${k}'s raw statement ran as ${s.who} / '${s.tenant}'`);
      }
    };

    const rounds = 6;
    for (let i = 0; i < rounds; i++) {
      await Promise.all([board("A"), board("B"), update("A", i, false), update("B", i, false), update("A", i + 10, true), failingHalfWay(i % 2 ? "A" : "B"), rolledBack(i % 2 ? "B" : "A", i + 12), system(i), sameTick(), board("A")]);
    }
    expect(leaks).toEqual([]);

    // what PostgreSQL recorded of every write: the pipeline's change as the app role with its tenant, its audit
    // row and outbox message with the connection's own role (trusted writes) and the same tenant, the system's with
    // its own role and no tenant; nothing of the rolled-back transactions
    const { rows: writes } = await admin.query<{ tbl: string; who: string; setting: string; row_tenant: string; lot: string | null }>("SELECT * FROM probe_log ORDER BY seq");
    const wrong = writes.filter((w) => {
      if (w.tbl === "Job" && w.lot === "system") return w.who !== systemRole || w.setting !== "";
      if (w.tbl === "Job") return w.who !== "h2o_app" || w.setting !== w.row_tenant;
      return w.who !== systemRole || w.setting !== w.row_tenant;
    });
    expect(wrong).toEqual([]);
    const byTable = (tbl: string) => writes.filter((w) => w.tbl === tbl || w.tbl.startsWith(`${tbl}_`)).length; // audit rows: in their partition
    expect(byTable("Job")).toBe(rounds * 3); // two pipeline updates and one system update per round
    expect(byTable("AuditEvent")).toBe(rounds * 2);
    expect(byTable("WebhookMessage")).toBeGreaterThanOrEqual(rounds * 2);
    expect(writes.some((w) => w.lot === "never")).toBe(false);
    expect(await seeded.job.count({ where: { lot: "never" } })).toBe(0);
  });

  it("switches a pooled connection only when its settings differ: repeated work of one tenant costs no statement", async () => {
    const a = tenantScoped(processClient, tenant.A);
    await a.job.count();
    settingsStatements.length = 0;
    await a.job.count();
    await a.job.findMany({ take: 1 });
    expect(settingsStatements).toEqual([]);
    await processClient.user.count();
    expect(settingsStatements).toHaveLength(1);
    await processClient.user.count();
    await a.job.count();
    await tenantScoped(processClient, tenant.B).job.count();
    await tenantScoped(processClient, tenant.B).job.count();
    expect(settingsStatements).toHaveLength(3);
  });
});
