import { get, type IncomingMessage } from "node:http";
import { parse } from "csv-parse/sync";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { observeSql, type Prisma } from "../src/db/client.ts";
import { exportLists, type ExportName } from "../src/exports/lists.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, globalId, ok, seedDemo } from "./support/domain.ts";

type Headers = Record<string, string>;

/** GET over real HTTP: status, headers and the body as text. */
function download(base: string, path: string, headers: Headers = {}): Promise<{ status: number; type: string; challenge?: string; body: string }> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8").on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), challenge: res.headers["www-authenticate"], body })).on("error", reject);
    }).on("error", reject);
  });
}

const query = (params: Record<string, unknown>) =>
  "?" + new URLSearchParams(Object.entries(params).map(([k, v]) => [k, JSON.stringify(v)])).toString();

/** A node's value at a dotted path as the CSV should show it (written here independently of the exporter's own). */
function expectedCell(node: any, path: string): string {
  const value = path.split(".").reduce((v, k) => (v == null ? null : v[k]), node);
  if (value == null) return "";
  if (Array.isArray(value)) return value.join("; ");
  if (typeof value === "string" && /^[=+\-@]/.test(value) && !/^[+-]?\d[\d.]*$/.test(value)) return `'${value}`;
  return String(value);
}

/** The selection of a column list (`builder.name` → `builder { name }`), written out by hand for each list. */
const selections: Record<ExportName, string> = {
  jobs: "id builder { id name } community lot addressLine1 city state postalCode plan status scheduledDate assignedCrew amountCents notes completedAt archivedAt createdAt updatedAt",
  bids: "id builder { id name } project plans status amountCents dueDate estimator notes submittedAt decidedAt archivedAt createdAt updatedAt",
  "service-calls": "id customerName customerPhone customerEmail addressLine1 city state postalCode problem priority status windowStart windowEnd assignedTechnician resolutionNotes completedAt invoicedAt archivedAt createdAt updatedAt",
  builders: "id name contactName phone email addressLine1 city state postalCode active notes archivedAt createdAt updatedAt",
  "audit-events": "id changedAt actor { kind id label onBehalfOf } action eventType entityType entityId entityNodeId changedFields requestId ip userAgent before after",
};

