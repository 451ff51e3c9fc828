// The soak's clients: readers, writers, subscribers that come and go, and a few hostile clients, each an async loop
// against the API until `stop`. What they see is tallied; anything a well-behaved server must never answer (a 5xx,
// INTERNAL_SERVER_ERROR, a 1011 close, a hostile case answered otherwise than its defined refusal) is "unexpected".
import { connect as tcpConnect } from "node:net";
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { CREATE_JOB } from "../../test/support/domain.ts";

export interface Tally {
  /** Requests by client kind and outcome ("reads 200", "hostile bad-json 400", ...). */
  outcomes: Map<string, number>;
  /** What must not happen, with a description of each (the first 50 kept). */
  unexpected: string[];
  unexpectedCount: number;
  requests: number;
  subscriptionsOpened: number;
  subscriptionEvents: number;
  jobsWritten: number;
  /** WebSocket close codes seen by the normal subscribers. */
  closes: Map<number, number>;
}

export const newTally = (): Tally => ({ outcomes: new Map(), unexpected: [], unexpectedCount: 0, requests: 0, subscriptionsOpened: 0, subscriptionEvents: 0, jobsWritten: 0, closes: new Map() });

const bump = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

export interface Target {
  url: string;
  port: number;
  /** Current bearer headers per actor (renewed by the soak before they expire). */
  auth: { jobs: Record<string, string>; calls: Record<string, string> };
  builderId: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;

export class Traffic {
  readonly tally = newTally();
  private stopped = false;
  private loops: Promise<void>[] = [];
  constructor(private readonly t: Target) {}

  private unexpected(what: string) {
    this.tally.unexpectedCount++;
    if (this.tally.unexpected.length < 50) this.tally.unexpected.push(`${new Date().toISOString()} ${what}`);
  }

  /** POSTs an operation; tallies `kind status`; a 5xx or an INTERNAL_SERVER_ERROR is unexpected. */
  private async gql(kind: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>) {
    this.tally.requests++;
    try {
      const res = await fetch(this.t.url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> };
      const code = body.errors?.[0]?.extensions?.code;
      bump(this.tally.outcomes, `${kind} ${res.status}${code ? ` ${code}` : ""}`);
      if (res.status >= 500 || code === "INTERNAL_SERVER_ERROR") this.unexpected(`${kind}: ${res.status} ${JSON.stringify(body.errors)}`);
      return body;
    } catch (err) {
      bump(this.tally.outcomes, `${kind} network-error`);
      if (!this.stopped) this.unexpected(`${kind}: ${(err as Error).message}`);
      return {};
    }
  }

