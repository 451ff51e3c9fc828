import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/**
 * A partner endpoint on 127.0.0.1 (random port) that records every request and answers as scripted:
 * `failNext(n)` answers the next n requests with 500, `hang()` never answers, `delay(ms)` answers late.
 */
export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` plus `path`. */
  url(path?: string): string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Requests being answered right now, and the most there ever were at once. */
  readonly inFlight: number;
  readonly maxInFlight: number;
  failNext(count: number, status?: number, body?: string): void;
  /** Answers with `status` every request `when` picks (checked first, before `failNext` and the normal reply). */
  failWhen(when: (req: ReceivedRequest) => boolean, status?: number): void;
  respondWith(status: number, body?: string, headers?: Record<string, string>): void;
  hang(on?: boolean): void;
  delay(ms: number): void;
  waitForRequests(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const failures: Reply[] = [];
  let normal: Reply = { status: 204, body: "", headers: {} };
  let failing: { when: (req: ReceivedRequest) => boolean; reply: Reply } | null = null;
  let hanging = false;
  let delayMs = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const waiters = new Set<() => void>();

  const reply = (res: ServerResponse, r: Reply) => {
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on("close", () => inFlight--);
      const received: ReceivedRequest = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), receivedAt: Date.now() };
      requests.push(received);
      for (const wake of waiters) wake();
      if (hanging) return;
      const r = failing?.when(received) ? failing.reply : (failures.shift() ?? normal);
      if (delayMs > 0) setTimeout(() => reply(res, r), delayMs);
      else reply(res, r);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    url: (path = "/webhook") => `http://127.0.0.1:${port}${path}`,
    port,
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    failNext(count, status = 500, body = "receiver failure") {
      for (let i = 0; i < count; i++) failures.push({ status, body, headers: { "content-type": "text/plain" } });
    },
    failWhen(when, status = 500) {
      failing = { when, reply: { status, body: "receiver failure", headers: { "content-type": "text/plain" } } };
    },
    respondWith(status, body = "", headers = {}) {
      normal = { status, body, headers };
    },
    hang(on = true) {
      hanging = on;
    },
    delay(ms) {
      delayMs = ms;
    },
    waitForRequests(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          cleanup();
          resolve(requests.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`receiver: ${requests.length} of ${count} requests after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Receivers started on demand by a test file, all closed together in its `afterAll`. */
export function webhookReceivers(): { start(): Promise<WebhookReceiver>; closeAll(): Promise<void> } {
  const started: WebhookReceiver[] = [];
  return {
    async start() {
      const r = await startWebhookReceiver();
      started.push(r);
      return r;
    },
    async closeAll() {
      await Promise.all(started.splice(0).map((r) => r.close()));
    },
  };
}
