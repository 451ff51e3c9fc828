import type { Plugin } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, seedDemo } from "./support/domain.ts";

/** Holds an operation for 500 ms when the request says `x-hold: 1`, so it is in flight when the server stops. */
const hold: Plugin<Record<string, unknown>> = {
  onExecute: async ({ args }) => {
    if ((args.contextValue as { request: Request }).request.headers.get("x-hold") === "1") await new Promise((r) => setTimeout(r, 500));
  },
};

describe("graceful shutdown", () => {
  let t: TestApp;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp({}, { plugins: [hold] });
    await seedDemo(t).then((p) => p.$disconnect());
    ({ url } = await t.app.start());
  });
  afterAll(async () => {
    await t?.close();
  });

  it("finishes a request in flight, with its answer, while refusing new connections", async () => {
    const inFlight = fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-hold": "1", ...as("all_county") }, body: JSON.stringify({ query: "{ viewer { email } }" }) });
    await new Promise((r) => setTimeout(r, 150)); // the request is being executed
    const stopping = t.app.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect((await res.json()).data.viewer.email).toMatch(/@/);
    await stopping;
    await expect(fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __typename }" }) })).rejects.toThrow();
  });
});
