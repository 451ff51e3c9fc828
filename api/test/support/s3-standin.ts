import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local stand-in for the S3 REST operations the audit archive store calls (https://docs.aws.amazon.com/AmazonS3/
 * latest/API/): PutObject, HeadObject, GetObject and DeleteObject, path-style (`/<bucket>/<key>`), with S3's status
 * codes and XML error bodies: 404 NoSuchBucket / NoSuchKey (HEAD: no body), 403 AccessDenied without a SigV4
 * Authorization header (signatures are not checked), 400 BadDigest when `x-amz-content-sha256` does not match
 * the body, 400 IncompleteBody when it is shorter than Content-Length. aws-chunked uploads (the SDK's flexible
 * checksums) are refused with 501 NotImplemented: the store must not send them. Anything else is 501 too, and recorded
 * in `unhandled`.
 */
export interface S3Standin {
  readonly url: string;
  /** Objects by bucket, then key. */
  readonly buckets: Map<string, Map<string, StoredObject>>;
  /** Every request, in order (to assert what the client really sent). */
  readonly log: Array<{ method: string; path: string; status: number }>;
  readonly unhandled: string[];
  /** While set, PutObject answers 500 InternalError (as S3 does, rarely, and asks to retry). */
  failPuts: boolean;
  /** While set, PutObject answers 200 but keeps only the first half of the body (a server losing data: what HeadObject checks catch). */
  truncatePuts: boolean;
  close(): Promise<void>;
}

export interface StoredObject {
  body: Buffer;
  etag: string;
  contentType: string;
  lastModified: Date;
}

class S3Error extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly resource?: string) {
    super(message);
  }
}

const xml = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export async function startS3Standin(options: { buckets: string[] }): Promise<S3Standin> {
  const buckets = new Map(options.buckets.map((b) => [b, new Map<string, StoredObject>()]));
  const log: S3Standin["log"] = [];
  const unhandled: string[] = [];

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string) {
    const url = new URL(req.url ?? "/", "http://standin");
    const [, bucketName = "", ...keyParts] = url.pathname.split("/");
    const key = keyParts.map(decodeURIComponent).join("/");
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("AWS4-HMAC-SHA256 Credential=") || !req.headers["x-amz-date"])
      throw new S3Error(403, "AccessDenied", "Access Denied: the request is not signed (AWS Signature Version 4)");
    const bucket = buckets.get(decodeURIComponent(bucketName));
    if (!bucket) throw new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", `/${bucketName}`);
    if (!key) throw new S3Error(501, "NotImplemented", `bucket-level ${req.method} is not implemented by this stand-in`);
    const found = () => {
      const o = bucket.get(key);
      if (!o) throw new S3Error(404, "NoSuchKey", "The specified key does not exist.", `/${bucketName}/${key}`);
      return o;
    };
    const objectHeaders = (o: StoredObject) => ({
      "content-length": String(o.body.length), "content-type": o.contentType, etag: o.etag, "last-modified": o.lastModified.toUTCString(), "accept-ranges": "bytes",
    });
    switch (req.method) {
      case "PUT": {
        const body = await readBody(req);
        if (/aws-chunked/.test(String(req.headers["content-encoding"] ?? "")) || String(req.headers["x-amz-content-sha256"] ?? "").startsWith("STREAMING-"))
          throw new S3Error(501, "NotImplemented", "aws-chunked (streaming) uploads are not implemented by this stand-in");
        if (url.searchParams.size > 1 || (url.searchParams.size === 1 && url.searchParams.get("x-id") !== "PutObject"))
          throw new S3Error(501, "NotImplemented", `PUT with ${url.search} is not implemented by this stand-in`);
        const length = Number(req.headers["content-length"]);
        if (!Number.isInteger(length)) throw new S3Error(411, "MissingContentLength", "You must provide the Content-Length HTTP header.");
        if (body.length < length) throw new S3Error(400, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.");
        const sha = String(req.headers["x-amz-content-sha256"] ?? "");
        if (/^[0-9a-f]{64}$/.test(sha) && createHash("sha256").update(body).digest("hex") !== sha)
          throw new S3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
        if (standin.failPuts) throw new S3Error(500, "InternalError", "We encountered an internal error. Please try again.");
        const etag = `"${createHash("md5").update(body).digest("hex")}"`;
        const kept = standin.truncatePuts ? body.subarray(0, Math.floor(body.length / 2)) : body;
        bucket.set(key, { body: kept, etag, contentType: String(req.headers["content-type"] ?? "binary/octet-stream"), lastModified: new Date() });
        res.writeHead(200, { etag, "x-amz-request-id": requestId }).end();
        return 200;
      }
      case "HEAD": {
        const o = found();
        res.writeHead(200, { ...objectHeaders(o), "x-amz-request-id": requestId }).end();
        return 200;
      }
      case "GET": {
        if (url.searchParams.size > 1 || (url.searchParams.size === 1 && url.searchParams.get("x-id") !== "GetObject"))
          throw new S3Error(501, "NotImplemented", `GET with ${url.search} is not implemented by this stand-in`);
        if (req.headers.range) throw new S3Error(501, "NotImplemented", "ranged GETs are not implemented by this stand-in");
        const o = found();
        res.writeHead(200, { ...objectHeaders(o), "x-amz-request-id": requestId }).end(o.body);
        return 200;
      }
      case "DELETE": {
        bucket.delete(key); // S3 answers 204 whether or not the key existed
        res.writeHead(204, { "x-amz-request-id": requestId }).end();
        return 204;
      }
      default:
        throw new S3Error(501, "NotImplemented", `${req.method} is not implemented by this stand-in`);
    }
  }

  const server = createServer((req, res) => {
    const requestId = randomBytes(8).toString("hex").toUpperCase();
    const path = req.url ?? "/";
    handle(req, res, requestId).then(
      (status) => log.push({ method: req.method!, path, status }),
      async (err: unknown) => {
        const e = err instanceof S3Error ? err : new S3Error(500, "InternalError", String(err));
        if (e.code === "NotImplemented") unhandled.push(`${req.method} ${path}`);
        if (!req.readableEnded) await readBody(req).catch(() => undefined);
        log.push({ method: req.method!, path, status: e.status });
        const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${e.code}</Code><Message>${xml(e.message)}</Message>${e.resource ? `<Resource>${xml(e.resource)}</Resource>` : ""}<RequestId>${requestId}</RequestId></Error>`;
        res.writeHead(e.status, { "content-type": "application/xml", "x-amz-request-id": requestId });
        res.end(req.method === "HEAD" ? undefined : body);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const standin: S3Standin = {
    url: `http://127.0.0.1:${port}`,
    buckets,
    log,
    unhandled,
    failPuts: false,
    truncatePuts: false,
    close: () => new Promise((resolve, reject) => {
      server.closeAllConnections();
      server.close((err) => (err ? reject(err) : resolve()));
    }),
  };
  return standin;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
