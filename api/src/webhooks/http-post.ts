import http from "node:http";
import https from "node:https";
import { performance } from "node:perf_hooks";
import { guardedLookup, parseWebhookUrl, type UrlPolicy } from "./ssrf.ts";

/** The most of a response body kept for the attempt log. */
export const RESPONSE_EXCERPT_BYTES = 1024;
/** Past this many body bytes the connection is dropped instead of drained for reuse. */
const MAX_DRAIN_BYTES = 64 * 1024;

export interface PostOutcome {
  startedAt: Date;
  latencyMs: number;
  statusCode: number | null;
  responseBodyExcerpt: string | null;
  error: string | null;
}

export interface PostOptions {
  policy: UrlPolicy;
  timeoutMs: number;
  agents: { http: http.Agent; https: https.Agent };
}

/** Keep-alive agents for {@link postWebhook}; `destroy()` them on shutdown. */
export function createAgents(maxSocketsPerHost: number): PostOptions["agents"] {
  const options = { keepAlive: true, maxSockets: maxSocketsPerHost, scheduling: "lifo" as const };
  return { http: new http.Agent(options), https: new https.Agent(options) };
}

/**
 * POSTs `body` once. Never throws: every failure (refused URL, DNS, connection, timeout) comes back as
 * `error` with `statusCode: null`. The URL passes the SSRF policy here, at delivery time, and the socket
 * connects to the very addresses that were checked. Redirects are never followed (a 3xx is just a status).
 * `timeoutMs` bounds the whole exchange, body excerpt included.
 */
export function postWebhook(rawUrl: string, body: string, headers: Record<string, string>, options: PostOptions): Promise<PostOutcome> {
  const startedAt = new Date();
  const t0 = performance.now();
  const done = (statusCode: number | null, excerpt: string | null, error: string | null): PostOutcome => ({
    startedAt,
    latencyMs: Math.round(performance.now() - t0),
    statusCode,
    responseBodyExcerpt: excerpt,
    error,
  });
  let url: URL;
  try {
    url = parseWebhookUrl(rawUrl, options.policy);
  } catch (err) {
    return Promise.resolve(done(null, null, (err as Error).message));
  }

  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(outcome);
    };
    const isHttps = url.protocol === "https:";
    const req = (isHttps ? https : http).request(url, {
      method: "POST",
      agent: isHttps ? options.agents.https : options.agents.http,
      lookup: guardedLookup(options.policy),
      headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)) },
    });
    let status: number | null = null;
    const timer = setTimeout(() => {
      settle(done(status, null, `timed out after ${options.timeoutMs} ms`));
      req.destroy();
    }, options.timeoutMs);
    req.on("error", (err) => settle(done(null, null, err.message || String(err))));
    req.on("response", (res) => {
      status = res.statusCode ?? null;
      const chunks: Buffer[] = [];
      let kept = 0;
      let seen = 0;
      res.on("data", (chunk: Buffer) => {
        seen += chunk.length;
        if (kept < RESPONSE_EXCERPT_BYTES) {
          const part = chunk.subarray(0, RESPONSE_EXCERPT_BYTES - kept);
          chunks.push(part);
          kept += part.length;
        }
        if (seen > MAX_DRAIN_BYTES) {
          res.destroy();
          settle(done(res.statusCode ?? null, excerpt(chunks), null));
        }
      });
      res.on("end", () => settle(done(res.statusCode ?? null, excerpt(chunks), null)));
      res.on("error", (err) => settle(done(res.statusCode ?? null, excerpt(chunks), err.message)));
    });
    req.end(body);
  });
}

/** UTF-8 text of at most RESPONSE_EXCERPT_BYTES bytes, without a character cut in half at the end. */
function excerpt(chunks: Buffer[]): string {
  let text = Buffer.concat(chunks).toString("utf8").replace(/\uFFFD+$/, "");
  while (Buffer.byteLength(text) > RESPONSE_EXCERPT_BYTES) text = text.slice(0, -1);
  return text;
}
