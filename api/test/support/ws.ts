import { createClient, type Client } from "graphql-ws";
import { expect } from "vitest";
import WebSocket from "ws";
import { as } from "./domain.ts";

export const wsUrl = (port: number) => `ws://127.0.0.1:${port}/graphql`;

export interface Closed {
  code: number;
  reason: string;
}

/** A raw WebSocket on the `ws` package, to misbehave on purpose (garbage, wrong order, not reading, no pongs). */
export interface RawSocket {
  socket: WebSocket;
  /** Resolves with how the socket closed (1006 when terminated without a close frame). */
  closed: Promise<Closed>;
  /** Every message received so far, parsed (text that is not JSON is kept as text). */
  messages: any[];
  /** Sends a value as JSON; strings and buffers as they are. */
  send(message: unknown): void;
  /** Resolves with the next message received, or "closed". */
  next(): Promise<any>;
}

/**
 * Opens a raw WebSocket to the API (by default offering graphql-transport-ws) and waits for the handshake; rejects
 * when the handshake itself fails.
 */
export async function openRaw(port: number, protocols: string | string[] | null = GRAPHQL_TRANSPORT_WS, options: WebSocket.ClientOptions = {}): Promise<RawSocket> {
  const socket = protocols === null ? new WebSocket(wsUrl(port), options) : new WebSocket(wsUrl(port), protocols, options);
  const closed = new Promise<Closed>((r) => socket.once("close", (code, reason) => r({ code, reason: String(reason) })));
  const messages: any[] = [];
  const waiting: Array<(m: any) => void> = [];
  socket.on("message", (data) => {
    const text = String(data);
    let m: unknown = text;
    try {
      m = JSON.parse(text);
    } catch {}
    messages.push(m);
    waiting.shift()?.(m);
  });
  void closed.then(() => waiting.splice(0).forEach((w) => w("closed")));
  await new Promise((r, j) => (socket.once("open", r), socket.once("error", j)));
  return {
    socket,
    closed,
    messages,
    send: (m) => socket.send(typeof m === "string" || Buffer.isBuffer(m) ? m : JSON.stringify(m)),
    next: () => (socket.readyState === WebSocket.OPEN ? new Promise((r) => waiting.push(r)) : Promise.resolve("closed")),
  };
}

const GRAPHQL_TRANSPORT_WS = "graphql-transport-ws";

/**
 * A raw graphql-transport-ws client, initialized as the demo user with `role` in `tenant`: `acked` says whether the
 * server acknowledged (false when it closed instead). With `waitForAck: false` it returns right after sending the init.
 */
export async function initRaw(port: number, tenant: string, opts: { role?: Parameters<typeof as>[1]; options?: WebSocket.ClientOptions; waitForAck?: boolean } = {}) {
  const raw = await openRaw(port, GRAPHQL_TRANSPORT_WS, opts.options);
  const first = raw.next();
  raw.send({ type: "connection_init", payload: as(tenant, opts.role) });
  const acked = opts.waitForAck === false ? false : (await first)?.type === "connection_ack";
  let n = 0;
  return { ...raw, acked, subscribe: (query: string, id = String(++n)) => raw.send({ id, type: "subscribe", payload: { query } }) };
}

/** Opens a WebSocket with the given subprotocols (none when undefined) and resolves with how the server closed it. */
export function handshake(port: number, protocols: string[] | undefined): Promise<Closed & { protocol: string }> {
  return new Promise((resolve, reject) => {
    const socket = protocols ? new WebSocket(wsUrl(port), protocols) : new WebSocket(wsUrl(port));
    let protocol = "";
    socket.once("open", () => (protocol = socket.protocol));
    socket.once("error", reject);
    socket.once("close", (code, reason) => resolve({ code, reason: String(reason), protocol }));
  });
}

export interface LiveClient {
  client: Client;
  /** Resolves with the close event once the socket closes (e.g. 4403 when onConnect refuses it). */
  closed: Promise<Closed>;
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
