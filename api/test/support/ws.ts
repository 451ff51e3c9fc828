import { createClient, type Client } from "graphql-ws";
import { expect } from "vitest";
import WebSocket from "ws";
import { as } from "./domain.ts";

export const wsUrl = (port: number) => `ws://127.0.0.1:${port}/graphql`;

export interface LiveClient {
  client: Client;
  /** Resolves with the close event once the socket closes (e.g. 4403 when onConnect refuses it). */
  closed: Promise<{ code: number; reason: string }>;
  dispose(): Promise<void>;
}

/** A real graphql-ws client (the `ws` package underneath), authenticated as `tenant` through connectionParams. */
export function connect(port: number, tenant: string | null, params?: Record<string, unknown>): LiveClient {
  let onClosed!: (e: { code: number; reason: string }) => void;
  const closed = new Promise<{ code: number; reason: string }>((r) => (onClosed = r));
  const client = createClient({
    url: wsUrl(port),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: async () => ({ ...(tenant ? await as(tenant) : {}), ...params }),
    on: { closed: (e) => onClosed({ code: (e as CloseEvent).code, reason: String((e as CloseEvent).reason) }) },
    onNonLazyError: () => undefined,
  });
  return { client, closed, dispose: () => Promise.resolve(client.dispose()) };
}

export interface Subscription<T = any> {
  /** The `data` of every `next`, in order. */
  events: T[];
  errors: unknown[];
  completed: boolean;
  stop(): void;
}

/** Subscribes and records what arrives. */
export function subscribe<T = any>(live: LiveClient, query: string, variables?: Record<string, unknown>): Subscription<T> {
  const sub: Subscription<T> = { events: [], errors: [], completed: false, stop: () => undefined };
  sub.stop = live.client.subscribe<T>(
    { query, variables },
    {
      next: (r) => (r.errors ? sub.errors.push(...r.errors) : sub.events.push(r.data as T)),
      error: (e) => sub.errors.push(e),
      complete: () => (sub.completed = true),
    },
  );
  return sub;
}

/** A server's gauge or counter from /metrics (0 when absent). */
export async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : 0;
}

/**
 * Waits until the server runs at least `n` graphql-ws operations: each one has subscribed to the pubsub by then
 * (in-process topics; Redis channels take one more round trip, see the replica test).
 */
export async function waitForOperations(port: number, n: number) {
  await expect.poll(() => metric(port, "graphql_ws_operations"), { timeout: 10_000, interval: 25 }).toBeGreaterThanOrEqual(n);
}

/** Waits until `sub` has `n` events (or fails the test with what it has). */
export async function waitForEvents(sub: Subscription, n: number, timeout = 10_000) {
  await expect.poll(() => (sub.errors.length ? sub.errors : sub.events.length), { timeout, interval: 10 }).toBe(n);
}
