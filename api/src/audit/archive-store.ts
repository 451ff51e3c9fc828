import { createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Env } from "../env.ts";

/**
 * Where audit archive files live: a local directory or an S3-compatible bucket. One interface, so that archival
 * (archive.ts) and restore do the same steps whatever the target.
 */
export interface AuditArchiveStore {
  /** The target, for messages: a directory, or `s3://bucket/prefix`. */
  readonly description: string;
  /**
   * Stores `body` (an archive's gzip bytes) as `name`, durably (a file is fsynced and renamed into place; an object
   * is uploaded whole), then checks that what is stored has as many bytes as were sent. Returns the location to
   * read it back from (what `audit:restore --file` takes). A failure leaves no archive behind under `name`.
   */
  put(name: string, body: Readable): Promise<{ location: string; bytes: number }>;
  /** The stored bytes of an archive: `location` as `put` returned it, or a bare name in this store. Throws when missing. */
  open(location: string): Promise<Readable>;
}

/** Counts the bytes flowing through it into `counter.bytes`. */
export function byteCounter(): Transform & { bytes: number } {
  const counter: Transform & { bytes: number } = Object.assign(
    new Transform({
      transform(chunk: Buffer, _encoding, done) {
        counter.bytes += chunk.length;
        done(null, chunk);
      },
    }),
    { bytes: 0 },
  );
  return counter;
}

/** Archives as files in `dir`: written under a temporary name, fsynced, renamed. Locations are absolute paths. */
export function localArchiveStore(dir: string): AuditArchiveStore {
  return {
    description: dir,
    async put(name, body) {
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, name);
      const temporary = `${file}.partial`;
      const counter = byteCounter();
      try {
        await pipeline(body, counter, createWriteStream(temporary));
        const handle = await open(temporary, "r+");
        await handle.sync();
        await handle.close();
        await rename(temporary, file);
      } catch (err) {
        await rm(temporary, { force: true });
        throw err;
      }
      const { size } = await stat(file);
      if (size !== counter.bytes) {
        await rm(file, { force: true });
        throw new Error(`audit archive ${file}: ${size} bytes on disk, ${counter.bytes} written`);
      }
      return { location: file, bytes: size };
    },
    async open(location) {
      const handle = await open(path.resolve(dir, location), "r");
      return handle.createReadStream();
    },
  };
}

export type ArchiveEnv = Pick<
  Env,
  | "DATA_DIR"
  | "AUDIT_ARCHIVE_DIR"
  | "AUDIT_ARCHIVE_S3_BUCKET"
  | "AUDIT_ARCHIVE_S3_ENDPOINT"
  | "AUDIT_ARCHIVE_S3_REGION"
  | "AUDIT_ARCHIVE_S3_PREFIX"
  | "AUDIT_ARCHIVE_S3_FORCE_PATH_STYLE"
  | "AWS_ACCESS_KEY_ID"
  | "AWS_SECRET_ACCESS_KEY"
  | "AWS_SESSION_TOKEN"
>;

/**
 * The configured store: the S3-compatible bucket when AUDIT_ARCHIVE_S3_BUCKET is set (the S3 client is loaded only
 * then), otherwise AUDIT_ARCHIVE_DIR, or `<DATA_DIR>/audit-archive`.
 */
export async function auditArchiveStore(env: ArchiveEnv): Promise<AuditArchiveStore> {
  if (env.AUDIT_ARCHIVE_S3_BUCKET) {
    const { s3ArchiveStore } = await import("./s3-archive-store.ts");
    return s3ArchiveStore({ ...env, AUDIT_ARCHIVE_S3_BUCKET: env.AUDIT_ARCHIVE_S3_BUCKET });
  }
  return localArchiveStore(env.AUDIT_ARCHIVE_DIR ?? path.join(env.DATA_DIR, "audit-archive"));
}
