import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** A stand-in's answer. */
export interface Answer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** What every platform stand-in offers tests: a request log, queued faults, delays. */
export interface StandinControls {
  /** Every request, in order: method and path (never the tokens). */
  readonly log: Array<{ method: string; path: string; status: number }>;
  /** Responses to give instead of the real one to the next calls whose `METHOD path` matches (a RegExp). */
  faults: Array<{ match: RegExp; status: number; body: unknown; headers?: Record<string, string>; times: number }>;
  /** Milliseconds to wait before answering a matching call (after the real work is done, for crash tests). */
  delays: Array<{ match: RegExp; ms: number }>;
}

export interface StandinRequest {
  method: string;
  /** The path the faults and delays match (`key(pathname)`). */
  path: string;
  url: URL;
  headers: IncomingMessage["headers"];
  rawBody: Buffer;
  /** A parameter from the form body or the query string. */
  param(name: string): string | null;
}

/**
 * Serves `route` on 127.0.0.1 (a free port): faults queued in `controls` answer first (counted down), then the
 * route; every request is logged as soon as the route did its work (an answer a killed client never hears is logged too), then delays apply. Bodies are
 * read whole: a form or JSON body is available to the route, raw bytes too.
 */
export async function serveStandin(controls: StandinControls, route: (req: StandinRequest) => Promise<Answer> | Answer, key: (pathname: string) => string = (p) => p) {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const rawBody = Buffer.concat(chunks);
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const method = req.method ?? "GET";
      const path = key(url.pathname);
      const form = /x-www-form-urlencoded/.test(req.headers["content-type"] ?? "") ? new URLSearchParams(rawBody.toString("utf8")) : new URLSearchParams();
      const fault = controls.faults.find((f) => f.times > 0 && f.match.test(`${method} ${path}`));
      if (fault) fault.times--;
      const out = fault ?? (await route({ method, path, url, headers: req.headers, rawBody, param: (k) => form.get(k) ?? url.searchParams.get(k) }));
      controls.log.push({ method, path: url.pathname, status: out.status }); // what the platform did, even if the answer never arrives
      const delay = controls.delays.find((d) => d.match.test(`${method} ${path}`));
      if (delay) await new Promise((r) => setTimeout(r, delay.ms));
      res.writeHead(out.status, { ...(out.body === null ? {} : { "content-type": "application/json" }), ...(out.headers ?? {}) });
      res.end(out.body === null ? undefined : JSON.stringify(out.body));
    })().catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
