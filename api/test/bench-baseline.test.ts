// The floor `npm run bench -- http` compares the API with must answer the same question: for every scenario the
// bench sends, the baseline's `data` is the API's, byte for byte, on the same rows; its changeJobStatus makes the
// same writes as the API's pipeline (job row, audit row, outbox message, worker job) or none; and the statement
// counter the bench preloads into both servers counts what the driver sends. PostGraphile (the bench's third server)
// must return the same rows as the API for every document it is given, under row-level security as the token's tenant.
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBaseline } from "../bench/baseline/app.ts";
import { body, CHANGE_JOB_STATUS, leaves, postgraphileNodeId, scenarios, type Fixtures } from "../bench/http/scenarios.ts";
import { createPostGraphile } from "../bench/postgraphile/app.ts";
import { generateLargeDataset } from "../scripts/generate-large-dataset.ts";
import { generateApiKey } from "../src/auth/api-keys.ts";
import { signAccessToken } from "../src/auth/tokens.ts";
import { repoRoot } from "../src/env.ts";
import type { Prisma } from "../src/db/client.ts";
import { startTestApp, TEST_JWT_SECRET, type TestApp } from "./support/app.ts";
import { demoUser } from "../../prisma/seed.ts";
import { as, globalId, seedDemo } from "./support/domain.ts";
import { freePort } from "./support/ports.ts";