/** Every node of a list through GraphQL, page by page. */
async function listThroughGraphql(t: TestApp, name: ExportName, args: Record<string, unknown>, tenant: string): Promise<any[]> {
  const list = exportLists[name] as { field: string; filterType: string; orderType?: string };
  const order = list.orderType ? `, $orderBy: ${list.orderType}` : "";
  const nodes: any[] = [];
  let after: string | null = null;
  do {
    const data: any = await ok(
      t,
      `query($after: String, $filter: ${list.filterType}${order}) { l: ${list.field}(first: 37, after: $after, filter: $filter${list.orderType ? ", orderBy: $orderBy" : ""}) {
        pageInfo { hasNextPage endCursor } edges { node { ${selections[name]} } } } }`,
      { ...args, after },
      tenant,
    );
    nodes.push(...data.l.edges.map((e: any) => e.node));
    after = data.l.pageInfo.hasNextPage ? data.l.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

describe("CSV exports", () => {
  let t: TestApp;
  let prisma: Prisma;
  let db: pg.Client;
  let base: string;
  const tenants: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    base = (await t.app.start()).url.replace(/\/graphql$/, "");
    db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    for (const r of (await db.query(`SELECT slug, id FROM "Tenant"`)).rows) tenants[r.slug] = r.id;
    // a cell a spreadsheet would run as a formula, and some audited changes
    await db.query(`UPDATE "Job" SET "notes" = '=HYPERLINK("http://x.example","click")' WHERE "lot" = '101'`);
    const jobs: any = await ok(t, `{ jobs(first: 3, filter: { status: [SCHEDULED] }) { edges { node { id version } } } }`);
    for (const { node } of jobs.jobs.edges)
      await ok(t, `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { id } } }`, { input: { id: node.id, status: "UNDERGROUND", expectedVersion: node.version } });
  });
  afterAll(async () => {
    await db?.end();
    await prisma?.$disconnect();
    await t?.close();
  });

  const cases: Array<{ list: ExportName; tenant: string; args: Record<string, unknown> }> = [
    { list: "jobs", tenant: "all_county", args: {} },
    { list: "jobs", tenant: "all_county", args: { filter: { status: ["ROUGH_IN", "TRIM", "UNDERGROUND"], search: "a" }, orderBy: { field: "SCHEDULED_DATE", direction: "ASC" } } },
    { list: "bids", tenant: "all_county", args: { filter: { status: ["SUBMITTED", "WON"] }, orderBy: { field: "AMOUNT", direction: "DESC" } } },
    { list: "service-calls", tenant: "h2o", args: { filter: { priority: ["EMERGENCY"], window: { from: "2000-01-01T00:00:00Z" } }, orderBy: { field: "PRIORITY", direction: "ASC" } } },
    { list: "builders", tenant: "all_county", args: { filter: { search: "o" } } },
    { list: "audit-events", tenant: "all_county", args: { filter: { action: "status_changed" } } },
  ];

  it.each(cases)("$list: the CSV of $args has the rows of the GraphQL list with the same filters, in its order", async ({ list: name, tenant, args }) => {
    const res = await download(base, `/exports/${name}.csv${query(args)}`, as(tenant));
    expect(res.status, res.body).toBe(200);
    expect(res.type).toBe("text/csv; charset=utf-8");
    const [header, ...rows] = parse(res.body) as string[][];
    const columns = exportLists[name].columns;
    expect(header).toEqual([...columns]);
    const nodes = await listThroughGraphql(t, name, args, tenant);
    expect(nodes.length).toBeGreaterThan(0);
    expect(rows).toEqual(nodes.map((node) => columns.map((c) => expectedCell(node, c))));
  });

  it("holds every job of the tenant (more than one page) and none of another tenant", async () => {
    const res = await download(base, `/exports/jobs.csv`, as("all_county"));
    const [, ...rows] = parse(res.body) as string[][];
    const { rows: direct } = await db.query(`SELECT "id" FROM "Job" WHERE "tenantId" = $1 AND "archivedAt" IS NULL`, [tenants.all_county]);
    expect(direct.length).toBeGreaterThan(200);
    expect(new Set(rows.map((r) => r[0]))).toEqual(new Set(direct.map((r) => globalId("Job", r.id))));
    expect(rows.find((r) => r[0] === globalId("Job", direct[0]!.id)) ?? []).toHaveLength(exportLists.jobs.columns.length);
  });

  it("escapes cells a spreadsheet would run as formulas", async () => {
    const res = await download(base, `/exports/jobs.csv${query({ filter: { search: "HYPERLINK" } })}`, as("all_county"));
    const [header, ...rows] = parse(res.body) as string[][];
    expect(rows).toHaveLength(1);
    expect(rows[0]![header!.indexOf("notes")]).toBe(`'=HYPERLINK("http://x.example","click")`);
  });

  it("refuses without credentials, with refused ones, without the capability or permission, and for a tenant the caller is not in", async () => {
    const refusal = async (path: string, headers: Headers, status: number, code: string) => {
      const res = await download(base, path, headers);
      expect([res.status, res.type], res.body).toEqual([status, "application/json; charset=utf-8"]);
      expect(JSON.parse(res.body).errors[0].extensions.code).toBe(code);
      expect(res.body).not.toContain("community");
      // every 401 names how to authenticate (RFC 9110); refused credentials say so (RFC 6750)
      expect(res.challenge).toBe(status !== 401 ? undefined : headers.authorization ? 'Bearer realm="h2o-acp", error="invalid_token"' : 'Bearer realm="h2o-acp"');
    };
    await refusal("/exports/jobs.csv", {}, 401, "UNAUTHENTICATED");
    await refusal("/exports/jobs.csv", { authorization: "Bearer not-a-token" }, 401, "UNAUTHENTICATED");
    await refusal("/exports/jobs.csv", as("h2o"), 403, "FORBIDDEN"); // h2o has no jobs
    await refusal("/exports/service-calls.csv", as("all_county"), 403, "FORBIDDEN");
    await refusal("/exports/audit-events.csv", as("all_county", "dispatcher"), 403, "FORBIDDEN"); // no audit:read
    await refusal("/exports/jobs.csv", { ...as("h2o"), "x-tenant-id": "all_county" }, 403, "FORBIDDEN"); // not a member
    // the bearer's own tenant is the one exported, whatever the other tenant has
    const mine = await download(base, "/exports/service-calls.csv", as("h2o"));
    expect(mine.status).toBe(200);
    const { rows } = await db.query(`SELECT count(*)::int AS n FROM "ServiceCall" WHERE "tenantId" = $1 AND "archivedAt" IS NULL`, [tenants.h2o]);
    expect((parse(mine.body) as string[][]).length - 1).toBe(rows[0].n);
  });

  it("refuses bad input with a typed error: unknown list, parameter, JSON or filter value", async () => {
    const bad = async (path: string, status: number, code: string) => {
      const res = await download(base, path, as("all_county"));
      expect(res.status, res.body).toBe(status);
      expect(JSON.parse(res.body).errors[0].extensions.code).toBe(code);
    };
    await bad("/exports/secrets.csv", 404, "NOT_FOUND");
    await bad("/exports/jobs.csv?limit=5", 400, "BAD_USER_INPUT");
    await bad("/exports/jobs.csv?filter=%7Bnope", 400, "BAD_USER_INPUT");
    await bad(`/exports/jobs.csv${query({ filter: { status: ["NOPE"] } })}`, 400, "BAD_USER_INPUT");
    await bad(`/exports/jobs.csv${query({ filter: { builderId: "not-an-id" } })}`, 400, "BAD_USER_INPUT");
    await bad(`/exports/audit-events.csv${query({ orderBy: { field: "UPDATED_AT" } })}`, 400, "BAD_USER_INPUT");
  });
});