  start(counts: { readers: number; writers: number; subscribers: number; hostile: number }) {
    const run = (n: number, loop: () => Promise<void>) => {
      for (let i = 0; i < n; i++) this.loops.push(this.forever(loop));
    };
    run(counts.readers, () => this.read());
    run(counts.writers, () => this.write());
    run(counts.subscribers, () => this.subscribeAWhile());
    run(counts.hostile, () => this.hostile());
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async forever(step: () => Promise<void>) {
    while (!this.stopped) {
      try {
        await step();
      } catch (err) {
        this.unexpected(`client loop failed: ${(err as Error).message}`);
        await sleep(500);
      }
    }
  }

  private async read() {
    if (Math.random() < 0.7)
      await this.gql("reads", `{ jobs(first: 20) { totalCount edges { node { id status community builder { name } } } } }`, {}, this.t.auth.jobs);
    else await this.gql("reads", `{ serviceCalls(first: 10) { edges { node { id status priority } } } viewer { email } }`, {}, this.t.auth.calls);
    await sleep(40);
  }

  private async write() {
    const created = await this.gql(
      "writes",
      CREATE_JOB,
      { input: { builderId: this.t.builderId, community: `Soak ${Date.now()}`, scheduledDate: "2026-09-01" } },
      this.t.auth.jobs,
    );
    const job = created.data?.createJob?.job as { id: string; version: number } | undefined;
    if (job) {
      this.tally.jobsWritten++;
      await sleep(200);
      await this.gql("writes", `mutation($input: ChangeJobStatusInput!) { changeJobStatus(input: $input) { job { status } } }`, { input: { id: job.id, expectedVersion: job.version, status: "ON_HOLD" } }, this.t.auth.jobs);
      this.tally.jobsWritten++;
    }
    await sleep(800);
  }

  /** A real graphql-ws client that subscribes, stays 2-12 s, and leaves. */
  private async subscribeAWhile() {
    const auth = this.t.auth.jobs;
    let onClosed!: (code: number) => void;
    const closed = new Promise<number>((r) => (onClosed = r));
    const client = createClient({
      url: this.t.url.replace(/^http/, "ws"),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: auth,
      on: { closed: (e) => onClosed((e as CloseEvent).code) },
      onNonLazyError: () => undefined,
    });
    this.tally.subscriptionsOpened++;
    const stop = client.subscribe(
      { query: `subscription { jobChanged { type job { id status } } }` },
      {
        next: (r) => (r.errors ? this.unexpected(`subscription error: ${JSON.stringify(r.errors)}`) : this.tally.subscriptionEvents++),
        error: (e) => this.unexpected(`subscription failed: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
        complete: () => undefined,
      },
    );
    await sleep(2_000 + Math.random() * 10_000);
    stop();
    await client.dispose();
    const code = await Promise.race([closed, sleep(5_000).then(() => 0)]);
    bump(this.tally.closes, code);
    if (code !== 1000) this.unexpected(`a subscriber's socket closed with ${code || "nothing within 5 s"}`);
  }

  /** One hostile case every 250 ms, each checked against its defined refusal. */
  private async hostile() {
    const [name, play, expected] = pick(hostileCases);
    this.tally.requests++;
    let got: string;
    try {
      got = String(await play(this.t));
    } catch (err) {
      got = `threw ${(err as Error).message}`;
    }
    bump(this.tally.outcomes, `hostile ${name} ${got}`);
    if (got !== String(expected)) this.unexpected(`hostile ${name}: got ${got}, expected ${expected}`);
    await sleep(250);
  }
}

const post = async (t: Target, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  (await fetch(t.url, { method: "POST", headers, body })).status;

/** The first error code of an operation sent as the jobs user. */
async function codeOf(t: Target, query: string): Promise<string> {
  const res = await fetch(t.url, { method: "POST", headers: { "content-type": "application/json", ...t.auth.jobs }, body: JSON.stringify({ query }) });
  return ((await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code ?? `${res.status} without error`;
}

/** Opens a raw WebSocket, sends `frames` after the handshake, resolves with the close code. */
function rawSocket(t: Target, protocols: string[] | undefined, frames: Array<string | Buffer>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(t.url.replace(/^http/, "ws"), protocols);
    socket.once("open", () => frames.forEach((f) => socket.send(f)));
    socket.once("error", reject);
    socket.once("close", (code) => resolve(code));
  });
}

/** Sends request headers one line at a time, forever: resolves with the status line the server answered (408). */
function slowloris(t: Target): Promise<string> {
  return new Promise((resolve) => {
    let answer = "";
    const socket = tcpConnect(t.port, "127.0.0.1", () => socket.write("POST /graphql HTTP/1.1\r\nHost: x\r\n"));
    const timer = setInterval(() => socket.writable && socket.write("X-Slow: 1\r\n"), 500);
    socket.on("data", (d) => (answer += d));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve(answer.split("\r\n")[0] ?? "");
    });
  });
}

const hostileCases: ReadonlyArray<readonly [string, (t: Target) => Promise<unknown>, unknown]> = [
  ["bad-json", (t) => post(t, "{bad"), 400],
  ["batch", (t) => post(t, JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }])), 400],
  ["xml", (t) => post(t, "<q/>", { "content-type": "application/xml" }), 415],
  ["oversized", (t) => post(t, JSON.stringify({ query: "{ __typename }", pad: "x".repeat(1_100_000) })), 413],
  ["forged-token", (t) => post(t, JSON.stringify({ query: "{ serverInfo { version } }" }), { "content-type": "application/json", authorization: "Bearer a.b.c" }), 401],
  ["header-flood", (t) => post(t, "{}", { "content-type": "application/json", "x-flood": "x".repeat(20_000) }), 431],
  ["deep-document", (t) => codeOf(t, `{ ${"jobs(first: 1) { edges { node { builder { ".repeat(4)}name${" } } } }".repeat(4)} }`), "QUERY_TOO_COMPLEX"],
  ["ws-no-subprotocol", (t) => rawSocket(t, undefined, []), 4406],
  ["ws-legacy-subprotocol", (t) => rawSocket(t, ["graphql-ws"], []), 4406],
  ["ws-garbage", (t) => rawSocket(t, ["graphql-transport-ws"], [Buffer.from([0, 1, 2, 255])]), 4400],
  ["ws-subscribe-before-init", (t) => rawSocket(t, ["graphql-transport-ws"], [JSON.stringify({ id: "1", type: "subscribe", payload: { query: "subscription { jobChanged { type } }" } })]), 4401],
  ["ws-forged-init", (t) => rawSocket(t, ["graphql-transport-ws"], [JSON.stringify({ type: "connection_init", payload: { authorization: "Bearer a.b.c" } })]), 4401],
  ["slowloris", (t) => slowloris(t), "HTTP/1.1 408 Request Timeout"],
];
