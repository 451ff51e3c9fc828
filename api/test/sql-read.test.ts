import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seed } from "../../prisma/seed.ts";
import { generateLargeDataset } from "../scripts/generate-large-dataset.ts";
import { createPrisma, observeSql, type Prisma } from "../src/db/client.ts";
import { tenantTransaction } from "../src/db/rls.ts";
import { compile, compileUpdate, readMany, readUnique, updateVersioned, type Lookups } from "../src/db/sql-read.ts";
import { tenantScoped, type TenantDb } from "../src/db/tenancy.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

/**
 * The boards' list reads compiled to SQL (db/sql-read.ts) must answer exactly what Prisma's findMany answers for the
 * same arguments: the same rows, in the same order, in the same shape (relations nested, DateTime as Date). Checked
 * over randomized arguments of the four boards (selections, every filter the boards build, every sort key in both
 * directions, forward and backward pages, cursors: existing, archived, another tenant's, missing), with the tenant
 * filter on and with row-level security alone.
 */

const POOL = { DB_POOL_MAX: 4, DB_CONNECTION_TIMEOUT_MS: 5_000, DB_IDLE_TIMEOUT_MS: 10_000, DB_STATEMENT_TIMEOUT_MS: 0 };

type Args = Record<string, unknown>;
interface Board {
  model: "Job" | "Bid" | "ServiceCall" | "Builder";
  scalars: string[];
  relation?: string;
  orderFields: string[];
  text: string[];
  filters: (rnd: Random, pick: Picks) => Args;
}
interface Picks {
  builderIds: string[];
  words: string[];
  dates: Date[];
}

const BOARDS: Board[] = [
  {
    model: "Job",
    scalars: ["id", "status", "community", "lot", "addressLine1", "plan", "scheduledDate", "completedAt", "assignedCrew", "amountCents", "version", "archivedAt", "createdAt", "updatedAt"],
    relation: "builder",
    orderFields: ["updatedAt", "createdAt", "scheduledDate", "status"],
    text: ["community", "lot", "addressLine1", "plan", "notes"],
    filters: (rnd, pick) => ({
      ...(rnd.chance(0.3) ? { status: { in: rnd.subset(["scheduled", "underground", "rough_in", "top_out", "trim", "final", "complete", "on_hold", "cancelled"]) } } : {}),
      ...(rnd.chance(0.2) ? { builderId: rnd.pick(pick.builderIds) } : {}),
      ...(rnd.chance(0.2) ? { scheduledDate: { gte: rnd.pick(pick.dates), ...(rnd.chance(0.5) ? { lte: rnd.pick(pick.dates) } : {}) } } : {}),
      ...(rnd.chance(0.1) ? { assignedCrew: rnd.pick(["Crew A", "Crew B", "nobody"]) } : {}),
    }),
  },
  {
    model: "Bid",
    scalars: ["id", "project", "plans", "status", "lineItems", "amountCents", "dueDate", "submittedAt", "estimator", "version", "archivedAt", "updatedAt"],
    relation: "builder",
    orderFields: ["updatedAt", "createdAt", "dueDate", "amountCents"],
    text: ["project", "notes"],
    filters: (rnd, pick) => ({
      ...(rnd.chance(0.3) ? { status: { in: rnd.subset(["draft", "submitted", "won", "lost"]) } } : {}),
      ...(rnd.chance(0.2) ? { builderId: rnd.pick(pick.builderIds) } : {}),
      ...(rnd.chance(0.2) ? { dueDate: { lte: rnd.pick(pick.dates) } } : {}),
    }),
  },
  {
    model: "ServiceCall",
    scalars: ["id", "customerName", "customerPhone", "priority", "status", "windowStart", "windowEnd", "assignedTechnician", "archivedAt", "updatedAt"],
    orderFields: ["updatedAt", "createdAt", "priority"],
    text: ["customerName", "customerPhone", "addressLine1", "problem"],
    filters: (rnd, pick) => ({
      ...(rnd.chance(0.3) ? { status: { in: rnd.subset(["new", "scheduled", "dispatched", "in_progress", "completed", "invoiced", "cancelled"]) } } : {}),
      ...(rnd.chance(0.3) ? { priority: { in: rnd.subset(["emergency", "urgent", "routine"]) } } : {}),
      ...(rnd.chance(0.2) ? { windowStart: { gte: rnd.pick(pick.dates) } } : {}),
    }),
  },
  {
    model: "Builder",
    scalars: ["id", "name", "contactName", "email", "city", "active", "version", "archivedAt", "createdAt", "updatedAt"],
    orderFields: ["name", "updatedAt", "createdAt"],
    text: ["name", "contactName", "email", "city"],
    filters: (rnd) => (rnd.chance(0.3) ? { active: rnd.chance(0.5) } : {}),
  },
];