describe("the bench's baseline answers as the API does", () => {
  let t: TestApp;
  let prisma: Prisma;
  let baseline: Awaited<ReturnType<typeof createBaseline>>;
  let url: string;
  let fx: Fixtures;
  let db: pg.Client;
  let postgraphile: Awaited<ReturnType<typeof createPostGraphile>>;
  let pgUrl: string;

  beforeAll(async () => {
    t = await startTestApp();
    prisma = await seedDemo(t);
    await generateLargeDataset(prisma, { jobsTenant: "all_county", serviceCallsTenant: "h2o", builders: 20, jobs: 400, bids: 0, serviceCalls: 400 });
    db = new pg.Client({ connectionString: t.db.url });
    await db.connect();
    const key = generateApiKey();
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug: "all_county" } });
    await prisma.apiKey.create({ data: { tenantId: tenant.id, name: "bench", prefix: key.prefix, keyHash: key.hash, scopes: ["read:jobs"] } });
    const job = await prisma.job.findFirstOrThrow({ where: { tenantId: tenant.id }, orderBy: { id: "asc" } });
    fx = { headers: { "jobs-user": as("all_county"), "calls-user": as("h2o", "dispatcher"), "api-key": { authorization: `Bearer ${key.key}` } }, nodeJobGlobalId: globalId("Job", job.id), postgraphileNodeJobId: postgraphileNodeId("Job", job.id) };
    baseline = await createBaseline({ databaseUrl: t.db.url, jwtSecret: TEST_JWT_SECRET, poolMax: 2 });
    url = await baseline.listen(0);
    postgraphile = await createPostGraphile({ databaseUrl: t.db.url, jwtSecret: TEST_JWT_SECRET, poolMax: 2 });
    pgUrl = await postgraphile.listen(0);
  }, 60_000);
  afterAll(async () => {
    await postgraphile?.close();
    await baseline?.close();
    await db?.end();
    await prisma?.$disconnect();
    await t?.close();
  });

  const post = async (route: string, text: string, headers: Record<string, string>) =>
    (await (await fetch(`${url}/s/${route}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: text })).json()) as { data?: unknown; errors?: unknown };
  const api = async (text: string, headers: Record<string, string>) => {
    const { query, variables } = JSON.parse(text) as { query: string; variables?: Record<string, unknown> };
    return t.gql(query, variables, headers);
  };

  const reads = [...new Map(scenarios.flatMap((s) => s.ops).filter((op) => !op.write).map((op) => [op.query + op.auth, op])).values()];
  it.each(reads.map((op) => [op.route, op.auth, op] as const))("%s (%s): the same data", async (_route, _auth, op) => {
    const text = body(op, fx);
    const [fromApi, fromBaseline] = await Promise.all([api(text, fx.headers[op.auth]), post(op.route, text, fx.headers[op.auth])]);
    expect(fromApi.errors).toBeUndefined();
    expect(JSON.stringify(fromBaseline.data)).toBe(JSON.stringify(fromApi.data));
    expect(JSON.stringify(fromApi.data)).toMatch(/"__typename":"Query"|"id":"/); // rows, not an empty page
  });

  // the API's payload names the job by its global ID (the webhook vocabulary); the baseline's by its row id
  const writesOf = async (jobId: string) => {
    const { rows } = await db.query(
      `SELECT (SELECT count(*)::int FROM "AuditEvent" WHERE "entityId" = $1 AND action = 'status_changed') AS audit,
              (SELECT count(*)::int FROM "WebhookMessage" m WHERE m."eventType" = 'job.status_changed' AND m.payload::jsonb -> 'data' ->> 'entityId' IN ($1, encode(convert_to('Job:' || $1, 'UTF8'), 'base64'))) AS messages,
              (SELECT count(*)::int FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks k ON k.id = j.task_id
                JOIN "WebhookMessage" m ON m.id::text = j.payload ->> 'messageId' WHERE k.identifier = 'webhook.fanout' AND m.payload::jsonb -> 'data' ->> 'entityId' IN ($1, encode(convert_to('Job:' || $1, 'UTF8'), 'base64'))) AS fanouts,
              (SELECT status || ' v' || version FROM "Job" WHERE id = $1::uuid) AS job`,
      [jobId],
    );
    return rows[0] as { audit: number; messages: number; fanouts: number; job: string };
  };

  it("changeJobStatus: the same answer and the same writes as the API's pipeline, in one transaction", async () => {
    const [a, b] = await prisma.job.findMany({ where: { tenant: { slug: "all_county" }, status: "scheduled", archivedAt: null }, orderBy: { id: "asc" }, take: 2 });
    const op = scenarios.find((s) => s.name === "change-job-status")!.ops[0]!;
    expect(op.query).toBe(CHANGE_JOB_STATUS);
    const fromApi = await api(body(op, fx, { id: a!.id, status: "scheduled", version: a!.version }), fx.headers["jobs-user"]);
    const fromBaseline = await post(op.route, body(op, fx, { id: b!.id, status: "scheduled", version: b!.version }), fx.headers["jobs-user"]);
    const expected = (id: string, version: number) => ({ changeJobStatus: { job: { id: globalId("Job", id), status: "ON_HOLD", version: version + 1 } } });
    expect(fromApi.data).toEqual(expected(a!.id, a!.version));
    expect(fromBaseline.data).toEqual(expected(b!.id, b!.version));
    const [apiWrites, baselineWrites] = [await writesOf(a!.id), await writesOf(b!.id)];
    expect(apiWrites).toEqual({ audit: 1, messages: 1, fanouts: 1, job: `on_hold v${a!.version + 1}` });
    expect(baselineWrites).toEqual({ ...apiWrites, job: `on_hold v${b!.version + 1}` });

    // a stale version: CONFLICT, and nothing written (the whole transaction rolled back)
    const stale = await post(op.route, body(op, fx, { id: b!.id, status: "on_hold", version: b!.version }), fx.headers["jobs-user"]);
    expect(stale.errors).toEqual([expect.objectContaining({ extensions: { code: "CONFLICT" } })]);
    expect(await writesOf(b!.id)).toEqual(baselineWrites);
  });

  // PostGraphile acts for the tenant its token names (`tid`, as a login issues it)
  const tenantToken = async (slug: string, role: Parameters<typeof demoUser>[1] = "owner") => {
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { slug } });
    return { authorization: `Bearer ${signAccessToken({ sub: demoUser(slug, role).id, sid: randomUUID(), tid: tenant.id }, TEST_JWT_SECRET)}`, "x-tenant-id": slug };
  };
  const askPostGraphile = async (text: string, headers: Record<string, string>) => {
    const res = await fetch(`${pgUrl}/graphql`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: text });
    return (await res.json()) as { data?: unknown; errors?: unknown };
  };
  const pgReads = reads.filter((op) => op.postgraphile);

  it("PostGraphile has a document for the jobs board (with and without totalCount) and node", () => {
    expect(new Set(pgReads.map((op) => op.route))).toEqual(new Set(["jobs-count", "jobs", "node", "typename"]));
  });

  it.each(pgReads.map((op) => [op.route, op] as const))("PostGraphile, %s: the same rows as the API", async (_route, op) => {
    const pgHeaders = await tenantToken("all_county");
    const [fromApi, fromPg] = await Promise.all([api(body(op, fx), fx.headers[op.auth]), askPostGraphile(body(op, fx, undefined, "postgraphile"), pgHeaders)]);
    expect(fromPg.errors).toBeUndefined();
    expect(leaves(fromPg.data)).toEqual(leaves(fromApi.data));
    if (op.route !== "typename") expect(leaves(fromApi.data).filter((v) => typeof v === "string" && /^[0-9a-f-]{36}$/.test(v)).length).toBeGreaterThan(0);
  });

  it("PostGraphile reads under row-level security as the token's tenant, and refuses a token it cannot verify", async () => {
    const board = scenarios.find((s) => s.name === "jobs-board")!.ops[0]!;
    const node = scenarios.find((s) => s.name === "node")!.ops[0]!;
    // h2o's owner sees none of all_county's jobs: count 0, no rows, and all_county's job is no node of theirs
    const other = await tenantToken("h2o");
    const jobsOfOther = await prisma.job.count({ where: { tenant: { slug: "h2o" }, archivedAt: null } });
    expect(await askPostGraphile(body(board, fx, undefined, "postgraphile"), other)).toMatchObject({ data: { allJobs: { totalCount: jobsOfOther } } });
    expect(await askPostGraphile(body(node, fx, undefined, "postgraphile"), other)).toEqual({ data: { node: null } });
    // a token of all_county presented for another tenant, a forged token, no token: nothing read
    const mine = await tenantToken("all_county");
    for (const headers of [{ ...mine, "x-tenant-id": "h2o" }, { authorization: `Bearer ${signAccessToken({ sub: randomUUID(), sid: randomUUID(), tid: randomUUID() }, "another-secret-0123456789abcdefghijklmno")}` }, {}] as Record<string, string>[]) {
      const answer = await askPostGraphile(body(board, fx, undefined, "postgraphile"), headers);
      expect(answer.data ?? null).toBeNull();
      expect(JSON.stringify(answer.errors)).toContain("invalid credentials");
    }
  });

  it("refuses a request without valid credentials", async () => {
    const res = await fetch(`${url}/s/typename`, { method: "POST", headers: { authorization: "Bearer not-a-token" }, body: "{}" });
    expect(res.status).toBe(401);
  });

  it("the statement counter counts every statement the pg driver sends", async () => {
    const script = `import pg from "pg"; const c = new pg.Client(${JSON.stringify(t.db.url)}); await c.connect();
      await c.query("BEGIN"); await c.query("SELECT set_config('app.x', $1, true)", ["1"]); await c.query({ text: "SELECT $1::int", values: [2] }); await c.query("COMMIT");
      const s = await (await fetch("http://127.0.0.1:" + process.env.BENCH_STATS_PORT)).json(); console.log(s.statements); await c.end();`;
    const counter = path.join(repoRoot, "api", "bench", "http", "count-statements.mjs");
    const port = String(await freePort());
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, ["--import", counter, "--input-type=module", "-e", script], { cwd: repoRoot, env: { ...process.env, BENCH_STATS_PORT: port } }, (err, stdout) =>
        err ? reject(err) : resolve(stdout),
      ),
    );
    expect(Number(out.trim())).toBe(4);
  });
});
