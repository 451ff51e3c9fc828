import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { byteCounter, type ArchiveEnv, type AuditArchiveStore } from "./archive-store.ts";

/** An S3 failure that says the service is in trouble (5xx, 429, or no answer at all), not that the request was wrong. */
const isOutage = (err: Error) => {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return status === undefined || status === 429 || status >= 500;
};

/** One breaker per bucket and endpoint, for the whole process (a store is made per archival run). */
const breakers = new Map<string, CircuitBreakerPolicy>();

export interface S3BreakerOptions {
  /** Consecutive outage failures that open the breaker (default 3). */
  threshold?: number;
  /** How long it stays open before one trial request (default 5 minutes). */
  halfOpenAfterMs?: number;
}

/**
 * Archives as objects of an S3-compatible bucket (AWS S3, MinIO, Ceph, R2, ...), `<prefix><name>`; locations are
 * `s3://<bucket>/<key>`. An archive is spooled to a temporary file first, so the upload is one PutObject with a
 * known length (S3 needs it; the file is removed afterwards), then HeadObject must report exactly the bytes sent,
 * else the object is deleted and put throws. Flexible checksums are sent and checked only where S3 requires them
 * (no aws-chunked uploads, which many S3-compatible servers do not accept). The SDK retries failed requests (3
 * attempts) except the upload, whose streamed body it cannot replay: a failed upload fails the archival run, which
 * keeps the partition, and the worker's job retry (or the next run) tries again. Credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) when set, otherwise the
 * SDK's default chain (profiles, instance or task roles).
 */
export function s3ArchiveStore(env: ArchiveEnv & { AUDIT_ARCHIVE_S3_BUCKET: string }, breakerOptions: S3BreakerOptions = {}): AuditArchiveStore {
  const bucket = env.AUDIT_ARCHIVE_S3_BUCKET;
  const prefix = env.AUDIT_ARCHIVE_S3_PREFIX;
  const client = new S3Client({
    region: env.AUDIT_ARCHIVE_S3_REGION,
    ...(env.AUDIT_ARCHIVE_S3_ENDPOINT ? { endpoint: env.AUDIT_ARCHIVE_S3_ENDPOINT } : {}),
    forcePathStyle: env.AUDIT_ARCHIVE_S3_FORCE_PATH_STYLE,
    ...(env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) } }
      : {}),
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
  });
  const locationOf = (key: string) => `s3://${bucket}/${key}`;
  const breakerKey = `${env.AUDIT_ARCHIVE_S3_ENDPOINT ?? env.AUDIT_ARCHIVE_S3_REGION}/${bucket}`;
  let breaker = breakers.get(breakerKey);
  if (!breaker) {
    breaker = circuitBreaker(handleWhen(isOutage), { halfOpenAfter: breakerOptions.halfOpenAfterMs ?? 300_000, breaker: new ConsecutiveBreaker(breakerOptions.threshold ?? 3) });
    breakers.set(breakerKey, breaker);
  }
  const guarded = breaker;
  /**
   * Every S3 request goes through the bucket's circuit breaker: after `threshold` consecutive outage failures (5xx,
   * 429, network) requests fail at once, without reaching S3, until a trial request after `halfOpenAfterMs`; the
   * archival run fails and keeps its partition, as for any failed upload.
   */
  const send: S3Client["send"] = ((command: Parameters<S3Client["send"]>[0]) =>
    guarded.execute(() => client.send(command)).catch((err) => {
      if (err instanceof BrokenCircuitError) throw new Error(`${locationOf(prefix)}: S3 keeps failing; circuit breaker open, not calling it for now`, { cause: err });
      throw err;
    })) as S3Client["send"];

  /** `s3://<bucket>/<key>` (of this bucket) or a name under the prefix: the object's key. */
  function keyOf(location: string): string {
    const url = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
    if (!url) return `${prefix}${location}`;
    if (url[1] !== bucket) throw new Error(`${location}: not in the configured bucket ${bucket} (AUDIT_ARCHIVE_S3_BUCKET)`);
    return url[2]!;
  }

  return {
    description: locationOf(prefix),
    async put(name, body) {
      const key = keyOf(name);
      const spool = await mkdtemp(path.join(tmpdir(), "audit-archive-spool-"));
      try {
        const file = path.join(spool, "archive.ndjson.gz");
        const counter = byteCounter();
        await pipeline(body, counter, createWriteStream(file));
        const { size } = await stat(file);
        if (size !== counter.bytes) throw new Error(`audit archive spool ${file}: ${size} bytes on disk, ${counter.bytes} written`);
        await send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size, ContentType: "application/gzip" }));
        const head = await send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        if (head.ContentLength !== size) {
          await send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined);
          throw new Error(`audit archive ${locationOf(key)}: the bucket holds ${head.ContentLength} bytes, ${size} were sent; deleted it`);
        }
        return { location: locationOf(key), bytes: size };
      } finally {
        await rm(spool, { recursive: true, force: true });
      }
    },
    async open(location) {
      const key = keyOf(location);
      try {
        const object = await send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        return object.Body as Readable;
      } catch (err) {
        if (err instanceof NoSuchKey) throw new Error(`${locationOf(key)}: no such archive in the bucket`, { cause: err });
        throw err;
      }
    },
  };
}
