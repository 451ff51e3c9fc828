import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3ArchiveStore } from "../src/audit/s3-archive-store.ts";
import { loadEnv } from "../src/env.ts";
import { startS3Standin, type S3Standin } from "./support/s3-standin.ts";

const BUCKET = "h2o-breaker";

describe("the S3 archive store's circuit breaker", () => {
  let s3: S3Standin;
  beforeAll(async () => {
    s3 = await startS3Standin({ buckets: [BUCKET] });
  });
  afterAll(async () => s3?.close());

  it("opens after consecutive 5xx (no request reaches S3 while open), lets a trial through later, and closes on success", async () => {
    const env = loadEnv({
      NODE_ENV: "test", LOG_LEVEL: "silent", JWT_SECRET: "x".repeat(40), ENCRYPTION_KEY: "0".repeat(64),
      AUDIT_ARCHIVE_S3_BUCKET: BUCKET, AUDIT_ARCHIVE_S3_ENDPOINT: s3.url, AWS_ACCESS_KEY_ID: "AKIASTANDIN", AWS_SECRET_ACCESS_KEY: "standin-secret",
    });
    const store = s3ArchiveStore({ ...env, AUDIT_ARCHIVE_S3_BUCKET: BUCKET }, { threshold: 2, halfOpenAfterMs: 400 });
    const put = (name: string) => store.put(name, Readable.from([Buffer.from(`archive ${name}`)]));
    const puts = () => s3.log.filter((r) => r.method === "PUT").length;
    s3.failPuts = true;
    await expect(put("a.ndjson.gz")).rejects.toThrow(/internal error/i);
    await expect(put("b.ndjson.gz")).rejects.toThrow(/internal error/i);
    expect(puts()).toBe(2);
    await expect(put("c.ndjson.gz")).rejects.toThrow(/circuit breaker open/);
    expect(puts()).toBe(2); // refused without a request
    s3.failPuts = false;
    await expect(put("d.ndjson.gz")).rejects.toThrow(/circuit breaker open/); // still open, even though S3 is back
    await new Promise((r) => setTimeout(r, 450));
    await expect(put("e.ndjson.gz")).resolves.toMatchObject({ location: `s3://${BUCKET}/audit-archive/e.ndjson.gz` });
    await expect(put("f.ndjson.gz")).resolves.toMatchObject({ bytes: expect.any(Number) });
    expect([...s3.buckets.get(BUCKET)!.keys()].sort()).toEqual(["audit-archive/e.ndjson.gz", "audit-archive/f.ndjson.gz"]);
  });

  it("does not count a client error (404 on a missing archive) as an outage", async () => {
    const env = loadEnv({
      NODE_ENV: "test", LOG_LEVEL: "silent", JWT_SECRET: "x".repeat(40), ENCRYPTION_KEY: "0".repeat(64),
      AUDIT_ARCHIVE_S3_BUCKET: BUCKET, AUDIT_ARCHIVE_S3_ENDPOINT: s3.url, AWS_ACCESS_KEY_ID: "AKIASTANDIN", AWS_SECRET_ACCESS_KEY: "standin-secret",
    });
    const store = s3ArchiveStore({ ...env, AUDIT_ARCHIVE_S3_BUCKET: BUCKET }, { threshold: 2, halfOpenAfterMs: 60_000 });
    for (let i = 0; i < 4; i++) await expect(store.open(`missing-${i}.ndjson.gz`)).rejects.toThrow(/no such archive/);
    await expect(store.put("g.ndjson.gz", Readable.from([Buffer.from("g")]))).resolves.toMatchObject({ location: `s3://${BUCKET}/audit-archive/g.ndjson.gz` });
  });
});
