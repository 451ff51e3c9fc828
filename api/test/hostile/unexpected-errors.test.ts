import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Plugin } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Context } from "../../src/context.ts";
import { clientIpResolver } from "../../src/client-ip.ts";
import type { Prisma } from "../../src/db/client.ts";
import { createLogger } from "../../src/logger.ts";
import { attachGraphqlWs, type LiveServer } from "../../src/ws.ts";
import { startTestApp, type TestApp } from "../support/app.ts";
import { as, seedDemo } from "../support/domain.ts";
import { connect, initRaw, subscribe } from "../support/ws.ts";

/** Throws a plain (unexpected, non-GraphQL) error at `stage` when the request names it in `x-fault`. */
const faultAt = (stage: "request" | "execute" | "response"): Plugin<Record<string, unknown>> => {
  const boom = (h: Headers) => {
    if (h.get("x-fault") === stage) throw new TypeError(`injected fault at ${stage}`);
  };
  return {
    onRequest: ({ request }) => (stage === "request" ? boom(request.headers) : undefined),
    onExecute: ({ args }) => (stage === "execute" ? boom((args.contextValue as { request: Request }).request.headers) : undefined),
    onResponse: ({ request }) => (stage === "response" ? boom(request.headers) : undefined),
  };
};

/** Holds the operation for 400 ms when the request says `x-fault: slow` (a client can give up meanwhile). */
const slowExecute: Plugin<Record<string, unknown>> = {
  onExecute: async ({ args }) => {
    if ((args.contextValue as { request: Request }).request.headers.get("x-fault") === "slow") await new Promise((r) => setTimeout(r, 400));
  },
};

describe("no client can kill the process: an unexpected error ends its own request or connection only", () => {
  let t: TestApp;
  let prisma: Prisma;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({}, { plugins: [faultAt("request"), faultAt("execute"), faultAt("response"), slowExecute] });
    prisma = await seedDemo(t);
    ({ url } = await t.app.start());
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await t?.close();
  });

  const post = (fault?: string, signal?: AbortSignal) =>
    fetch(url, { method: "POST", signal, headers: { "content-type": "application/json", ...as("all_county"), ...(fault ? { "x-fault": fault } : {}) }, body: JSON.stringify({ query: "{ viewer { email } }" }) });

  it.each(["request", "execute", "response"])("HTTP: a failure at %s is a 500 (or a masked error) for that request, and the next one is served", async (stage) => {
    const failed = await post(stage);
    const body = await failed.json();
    expect(failed.status === 500 || body.errors?.[0]?.message === "Unexpected error.").toBe(true);
    expect(JSON.stringify(body)).not.toMatch(/injected fault/); // internal details never reach the client
    const served = await post();
    expect(served.status).toBe(200);
    expect((await served.json()).data.viewer.email).toMatch(/@/);
  });

  it("counts a client that closes its connection before the answer as 499 (nginx's 'client closed request'), not as a server fault", async () => {
    const count = async (status: string) => {
      const text = await (await fetch(url.replace(/\/graphql$/, "/metrics"))).text();
      const line = text.split("\n").find((l) => l.startsWith("http_request_duration_seconds_count") && l.includes('route="graphql"') && l.includes(`status="${status}"`));
      return Number(line?.split(" ").pop() ?? 0);
    };
    const [closed, failed] = [await count("499"), await count("500")];
    const gaveUp = new AbortController();
    const request = post("slow", gaveUp.signal);
    setTimeout(() => gaveUp.abort(), 100);
    await expect(request).rejects.toThrow();
    await expect.poll(() => count("499"), { timeout: 5_000 }).toBe(closed + 1);
    expect(await count("500")).toBe(failed);
    expect((await (await post()).json()).data.viewer.email).toMatch(/@/);
  });
});

describe("no client can kill the process: WebSocket handlers", () => {
  let t: TestApp;
  let server: Server;
  let live: LiveServer;
  let port: number;
  beforeAll(async () => {
    t = await startTestApp();
    await seedDemo(t).then((p) => p.$disconnect());
    const yoga = t.app.yoga;
    server = createServer();
    live = attachGraphqlWs(
      server,
      {
        // a failure while an operation is being set up (parse, validate, context): onSubscribe throws
        getEnveloped: ((init: { request: Request }) => {
          if (init.request.headers.get("x-fault") === "subscribe") throw new TypeError("injected fault at subscribe");
          return yoga.getEnveloped(init as never);
        }) as unknown as typeof yoga.getEnveloped,
      },
      {
        env: t.env,
        log: createLogger("silent"),
        clientIp: clientIpResolver(t.env.TRUST_PROXY),
        // a failure while authenticating the connection: onConnect throws
        createContext: async (input) => {
          if (input.headers.get("x-fault") === "connect") throw new TypeError("injected fault at connect");
          return (await yoga.getEnveloped({ request: new Request("http://localhost/graphql", { headers: input.headers }), ...input, params: {} }).contextFactory()) as Context;
        },
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await live?.close();
    await new Promise((r) => server?.close(r));
    await t?.close();
  });

  async function faulty(stage: string) {
    const raw = await initRaw(port, "all_county", { options: { headers: { "x-fault": stage } } });
    if (raw.acked) raw.subscribe("subscription { jobChanged { type } }");
    return raw.closed;
  }

  it.each(["connect", "subscribe"])("a failure in %s closes that socket with 1011, and another client subscribes as usual", async (stage) => {
    const good = connect(port, "all_county");
    try {
      expect(await faulty(stage)).toEqual({ code: 1011, reason: "internal server error" });
      const sub = subscribe(good, "subscription { jobChanged { type } }");
      await new Promise((r) => setTimeout(r, 300));
      expect(sub.errors).toEqual([]);
      expect(sub.completed).toBe(false);
    } finally {
      await good.dispose();
    }
  });
});
