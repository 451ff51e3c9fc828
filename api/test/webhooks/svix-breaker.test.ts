import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { BrokenCircuitError } from "cockatiel";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SvixDeliverer } from "../../src/webhooks/svix-deliverer.ts";
import { startSvixStandin, type SvixStandin } from "../support/svix-standin.ts";
import { messageFor } from "./helpers.ts";

const policy = { allowHttp: true, allowLoopback: true };

describe("the circuit breaker around the Svix client", () => {
  let standin: SvixStandin;
  let outage: ReturnType<typeof createServer>;
  let outageUrl: string;
  let outageCalls = 0;

  beforeAll(async () => {
    standin = await startSvixStandin();
    // a Svix that is down: every call answers 503
    outage = createServer((_req, res) => {
      outageCalls++;
      res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ code: "unavailable", detail: "down" }));
    });
    await new Promise<void>((resolve) => outage.listen(0, "127.0.0.1", resolve));
    outageUrl = `http://127.0.0.1:${(outage.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await standin?.close();
    await new Promise((resolve) => outage?.close(resolve));
  });

  it("opens after consecutive outages, then fails at once without calling Svix, and shows its state", async () => {
    const states: string[] = [];
    const svix = new SvixDeliverer({ apiKey: standin.token, serverUrl: outageUrl, urlPolicy: policy, breakerThreshold: 2, breakerOpenMs: 60_000, onCircuitChange: (s) => states.push(String(s)) });
    expect(svix.circuitState()).toBe(0); // CircuitState.Closed
    for (let i = 0; i < 2; i++) await expect(svix.send(messageFor())).rejects.not.toBeInstanceOf(BrokenCircuitError);
    const callsWhenOpened = outageCalls;
    await expect(svix.send(messageFor())).rejects.toBeInstanceOf(BrokenCircuitError);
    expect(outageCalls).toBe(callsWhenOpened);
    expect(svix.circuitState()).toBe(1); // CircuitState.Open
    expect(states).toEqual(["1"]);
  });

  it("does not count Svix's 4xx answers (conflict, not found) as outages", async () => {
    const svix = new SvixDeliverer({ apiKey: standin.token, serverUrl: standin.url, urlPolicy: policy, breakerThreshold: 1, breakerOpenMs: 60_000 });
    const message = messageFor();
    await svix.send(message);
    await svix.send(message); // 409 from Svix, answered by fetching the existing message
    await svix.deleteEndpoint("tenant-a", "no-such-endpoint"); // 404
    expect(svix.circuitState()).toBe(0);
    await expect(svix.send(messageFor())).resolves.toMatchObject({ via: "svix" });
  });
});