describe("CSV exports stream", () => {
  let t: TestApp;
  let prisma: Prisma;
  let base: string;
  let stop: () => void;
  let pageReads = 0;
  let jobs = 0;
  const JOBS = 20_000;

  beforeAll(async () => {
    // every statement that reads a page of jobs (the export's reads: the jobs list's, db/sql-read.ts, or Prisma's)
    stop = observeSql((s) => void (/FROM (?:"public"\.)?"Job"/.test(s.sql) && /LIMIT/.test(s.sql) && pageReads++));
    t = await startTestApp();
    prisma = await seedDemo(t);
    base = (await t.app.start()).url.replace(/\/graphql$/, "");
    const db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    // 20,000 more jobs with 600 characters of notes each: about 14 MB of CSV
    await db.query(`INSERT INTO "Job" ("id","tenantId","builderId","community","status","scheduledDate","notes","updatedAt")
      SELECT gen_random_uuid(), j."tenantId", j."builderId", 'Bulk ' || i, 'scheduled', current_date, repeat('x', 600), now() - make_interval(secs => i)
      FROM generate_series(1, ${JOBS}) AS i, (SELECT "tenantId", "builderId" FROM "Job" WHERE "archivedAt" IS NULL LIMIT 1) AS j`);
    jobs = (await db.query(`SELECT count(*)::int AS n FROM "Job" WHERE "archivedAt" IS NULL AND "tenantId" = (SELECT "id" FROM "Tenant" WHERE "slug" = 'all_county')`)).rows[0].n;
    await db.end();
  }, 120_000);
  afterAll(async () => {
    stop?.();
    await prisma?.$disconnect();
    await t?.close();
  });

  it("sends its first rows before it has read the list, and reads the list only as the client takes the rows", async () => {
    expect(jobs).toBeGreaterThan(JOBS);
    const pages = Math.ceil(jobs / 100);
    pageReads = 0;
    const res = await new Promise<IncomingMessage>((resolve) => get(`${base}/exports/jobs.csv`, { headers: as("all_county") }, resolve));
    expect(res.statusCode).toBe(200);
    const first: Buffer = await new Promise((resolve) =>
      res.once("data", (chunk: Buffer) => {
        res.pause(); // at once: a flowing stream drops what it emits with no listener
        resolve(chunk);
      }),
    );
    expect(first.toString()).toMatch(/^id,builder\.id,builder\.name,community/);
    const atFirstBytes = pageReads;
    await new Promise((r) => setTimeout(r, 1_500));
    const whilePaused = pageReads;
    // an export that read the list before answering would have read every page by now
    expect(atFirstBytes).toBeLessThan(pages / 10);
    expect(whilePaused).toBeLessThan(pages / 2);

    let rows = 0;
    let tail = first.toString();
    res.setEncoding("utf8");
    res.resume();
    for await (const chunk of res as AsyncIterable<string>) {
      const text = tail + chunk;
      const lines = text.split("\n");
      tail = lines.pop()!;
      rows += lines.length;
    }
    expect(rows - 1).toBe(jobs);
    expect(pageReads).toBeGreaterThanOrEqual(pages);
  }, 120_000);
});