class Random {
  constructor(private seed: number) {}
  next() {
    this.seed = (this.seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return this.seed / 2 ** 31;
  }
  chance = (p: number) => this.next() < p;
  int = (lo: number, hi: number) => lo + Math.floor(this.next() * (hi - lo + 1));
  pick = <T>(xs: readonly T[]): T => xs[Math.floor(this.next() * xs.length)]!;
  subset = <T>(xs: readonly T[]): T[] => xs.filter(() => this.chance(0.4));
}

function randomArgs(rnd: Random, board: Board, pick: Picks, cursors: string[]): Args {
  const select: Args = {};
  for (const f of board.scalars) if (f === "id" || rnd.chance(0.4)) select[f] = true;
  if (board.relation && rnd.chance(0.6)) select[board.relation] = { select: rnd.chance(0.5) ? { id: true, name: true } : { name: true } };
  const where: Args = {
    ...(rnd.chance(0.8) ? { archivedAt: null } : {}),
    ...board.filters(rnd, pick),
    ...(rnd.chance(0.2) ? { updatedAt: { gt: rnd.pick(pick.dates) } } : {}),
    ...(rnd.chance(0.25) ? { OR: board.text.map((f) => ({ [f]: { contains: rnd.pick(pick.words), mode: "insensitive" } })) } : {}),
  };
  const direction = rnd.chance(0.5) ? "asc" : "desc";
  const size = rnd.int(1, 30);
  const backwards = rnd.chance(0.3);
  const args: Args = { select, where, orderBy: [{ [rnd.pick(board.orderFields)]: direction }, { id: direction }], take: backwards ? -(size + 1) : size + 1, skip: 0 };
  if (rnd.chance(0.6)) Object.assign(args, { cursor: { id: rnd.pick(cursors) }, skip: 1 });
  return args;
}

describe("the boards' list reads in SQL (db/sql-read.ts)", () => {
  let db: TestDatabase;
  let prisma: Prisma;
  const tenants: Record<string, string> = {};
  const picks: Picks = { builderIds: [], words: [], dates: [] };
  const ids: Record<string, string[]> = {};
  const statements: string[] = [];
  let stopObserving: () => void;

  beforeAll(async () => {
    db = await createTestDatabase();
    stopObserving = observeSql((st) => void (statements.length < 10_000 && statements.push(st.sql)));
    prisma = createPrisma(db.url, POOL);
    await seed(prisma, { info: () => undefined });
    await generateLargeDataset(prisma, { jobsTenant: "all_county", serviceCallsTenant: "h2o", builders: 30, jobs: 1_500, bids: 600, serviceCalls: 1_200 });
    for (const t of await prisma.tenant.findMany()) tenants[t.slug] = t.id;
    // rows of both tenants in each board, ties in every sort key, archived rows, and text with LIKE's wildcards
    await prisma.$executeRawUnsafe(`UPDATE "Job" SET "updatedAt" = date_trunc('hour', "updatedAt"), "createdAt" = date_trunc('day', "createdAt")`);
    await prisma.$executeRawUnsafe(`UPDATE "Job" SET "archivedAt" = now() WHERE random() < 0.1`);
    await prisma.$executeRawUnsafe(`UPDATE "Job" SET community = community || ' 100% _done_ \\ x' WHERE random() < 0.05`);
    await prisma.$executeRawUnsafe(`UPDATE "Bid" SET "updatedAt" = date_trunc('day', "updatedAt"), "tenantId" = CASE WHEN random() < 0.2 THEN '${tenants.h2o}'::uuid ELSE "tenantId" END`);
    await prisma.$executeRawUnsafe(`UPDATE "ServiceCall" SET "updatedAt" = date_trunc('hour', "updatedAt"), "tenantId" = CASE WHEN random() < 0.2 THEN '${tenants.all_county}'::uuid ELSE "tenantId" END`);
    await prisma.$executeRawUnsafe(`UPDATE "Builder" SET name = name || ' 5%' WHERE random() < 0.1`);
    picks.builderIds = (await prisma.builder.findMany({ select: { id: true } })).map((b) => b.id);
    picks.words = ["a", "ON", "100%", "_done_", "%", "_", "\\", "5%", "zz-none", "Lot 1", "oak"];
    picks.dates = (await prisma.job.findMany({ select: { scheduledDate: true, updatedAt: true }, take: 40 })).flatMap((j) => [j.scheduledDate, j.updatedAt]);
    for (const model of ["Job", "Bid", "ServiceCall", "Builder"] as const) {
      const rows = (await (prisma as any)[model.charAt(0).toLowerCase() + model.slice(1)].findMany({ select: { id: true } })) as Array<{ id: string }>;
      ids[model] = [...rows.map((r) => r.id), "00000000-0000-4000-8000-000000000000"];
    }
  }, 120_000);

  afterAll(async () => {
    stopObserving?.();
    await prisma?.$disconnect();
    await db?.drop();
  });

  const delegate = (client: TenantDb, model: string) => (client as any)[model.charAt(0).toLowerCase() + model.slice(1)];

  for (const filter of [true, false]) {
    it(`answers exactly as Prisma's findMany over randomized arguments of every board (tenant filter ${filter ? "on" : "off: row-level security alone"})`, async () => {
      const rnd = new Random(filter ? 7 : 11);
      let compiled = 0;
      let withRows = 0;
      for (let i = 0; i < 240; i++) {
        const board = BOARDS[i % BOARDS.length]!;
        const tenant = rnd.pick(["all_county", "h2o"]);
        const client = tenantScoped(prisma, tenants[tenant]!, { filter });
        const args = randomArgs(rnd, board, picks, ids[board.model]!);
        expect(compile(board.model, args, { tenantId: tenants[tenant]!, filter }), JSON.stringify(args)).not.toBeNull();
        compiled++;
        // a fallback that fails: the rows come from the compiled statement
        const viaSql = await readMany(client, board.model, args, () => Promise.reject(new Error("fell back")));
        const viaPrisma = await delegate(client, board.model).findMany(args);
        expect(viaSql, `${board.model} as ${tenant}: ${JSON.stringify(args)}`).toEqual(viaPrisma);
        if ((viaPrisma as unknown[]).length) withRows++;
      }
      expect(compiled).toBe(240);
      // most cases compare real pages, not two empty lists
      expect(withRows).toBeGreaterThan(120);
    });
  }

  it("looks rows up by id (readUnique: node(id:), nodes(ids:)) exactly as Prisma's findUnique, one statement for the lookups of a tick", async () => {
    const rnd = new Random(5);
    for (const filter of [true, false]) {
      for (const board of BOARDS) {
        const client = tenantScoped(prisma, tenants.all_county!, { filter });
        const select = randomArgs(rnd, board, picks, ids[board.model]!).select as Args;
        // both tenants' rows (the other's are null, as for Prisma) and an id with no row
        const some = [...Array.from({ length: 12 }, () => rnd.pick(ids[board.model]!)), ids[board.model]!.at(-1)!];
        statements.length = 0;
        const lookups: Lookups = new Map(); // one request's batches
        const viaSql = await Promise.all(some.map((id) => readUnique(client, board.model, { select, where: { id } }, () => Promise.reject(new Error("fell back")), lookups)));
        expect(statements.filter((st) => st.startsWith("SELECT") && !st.includes("set_config")), `${board.model}: ${JSON.stringify(select)}`).toHaveLength(1);
        const viaPrisma = await Promise.all(some.map((id) => delegate(client, board.model).findUnique({ select, where: { id } })));
        expect(viaSql, `${board.model}: ${JSON.stringify(select)}`).toEqual(viaPrisma);
        expect(viaSql.filter(Boolean).length).toBeGreaterThan(0);
        expect(viaSql.at(-1)).toBeNull();
      }
    }
    // lookups of different requests (their own batches) are never one statement
    const someJobs = ids.Job!.slice(0, 3);
    const jobs = tenantScoped(prisma, tenants.all_county!);
    statements.length = 0;
    await Promise.all(someJobs.map((id) => readUnique(jobs, "Job", { select: { id: true }, where: { id } }, () => Promise.reject(new Error("fell back")), new Map())));
    expect(statements.filter((st) => st.startsWith("SELECT") && !st.includes("set_config"))).toHaveLength(3);
    // inside a transaction, a lookup runs on its connection: it sees the transaction's own change
    const client = tenantScoped(prisma, tenants.all_county!);
    const job = await client.job.findFirstOrThrow({ select: { id: true, lot: true } });
    const seen = await tenantTransaction(client, tenants.all_county!, async (tx) => {
      await tx.job.update({ where: { id: job.id }, data: { lot: "in the transaction" } });
      return readUnique(client, "Job", { select: { id: true, lot: true }, where: { id: job.id } }, () => Promise.reject(new Error("fell back")));
    });
    expect(seen).toEqual({ id: job.id, lot: "in the transaction" });
    await client.job.update({ where: { id: job.id }, data: { lot: job.lot } });
    // anything else is Prisma's: another where, include, no acting tenant
    const fallback = () => Promise.resolve("fell back");
    expect(await readUnique(client, "Job", { select: { id: true }, where: { id: job.id, archivedAt: null } }, fallback)).toBe("fell back");
    expect(await readUnique(client, "Job", { include: { builder: true }, where: { id: job.id } }, fallback)).toBe("fell back");
    expect(await readUnique(tenantScoped(prisma, null), "Job", { select: { id: true }, where: { id: job.id } }, fallback)).toBe("fell back");
  });

  it("finds rows: the comparison is not between two empty lists", async () => {
    const client = tenantScoped(prisma, tenants.all_county!);
    const args = { select: { id: true, lot: true, builder: { select: { name: true } } }, where: { archivedAt: null }, orderBy: [{ updatedAt: "desc" }, { id: "desc" }], take: 26, skip: 0 };
    const rows = (await readMany(client, "Job", args, () => Promise.reject(new Error("fell back")))) as Array<{ id: string; builder: { name: string } }>;
    expect(rows).toHaveLength(26);
    expect(typeof rows[0]!.builder.name).toBe("string");
    expect(rows).toEqual(await client.job.findMany(args as never));
  });

  it("never reads another tenant's rows, with the tenant filter off too (row-level security)", async () => {
    for (const filter of [true, false]) {
      const client = tenantScoped(prisma, tenants.h2o!, { filter });
      const rows = (await readMany(client, "Job", { select: { id: true }, take: 5_000 }, () => Promise.reject(new Error("fell back")))) as unknown[];
      // h2o has no jobs of its own in this data set (the large jobs data are all_county's)
      expect(rows.length).toBe(await prisma.job.count({ where: { tenantId: tenants.h2o! } }));
      expect(await prisma.job.count({ where: { tenantId: tenants.all_county! } })).toBeGreaterThan(1_000);
    }
  });

  it("leaves to Prisma what it does not compile: include mode, list relations, _count, relation filters, other operators, nullable sort keys", async () => {
    const scope = { tenantId: tenants.all_county!, filter: true };
    const unsupported: Array<[string, Args]> = [
      ["Job", { include: { builder: true } }],
      ["Builder", { select: { id: true, jobs: { select: { id: true } } } }],
      ["Builder", { select: { id: true, _count: { select: { jobs: true } } } }],
      ["Job", { select: { id: true }, where: { builder: { name: "x" } } }],
      ["Job", { select: { id: true }, where: { status: { not: "complete" } } }],
      ["Job", { select: { id: true }, where: { NOT: { status: "complete" } } }],
      ["Job", { select: { id: true }, orderBy: [{ completedAt: "asc" }, { id: "asc" }] }],
      ["Job", { select: { id: true }, distinct: ["status"] }],
      ["WorkerJobCompletion", { select: { id: true } }],
      ["Bid", { select: { id: true }, where: { plans: { has: "x" } } }],
      ["Bid", { select: { id: true }, where: { lineItems: { equals: [] } } }],
    ];
    for (const [model, args] of unsupported) expect(compile(model, args, scope), JSON.stringify(args)).toBeNull();
    // and the fallback runs then
    const client = tenantScoped(prisma, tenants.all_county!);
    const rows = await readMany(client, "Job", { include: { builder: true }, take: 2 }, (args) => client.job.findMany(args as never));
    expect((rows as Array<{ builder: { id: string } }>)[0]!.builder.id).toBeTruthy();
    // a client with no acting tenant reads tenant-scoped rows through Prisma, which refuses
    const none = tenantScoped(prisma, null);
    await expect(readMany(none, "Job", { select: { id: true } }, (args) => none.job.findMany(args as never))).rejects.toThrow(/no acting tenant/);
  });
  /** The scalar columns of a versioned model, and a random value of each one's type (null for an optional one). */
  const COLUMNS: Record<"Job" | "ServiceCall" | "Builder" | "Bid", Record<string, { type: string; optional?: boolean }>> = {
    Job: {
      community: { type: "String" }, lot: { type: "String", optional: true }, plan: { type: "String", optional: true }, status: { type: "JobStatus" },
      scheduledDate: { type: "DateTime" }, completedAt: { type: "DateTime", optional: true }, notes: { type: "String", optional: true },
      amountCents: { type: "Int", optional: true }, archivedAt: { type: "DateTime", optional: true }, updatedAt: { type: "DateTime" }, createdAt: { type: "DateTime" },
    },
    ServiceCall: {
      customerName: { type: "String" }, problem: { type: "String" }, priority: { type: "ServiceCallPriority" }, status: { type: "ServiceCallStatus" },
      windowStart: { type: "DateTime", optional: true }, windowEnd: { type: "DateTime", optional: true }, assignedTechnician: { type: "String", optional: true },
      archivedAt: { type: "DateTime", optional: true }, updatedAt: { type: "DateTime" },
    },
    Builder: { name: { type: "String" }, phone: { type: "String", optional: true }, active: { type: "Boolean" }, archivedAt: { type: "DateTime", optional: true } },
    Bid: {
      project: { type: "String" }, plans: { type: "String[]" }, status: { type: "BidStatus" }, lineItems: { type: "Json" }, amountCents: { type: "Int" },
      notes: { type: "String", optional: true }, archivedAt: { type: "DateTime", optional: true },
    },
  };

  class Rollback extends Error {
    constructor(readonly value: unknown) {
      super("rollback");
    }
  }
  /** `fn` in a pinned transaction of `client`, rolled back: what it returned. */
  const rolledBack = (client: TenantDb, tenantId: string, fn: () => Promise<unknown>) =>
    tenantTransaction(client, tenantId, async () => {
      throw new Rollback(await fn());
    }).catch((err: unknown) => {
      if (err instanceof Rollback) return err.value;
      throw err;
    });

  it("updates a row by id and version (updateVersioned) exactly as Prisma's updateManyAndReturn, over random changes; reads it (readUnique, no select) as findUnique", async () => {
    const rnd = new Random(11);
    const enums: Record<string, string[]> = {};
    for (const name of ["JobStatus", "ServiceCallPriority", "ServiceCallStatus", "BidStatus"]) {
      enums[name] = (await prisma.$queryRawUnsafe<Array<{ v: string }>>(`SELECT unnest(enum_range(NULL::"${name}"))::text AS v`)).map((r) => r.v);
    }
    const value = (type: string): unknown => {
      if (enums[type]) return rnd.pick(enums[type]!);
      if (type === "String") return rnd.pick(picks.words) + rnd.int(0, 99);
      if (type === "Int") return rnd.int(-5_000, 2_000_000);
      if (type === "Boolean") return rnd.chance(0.5);
      // quotes, commas, braces and backslashes: what an array literal must escape
      if (type === "String[]") return Array.from({ length: rnd.int(0, 4) }, () => rnd.pick(['plan "A"', "b,c", "{x}", "back\\slash", "", "NULL", "ünï"]));
      if (type === "Json") return Array.from({ length: rnd.int(0, 3) }, (_, i) => ({ description: `line ${i} "q" \\ ü`, quantity: rnd.int(1, 9), unitCents: rnd.int(0, 99_999), extra: rnd.chance(0.3) ? { nested: [1, null, true, "x"] } : null }));
      return new Date(Date.UTC(2020 + rnd.int(0, 8), rnd.int(0, 11), rnd.int(1, 28), rnd.int(0, 23), rnd.int(0, 59), rnd.int(0, 59), rnd.int(0, 999)));
    };
    let compared = 0;
    for (const filter of [true, false]) {
      for (const model of ["Job", "ServiceCall", "Builder", "Bid"] as const) {
        for (let i = 0; i < 12; i++) {
          const id = rnd.pick(ids[model]!.slice(0, -1));
          const owner = model === "Builder" ? tenants.all_county! : ((await prisma.$queryRawUnsafe<Array<{ t: string }>>(`SELECT "tenantId"::text AS t FROM "${model}" WHERE id = $1::uuid`, id))[0]!.t);
          const client = tenantScoped(prisma, owner, { filter });
          const current = await delegate(client, model).findUnique({ where: { id } });
          // the row read as versionedUpdate reads it
          expect(await readUnique(client, model, { where: { id } }, () => Promise.reject(new Error("fell back")))).toEqual(current);
          const data: Args = {};
          for (const [column, { type, optional }] of Object.entries(COLUMNS[model])) {
            if (rnd.chance(0.3)) data[column] = optional && rnd.chance(0.3) ? null : value(type);
            else if (rnd.chance(0.05)) data[column] = undefined;
          }
          data.version = { increment: 1 };
          // now its version, or a stale one (no row)
          const version = rnd.chance(0.8) ? current.version : current.version + 1;
          const args = { where: { id, version }, data };
          const started = Date.now();
          statements.length = 0;
          const viaSql = (await rolledBack(client, owner, () => updateVersioned(client, model, args, () => Promise.reject(new Error("fell back"))))) as Args[];
          expect(statements.filter((st) => st.startsWith("UPDATE"))).toHaveLength(1);
          const viaPrisma = (await rolledBack(client, owner, () => delegate(client, model).updateManyAndReturn(args))) as Args[];
          expect(viaSql.length, JSON.stringify(args)).toBe(viaPrisma.length);
          if (!viaSql.length) continue;
          compared++;
          const [sqlRow, prismaRow] = [viaSql[0]!, viaPrisma[0]!];
          // @updatedAt: now (the client's clock) unless the change sets it
          if (data.updatedAt === undefined) {
            expect((sqlRow.updatedAt as Date).getTime()).toBeGreaterThanOrEqual(started);
            expect((sqlRow.updatedAt as Date).getTime()).toBeLessThanOrEqual(Date.now());
            delete sqlRow.updatedAt;
            delete prismaRow.updatedAt;
          }
          expect(sqlRow, `${model}: ${JSON.stringify(args)}`).toEqual(prismaRow);
          expect(sqlRow.version).toBe(current.version + 1);
        }
      }
    }
    expect(compared).toBeGreaterThan(55);

    // committed: what it returned is what is stored
    const jobs = tenantScoped(prisma, tenants.all_county!);
    const job = await jobs.job.findFirstOrThrow({ where: { archivedAt: null } });
    const [after] = (await tenantTransaction(jobs, tenants.all_county!, () =>
      updateVersioned(jobs, "Job", { where: { id: job.id, version: job.version }, data: { lot: "committed", version: { increment: 1 } } }, () => Promise.reject(new Error("fell back"))),
    )) as Args[];
    expect(await jobs.job.findUnique({ where: { id: job.id } })).toEqual(after);
    expect(after).toMatchObject({ lot: "committed", version: job.version + 1 });

    // another tenant's row: nothing, with the tenant filter and with row-level security alone
    for (const filter of [true, false]) {
      const h2o = tenantScoped(prisma, tenants.h2o!, { filter });
      const rows = await rolledBack(h2o, tenants.h2o!, () =>
        updateVersioned(h2o, "Job", { where: { id: job.id, version: job.version + 1 }, data: { lot: "not yours", version: { increment: 1 } } }, () => Promise.reject(new Error("fell back"))),
      );
      expect(rows).toEqual([]);
    }
    expect(await jobs.job.findUnique({ where: { id: job.id } })).toMatchObject({ lot: "committed" });
    // the first wall, as Prisma's tenant filter: in the statement when the filter is on (row-level security is the second)
    const update = { where: { id: job.id, version: 1 }, data: { lot: "x" } };
    expect(compileUpdate("Job", update, { tenantId: tenants.h2o!, filter: true })!.text).toMatch(/ AND "tenantId" = \$\d+ RETURNING /);
    expect(compileUpdate("Job", update, { tenantId: tenants.h2o!, filter: false })!.text).not.toContain('"tenantId" =');

    // Prisma's: outside a transaction, no acting tenant, a value compiled here does not cover, id or tenantId in the data
    const fallback = () => Promise.resolve("fell back");
    expect(await updateVersioned(jobs, "Job", { where: { id: job.id, version: 1 }, data: { lot: "x" } }, fallback)).toBe("fell back");
    const inTx = (args: Args, model = "Job") => rolledBack(jobs, tenants.all_county!, () => updateVersioned(jobs, model, args, fallback));
    expect(await inTx({ where: { id: job.id, version: 1 }, data: { lot: "x" } })).not.toBe("fell back");
    for (const data of [{ scheduledDate: "2026-01-01" }, { lot: 5 }, { tenantId: tenants.h2o }, { id: job.id }, { amountCents: 1.5 }, { community: null }, { scheduledDate: null }, { status: { set: "complete" } }, { builder: { connect: { id: job.builderId } } }]) {
      expect(await inTx({ where: { id: job.id, version: 1 }, data }), JSON.stringify(data)).toBe("fell back");
    }
    // JSON and lists: only plain values set whole (Prisma's null markers, dates inside JSON, push/set, non-strings fall back)
    const bidUpdate = (data: Args) => compileUpdate("Bid", { where: { id: job.id, version: 1 }, data }, { tenantId: tenants.all_county!, filter: true });
    expect(bidUpdate({ lineItems: [{ a: 1 }], plans: ["x"] })).not.toBeNull();
    for (const data of [{ lineItems: null }, { lineItems: [{ at: new Date() }] }, { lineItems: [Number.NaN] }, { lineItems: { nested: undefined } }, { plans: { push: "x" } }, { plans: { set: ["x"] } }, { plans: [1] }, { plans: "x" }]) {
      expect(bidUpdate(data), JSON.stringify(data)).toBeNull();
    }
    expect(compileUpdate("WorkerJobCompletion", { where: { id: job.id, version: 1 }, data: { task: "x" } }, { tenantId: tenants.all_county!, filter: true })).toBeNull();
    const none = tenantScoped(prisma, null);
    expect(await updateVersioned(none, "Job", { where: { id: job.id, version: 1 }, data: { lot: "x" } }, fallback)).toBe("fell back");
  });
});
