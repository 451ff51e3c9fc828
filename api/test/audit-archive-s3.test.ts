import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveExpiredPartitions, countArchiveRows } from "../src/audit/archive.ts";
import { auditArchiveStore, type AuditArchiveStore } from "../src/audit/archive-store.ts";
import { ensureAuditPartitions, listAuditPartitions, monthStart, partitionName } from "../src/audit/partitions.ts";
import { loadEnv } from "../src/env.ts";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";
import { startS3Standin, type S3Standin } from "./support/s3-standin.ts";

const run = promisify(execFile);
const apiDir = path.resolve(import.meta.dirname, "..");
const BUCKET = "h2o-audit";

describe("audit archives in an S3-compatible bucket", () => {
  let db: TestDatabase;
  let client: pg.Client;
  let s3: S3Standin;
  let store: AuditArchiveStore;
  let settings: Record<string, string>;
  const now = new Date();
  const tenant = randomUUID(); // retention 30 days
  const month = monthStart(now, -3);
  let snapshot: string[];

  const q = async <R extends Record<string, unknown> = Record<string, any>>(sql: string, values?: unknown[]) => (await client.query<R>(sql, values)).rows;
  const rowsOf = () =>
    q<{ row: string }>(`SELECT t::text AS row FROM "AuditEvent" t WHERE "changedAt" >= $1::timestamp AND "changedAt" < $2::timestamp ORDER BY id, "changedAt"`, [
      month.toISOString().slice(0, 23), monthStart(month, 1).toISOString().slice(0, 23),
    ]).then((rows) => rows.map((r) => r.row));
  const attached = async () => (await listAuditPartitions(client)).filter((p) => p.attached).map((p) => p.name);
  const objects = () => [...s3.buckets.get(BUCKET)!.keys()];
  const cli = (...args: string[]) =>
    run(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { cwd: apiDir, env: { ...process.env, ...settings, DATABASE_URL: db.url } });

  beforeAll(async () => {
    db = await createTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    s3 = await startS3Standin({ buckets: [BUCKET] });
    settings = {
      NODE_ENV: "test", LOG_LEVEL: "silent", JWT_SECRET: "x".repeat(40), ENCRYPTION_KEY: "0".repeat(64),
      AUDIT_ARCHIVE_S3_BUCKET: BUCKET, AUDIT_ARCHIVE_S3_ENDPOINT: s3.url, AUDIT_ARCHIVE_S3_REGION: "eu-west-1", AUDIT_ARCHIVE_S3_PREFIX: "h2o/audit",
      AWS_ACCESS_KEY_ID: "AKIASTANDIN", AWS_SECRET_ACCESS_KEY: "standin-secret",
    };
    store = await auditArchiveStore(loadEnv(settings));
    await q(`INSERT INTO "Tenant" (id, slug, name, "updatedAt") VALUES ($1, 't-s3', 't-s3', now())`, [tenant]);
    await q(`INSERT INTO "TenantConfig" (id, "tenantId", "auditRetentionDays", "updatedAt") VALUES ($1, $2, 30, now())`, [randomUUID(), tenant]);
    await q(
      `INSERT INTO "AuditEvent" (id, "tenantId", "changedAt", "actorKind", "actorId", action, "eventType", "entityType", "entityId", before, after, "requestId", "userAgent")
       SELECT gen_random_uuid(), $2::uuid, $1::timestamp + (i * 7919 % 2400000) * interval '1 second', 'user', md5(i::text), 'updated', 'job.updated', 'job', md5((i % 50)::text),
              CASE WHEN i % 4 = 0 THEN NULL ELSE jsonb_build_object('notes', E'ünï "q"\\n' || i) END, jsonb_build_object('n', i, 'tags', jsonb_build_array(i, NULL)),
              'req-' || i, CASE WHEN i % 2 = 0 THEN NULL ELSE 'agent/' || i END
         FROM generate_series(1, 3000) AS i`,
      [month.toISOString().slice(0, 10), tenant],
    );
    await ensureAuditPartitions(client, now, 3);
    snapshot = await rowsOf();
  });
  afterAll(async () => {
    await client?.end();
    await db?.drop();
    await s3?.close();
  });

  it("configures the store from the environment: bucket, endpoint, region, prefix (with its slash), credentials in pairs", () => {
    expect(store.description).toBe(`s3://${BUCKET}/h2o/audit/`);
    expect(() => loadEnv({ ...settings, AWS_SECRET_ACCESS_KEY: "" })).toThrow(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both or neither/);
    expect(() => loadEnv({ ...settings, AUDIT_ARCHIVE_S3_BUCKET: "Not_A_Bucket" })).toThrow(/AUDIT_ARCHIVE_S3_BUCKET: must be an S3 bucket name/);
    expect(loadEnv({ ...settings, AUDIT_ARCHIVE_S3_PREFIX: "" }).AUDIT_ARCHIVE_S3_PREFIX).toBe("");
  });

  it("keeps the partition in place, attached with every row, when the upload fails (500)", async () => {
    s3.failPuts = true;
    try {
      await expect(archiveExpiredPartitions(client, { store, now })).rejects.toThrow(/internal error/i);
    } finally {
      s3.failPuts = false;
    }
    const puts = s3.log.filter((r) => r.method === "PUT");
    expect(puts.length).toBe(1); // a streamed body is not replayed by the SDK: the worker's job retry (or the next run) tries again
    expect(puts.every((r) => r.status === 500)).toBe(true);
    expect(objects()).toEqual([]);
    expect(await attached()).toContain(partitionName(month));
    expect(await rowsOf()).toEqual(snapshot);
  });

  it("keeps the partition when the bucket stores fewer bytes than were sent (HeadObject check), and deletes the bad object", async () => {
    s3.truncatePuts = true;
    try {
      await expect(archiveExpiredPartitions(client, { store, now })).rejects.toThrow(/the bucket holds \d+ bytes, \d+ were sent/);
    } finally {
      s3.truncatePuts = false;
    }
    expect(s3.log.some((r) => r.method === "HEAD" && r.status === 200)).toBe(true);
    expect(s3.log.at(-1)).toMatchObject({ method: "DELETE", status: 204 });
    expect(objects()).toEqual([]);
    expect(await attached()).toContain(partitionName(month));
    expect(await rowsOf()).toEqual(snapshot);
  });

  it("round-trips retention → archive to the bucket → drop → restore from the bucket with `npm run cli`, exactly", async () => {
    s3.log.length = 0;
    const archived = await cli("audit:archive");
    const location = archived.stdout.match(/-> (s3:\/\/\S+)/)?.[1];
    expect(archived.stdout).toContain(`${partitionName(month)}: 3000 rows -> s3://${BUCKET}/h2o/audit/${partitionName(month)}.`);
    expect(location).toMatch(/\.ndjson\.gz$/);
    const key = location!.slice(`s3://${BUCKET}/`.length);
    expect(objects()).toEqual([key]);
    // uploaded once, its size checked with HEAD, read back and counted, and only then the partition dropped
    expect(s3.log.map((r) => `${r.method} ${r.status}`)).toEqual(["PUT 200", "HEAD 200", "GET 200"]);
    expect(s3.unhandled).toEqual([]);
    expect(await attached()).not.toContain(partitionName(month));
    expect((await q(`SELECT to_regclass($1) AS t`, [`"${partitionName(month)}"`]))[0]!.t).toBeNull();
    expect(await rowsOf()).toEqual([]);
    expect(await countArchiveRows(await store.open(location!))).toBe(3_000);

    const restored = await cli("audit:restore", "--file", location!);
    expect(restored.stdout).toContain("3000 rows, 3000 inserted");
    expect(await attached()).toContain(partitionName(month));
    expect(await rowsOf()).toEqual(snapshot);
    const again = await cli("audit:restore", "--file", path.basename(key)); // by its name under the prefix
    expect(again.stdout).toContain("3000 rows, 0 inserted");
    expect(await rowsOf()).toEqual(snapshot);
  }, 60_000);

  it("reports a missing archive and a location in another bucket clearly", async () => {
    await expect(store.open("AuditEvent_p190001.missing.ndjson.gz")).rejects.toThrow(`s3://${BUCKET}/h2o/audit/AuditEvent_p190001.missing.ndjson.gz: no such archive in the bucket`);
    await expect(store.open("s3://elsewhere/x.ndjson.gz")).rejects.toThrow(/not in the configured bucket h2o-audit/);
    const other = await auditArchiveStore(loadEnv({ ...settings, AUDIT_ARCHIVE_S3_BUCKET: "no-such-bucket" }));
    await expect(other.open("x.ndjson.gz")).rejects.toThrow(/NoSuchBucket|does not exist/);
  });

  it("is a stand-in with S3's honest answers: unsigned requests are refused, unknown buckets and keys are 404 with S3's codes", async () => {
    const unsigned = await fetch(`${s3.url}/${BUCKET}/h2o/audit/x`);
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toContain("<Code>AccessDenied</Code>");
    const signed = { authorization: "AWS4-HMAC-SHA256 Credential=AKIASTANDIN/20260101/eu-west-1/s3/aws4_request, SignedHeaders=host, Signature=0", "x-amz-date": "20260101T000000Z" };
    const missing = await fetch(`${s3.url}/${BUCKET}/nothing-here`, { headers: signed });
    expect([missing.status, await missing.text()]).toEqual([404, expect.stringContaining("<Code>NoSuchKey</Code>")]);
    const bucket = await fetch(`${s3.url}/other-bucket/x`, { headers: signed });
    expect([bucket.status, await bucket.text()]).toEqual([404, expect.stringContaining("<Code>NoSuchBucket</Code>")]);
    const chunked = await fetch(`${s3.url}/${BUCKET}/x`, { method: "PUT", headers: { ...signed, "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER", "content-encoding": "aws-chunked" }, body: "0\r\n\r\n" });
    expect(chunked.status).toBe(501);
    s3.unhandled.length = 0;
  });
});
