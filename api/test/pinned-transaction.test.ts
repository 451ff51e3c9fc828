import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prisma as processClient, type Prisma } from "../src/db/client.ts";
import { tenantTransaction } from "../src/db/rls.ts";
import { TransactionTimeoutError } from "../src/db/settings-pool.ts";
import { tenantScoped } from "../src/db/tenancy.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { seedDemo } from "./support/domain.ts";

/**
 * A tenant transaction on a tenant-scoped client is a plain pg transaction whose connection the client's operations
 * are pinned to while it runs (db/settings-pool.ts `pinnedTransaction`): what it must guarantee, statement by
 * statement, with two pooled connections (one for the transaction, one for anything else).
 */
describe("tenant transactions pinned to one connection", () => {
  let t: TestApp;
  let seeded: Prisma;
  let tenantId = "";
  let jobId = "";
  const who = (db: Pick<Prisma, "$queryRaw">) =>
    db.$queryRaw<Array<{ who: string; tenant: string; xact: string }>>`SELECT current_user AS who, coalesce(current_setting('app.tenant_id', true), '') AS tenant, txid_current_if_assigned()::text AS xact`.then((r) => r[0]!);

  beforeAll(async () => {
    t = await startTestApp({ DB_POOL_MAX: "2" });
    seeded = await seedDemo(t);
    tenantId = (await seeded.tenant.findUniqueOrThrow({ where: { slug: "all_county" } })).id;
    jobId = (await seeded.job.findFirstOrThrow({ where: { tenantId } })).id;
  });
  afterAll(async () => {
    await seeded?.$disconnect();
    await t?.close();
  });

  it("runs the client's operations in the transaction and the system's outside it, and commits both", async () => {
    const db = tenantScoped(processClient, tenantId);
    const lot = `pinned-${Date.now()}`;
    const seen = await tenantTransaction(db, tenantId, async (tx) => {
      await tx.job.update({ where: { id: jobId }, data: { lot } });
      const inside = await who(tx);
      // the system's view, on another connection: the uncommitted change is not visible to it
      const system = await who(processClient);
      const systemLot = (await processClient.job.findUniqueOrThrow({ where: { id: jobId } })).lot;
      // read-your-writes inside, through Prisma and through a batch of same-tick reads
      const [a, b] = await Promise.all([tx.job.findUnique({ where: { id: jobId } }), tx.job.findUnique({ where: { id: jobId } })]);
      return { inside, system, systemLot, batched: [a?.lot, b?.lot] };
    });
    expect(seen.inside.who).toBe("h2o_app");
    expect(seen.inside.tenant).toBe(tenantId);
    expect(seen.inside.xact).not.toBe(null); // the update assigned the transaction an id: the read is in it
    expect(seen.system.who).not.toBe("h2o_app");
    expect(seen.system.tenant).toBe("");
    expect(seen.systemLot).not.toBe(lot);
    expect(seen.batched).toEqual([lot, lot]);
    expect((await seeded.job.findUniqueOrThrow({ where: { id: jobId } })).lot).toBe(lot);
  });

  it("rolls everything back when the work throws, and the error reaches the caller unchanged", async () => {
    const db = tenantScoped(processClient, tenantId);
    const before = (await seeded.job.findUniqueOrThrow({ where: { id: jobId } })).lot;
    const failure = new Error("the change failed half-way");
    await expect(
      tenantTransaction(db, tenantId, async (tx) => {
        await tx.job.update({ where: { id: jobId }, data: { lot: "never" } });
        throw failure;
      }),
    ).rejects.toBe(failure);
    await expect(tenantTransaction(db, tenantId, async (tx) => tx.$queryRaw`SELECT 1 / 0`)).rejects.toThrow(/division by zero/);
    expect((await seeded.job.findUniqueOrThrow({ where: { id: jobId } })).lot).toBe(before);
  });

  it("makes a transaction Prisma opens inside it a savepoint: an operation of several statements commits or rolls back with it", async () => {
    const db = tenantScoped(processClient, tenantId);
    const job = await seeded.job.findUniqueOrThrow({ where: { id: jobId }, include: { builder: true } });
    const marker = `nested-${Date.now()}`;
    await expect(
      tenantTransaction(db, tenantId, async (tx) => {
        // a change to a row and its relation: Prisma runs it as a transaction of its own
        await tx.job.update({ where: { id: jobId }, data: { lot: marker, builder: { update: { notes: marker } } } });
        const inside = await tx.job.findUniqueOrThrow({ where: { id: jobId }, include: { builder: true } });
        expect([inside.lot, inside.builder.notes]).toEqual([marker, marker]);
        throw new Error("roll it all back");
      }),
    ).rejects.toThrow("roll it all back");
    const after = await seeded.job.findUniqueOrThrow({ where: { id: jobId }, include: { builder: true } });
    expect([after.lot, after.builder.notes]).toEqual([job.lot, job.builder.notes]);
  });

  it("refuses a statement started in the transaction after it ended, instead of running it on a connection it no longer holds", async () => {
    const db = tenantScoped(processClient, tenantId);
    // work the transaction left behind (a timer set inside it) that runs after its end, in its async context
    const late = await tenantTransaction(db, tenantId, async (tx) => ({
      read: new Promise((resolve, reject) => setTimeout(() => tx.job.findUnique({ where: { id: jobId } }).then(resolve, reject), 50)),
    }));
    await expect(late.read).rejects.toThrow(/transaction has ended/);
    // outside any transaction the client works as before
    expect((await db.job.findUnique({ where: { id: jobId } }))?.id).toBe(jobId);
  });

  it("rolls back a transaction that outlives its timeout, and the pool goes on", async () => {
    const db = tenantScoped(processClient, tenantId);
    await expect(
      tenantTransaction(
        db,
        tenantId,
        async (tx) => {
          await tx.job.update({ where: { id: jobId }, data: { lot: "too-late" } });
          await new Promise((resolve) => setTimeout(resolve, 300));
        },
        { timeout: 100 },
      ),
    ).rejects.toBeInstanceOf(TransactionTimeoutError);
    expect((await seeded.job.findUniqueOrThrow({ where: { id: jobId } })).lot).not.toBe("too-late");
    expect((await tenantTransaction(db, tenantId, async (tx) => who(tx))).who).toBe("h2o_app");
  });

  it("refuses a client scoped to another tenant", async () => {
    const other = tenantScoped(processClient, null);
    expect(() => tenantTransaction(other, tenantId, async () => undefined)).toThrow(/another tenant/);
  });
});
