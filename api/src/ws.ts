import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import { getOperationAST, GraphQLError, type ExecutionArgs } from "graphql";
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, handleProtocols, makeServer } from "graphql-ws";
import type { YogaServerInstance } from "graphql-yoga";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry } from "prom-client";
import { WebSocketServer, type WebSocket } from "ws";
import { watchAccess } from "./auth/access-watch.ts";
import type { Context } from "./context.ts";
import type { DomainEvent, EntityType } from "./events/domain-event.ts";
import { sharedPayloadReplacer, spliceSharedPayload } from "./events/shared-json.ts";
import { sharedSubscribe, shareKeyOf } from "./events/shared-subscribe.ts";
import type { Env } from "./env.ts";
import { refuseCostly } from "./plugins/use-protection.ts";
import { documentFor } from "./plugins/use-trusted-documents.ts";
import { AppError, ErrorCode } from "./errors.ts";

/** The close codes and reasons a graphql-ws client of this server can see. */
export const LiveClose = {
  /**
   * connection_init presented credentials that were refused (bad signature, wrong algorithm, expired, revoked or
   * unknown key): 4401, as HTTP answers them 401. graphql-ws clients do not retry it.
   */
  unauthorized: CloseCode.Unauthorized,
  /**
   * connection_init came without credentials, or for no tenant the caller may act for (graphql-ws's 4403, which its
   * clients retry: a browser whose access cookie has just expired reconnects once its session is renewed), or they
   * expired on an open connection.
   */
  forbidden: CloseCode.Forbidden,
  tokenExpired: { code: CloseCode.Forbidden, reason: "token expired" },
  /** The socket's unsent data passed WS_MAX_BUFFERED_BYTES: the client does not read fast enough. */
  slowConsumer: { code: 1013, reason: "slow consumer: send buffer limit exceeded" },
  shutdown: { code: 1001, reason: "server shutting down" },
  /** The handshake asked for no subprotocol, or another one than graphql-ws's (e.g. the legacy `graphql-ws` of subscriptions-transport-ws). */
  subprotocol: { code: CloseCode.SubprotocolNotAcceptable, reason: `unsupported subprotocol: use ${GRAPHQL_TRANSPORT_WS_PROTOCOL}` },
  /** Something unexpected failed while handling this connection; the others are unaffected. */
  internal: { code: 1011, reason: "internal server error" },
  /** Past WS_MAX_CONNECTIONS_PER_IP or WS_MAX_CONNECTIONS_PER_PRINCIPAL open sockets on this replica (1008, policy violation). */
  tooManyFromAddress: { code: 1008, reason: "too many connections from this address" },
  tooManyForPrincipal: { code: 1008, reason: "too many connections for this user or API key" },
  /** The client sent more than WS_MAX_MESSAGES_PER_SECOND messages in a second. */
  messageRate: { code: 1008, reason: "message rate limit exceeded" },
  /** The user was disabled, removed or re-roled, the API key revoked, or the tenant's capabilities changed: reconnect to get the new rights. */
  accessChanged: { code: CloseCode.Forbidden, reason: "access changed" },
} as const;

/** The initial-context key under which a connection's Context reaches yoga's `context` factory (server.ts). */
export const CONNECTION_CONTEXT = "connectionContext";

/** What a graphql-ws connection carries: the socket, the upgrade request, and the Context built in onConnect. */
interface Extra {
  socket: WebSocket & { isAlive?: boolean };
  request: IncomingMessage;
  connectionId: string;
  context?: Context;
  /** Why onConnect refused the connection, when it is a limit rather than the credentials (graphql-ws would say 4403). */
  refusal?: { code: number; reason: string };
}

type Yoga = Pick<YogaServerInstance<Record<string, any>, Context>, "getEnveloped">;

export interface LiveDeps {
  env: Pick<
    Env,
    | "MAX_BODY_BYTES" | "WS_KEEPALIVE_MS" | "WS_MAX_BUFFERED_BYTES" | "QUERY_MAX_COST" | "GRAPHQL_TRUSTED_DOCUMENTS"
    | "WS_MAX_SUBSCRIPTIONS_PER_SOCKET" | "WS_MAX_CONNECTIONS_PER_IP" | "WS_MAX_CONNECTIONS_PER_PRINCIPAL" | "WS_MAX_MESSAGES_PER_SECOND"
  >;
  log: Logger;
  /** Where the live metrics are registered (the app's /metrics registry). */
  registry?: Registry;
  /** The client's address of an upgrade request, behind trusted proxies too (client-ip.ts). */
  clientIp: (req: IncomingMessage) => string | null;
  /** context.ts's `createContext`, as HTTP calls it (server.ts binds the process's services). */
  createContext: (input: { requestId: string; log: Logger; headers: Headers; ip: string | null }) => Promise<Context>;
}

export interface LiveServer {
  readonly wss: WebSocketServer;
  /** Closes every socket whose connection context matches (e.g. a disabled user's) with the given code and reason. */
  closeWhere(match: (ctx: Context) => boolean, code: number, reason: string): number;
  /** Asks every client to go away (1001), then, after `graceMs`, terminates what is left and stops listening. */
  close(graceMs?: number): Promise<void>;
}

/** setTimeout's limit; longer waits are re-armed. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * graphql-ws on `server`'s `/graphql` path, executing through `yoga` (its plugins, error masking and schema).
 * Guarantees, per connection:
 * - authentication once, in onConnect: the upgrade request's headers (cookies included) merged with the
 *   `connectionParams` (keys lower-cased) go through the same `createContext` as HTTP, once; refused credentials
 *   close the socket with 4401 Unauthorized, missing ones or a context without an acting tenant with 4403 Forbidden. Every operation
 *   reuses that context (a fresh object per operation, so per-operation caches never outlive an operation);
 * - the socket is closed with 4403 "token expired" when `authExpiresAt` passes;
 * - WebSocket pings every WS_KEEPALIVE_MS; a socket that has not answered the previous one is terminated;
 * - sends never wait on the network: a socket whose unsent bytes would pass WS_MAX_BUFFERED_BYTES is closed with
 *   1013 and its subscriptions end at once, so a slow client holds up no one and costs bounded memory.
 */
export function attachGraphqlWs(server: Server, yoga: Yoga, deps: LiveDeps): LiveServer {
  const { env, log } = deps;
  const { createContext } = deps;
  const metrics = liveMetrics(deps.registry);
  const wss = new WebSocketServer({ server, path: "/graphql", maxPayload: env.MAX_BODY_BYTES, handleProtocols: selectProtocol });
  const connections = new Map<WebSocket, { extra: Extra; end(code: number, reason: string): void }>();
  const perAddress = socketCounter(env.WS_MAX_CONNECTIONS_PER_IP);
  const perPrincipal = socketCounter(env.WS_MAX_CONNECTIONS_PER_PRINCIPAL);

  const gql = makeServer<Record<string, unknown> | undefined, Extra>({
    execute: (args) => (args.rootValue as { execute: (a: ExecutionArgs) => unknown }).execute(args) as never,
    subscribe: (args) => (args.rootValue as { subscribe: (a: ExecutionArgs) => unknown }).subscribe(args) as never,
    onConnect: async ({ extra, connectionParams }) => {
      const headers = headersOf(extra.request, connectionParams);
      const context = await createContext({
        requestId: extra.connectionId,
        log: log.child({ connectionId: extra.connectionId, ws: true }),
        headers,
        ip: deps.clientIp(extra.request),
      });
      // refused credentials: 4401 with their (undetailed) reason; missing ones, or no acting tenant: 4403
      if (context.authError?.code === ErrorCode.UNAUTHENTICATED || (context.authExpiresAt && context.authExpiresAt.getTime() <= Date.now())) {
        extra.refusal = { code: LiveClose.unauthorized, reason: context.authError?.message ?? "invalid or expired token" };
        return false;
      }
      if (context.authError || !context.principal || !context.tenant) return false;
      if (!perPrincipal.take(principalKey(context), extra.socket)) {
        metrics.refusedHandshakes.inc({ reason: "principal" });
        extra.refusal = LiveClose.tooManyForPrincipal;
        return false;
      }
      extra.context = context;
      if (context.authExpiresAt) expireAt(extra, context.authExpiresAt);
      // the rights it was opened with changed (auth/access-watch.ts): closed, and the client reconnects afresh
      const unwatch = watchAccess(context, () => connections.get(extra.socket)?.end(LiveClose.accessChanged.code, LiveClose.accessChanged.reason));
      extra.socket.once("close", unwatch);
      return true;
    },
    onSubscribe: async ({ extra, subscriptions }, id, params) => {
      // graphql-ws has already reserved this id: more than the cap means one too many
      if (Object.keys(subscriptions).length > env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET)
        return [new AppError(ErrorCode.RATE_LIMITED, `at most ${env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET} subscriptions per connection: complete one first`, { details: { maxSubscriptions: env.WS_MAX_SUBSCRIPTIONS_PER_SOCKET } })];
      // the document: its text, or the trusted document whose hash it sends (the same rule as HTTP's)
      const query = documentFor(params, env.GRAPHQL_TRUSTED_DOCUMENTS, extra.context!.principal?.kind === "api_key");
      if (typeof query !== "string") return [query];
      params = { ...params, query };
      const requestId = randomUUID();
      const enveloped = yoga.getEnveloped({
        request: new Request("http://localhost/graphql", { headers: headersOf(extra.request, {}) }),
        params,
        requestId,
        ip: deps.clientIp(extra.request),
        log: extra.context!.log.child({ requestId, operationId: id }),
        [CONNECTION_CONTEXT]: extra.context,
      });
      let document;
      try {
        document = enveloped.parse(params.query);
      } catch (err) {
        return [err instanceof GraphQLError ? err : new GraphQLError("could not parse the operation")];
      }
      const errors = enveloped.validate(enveloped.schema, document);
      if (errors.length) return errors;
      const contextValue = await enveloped.contextFactory();
      Object.assign(contextValue, { requestId, log: extra.context!.log.child({ requestId, operationId: id }) });
      // queries and mutations are costed (and rate-limited) by the enveloped execute; subscriptions run shared, so here
      if (getOperationAST(document, params.operationName)?.operation === "subscription") {
        const costly = refuseCostly({ schema: enveloped.schema, document, variableValues: params.variables, operationName: params.operationName, contextValue }, env);
        if (costly) return [costly];
      }
      return {
        schema: enveloped.schema,
        operationName: params.operationName,
        document,
        variableValues: params.variables,
        contextValue,
        rootValue: {
          execute: enveloped.execute,
          subscribe: (args: ExecutionArgs) => sharedSubscribe(args, shareKeyOf(extra.context!, params)),
        },
      };
    },
    // a subscriber's result is the one shared by its share key: serialized once for all of them (events/shared-json.ts)
    onNext: (_ctx, _id, _payload, _args, result) => result,
    jsonMessageReplacer: sharedPayloadReplacer,
    onOperation: () => void metrics.subscriptions.inc(),
    onComplete: () => void metrics.subscriptions.dec(),
  });

  function expireAt(extra: Extra, at: Date) {
    const wait = at.getTime() - Date.now();
    const timer = setTimeout(() => (wait > MAX_TIMER_MS ? expireAt(extra, at) : connections.get(extra.socket)?.end(LiveClose.tokenExpired.code, LiveClose.tokenExpired.reason)), Math.min(Math.max(wait, 0), MAX_TIMER_MS));
    timer.unref();
    extra.socket.once("close", () => clearTimeout(timer));
  }

  wss.on("connection", (socket: Extra["socket"], request) => {
    const extra: Extra = { socket, request, connectionId: randomUUID() };
    try {
      accept(socket, extra);
    } catch (err) {
      // whatever a client sent, a failure ends its connection only
      log.error({ err, connectionId: extra.connectionId }, "graphql-ws connection handling failed");
      if (socket.readyState === socket.OPEN) socket.close(LiveClose.internal.code, LiveClose.internal.reason);
      else socket.terminate();
    }
  });

  function accept(socket: Extra["socket"], extra: Extra) {
    metrics.connections.inc();
    socket.once("close", () => metrics.connections.dec());
    socket.once("error", (err) => {
      log.warn({ err, connectionId: extra.connectionId }, "websocket error");
      socket.terminate();
    });
    // refused before graphql-ws sees the socket: a clean close that names the protocol we speak
    if (socket.protocol !== GRAPHQL_TRANSPORT_WS_PROTOCOL) {
      metrics.refusedHandshakes.inc({ reason: "subprotocol" });
      return socket.close(LiveClose.subprotocol.code, LiveClose.subprotocol.reason);
    }
    if (!perAddress.take(deps.clientIp(extra.request) ?? "unknown", socket)) {
      metrics.refusedHandshakes.inc({ reason: "address" });
      return socket.close(LiveClose.tooManyFromAddress.code, LiveClose.tooManyFromAddress.reason);
    }
    const messageRate = { windowStart: 0, count: 0 };
    socket.isAlive = true;
    socket.on("pong", () => (socket.isAlive = true));
    // graphql-ws's view of the socket ends once: when we close it, or when it closes. `closed` is assigned by
    // gql.opened below, which may itself close the socket before returning: that close is kept and replayed.
    let closed: ((code: number, reason: string) => Promise<void>) | undefined;
    let closedOnce: Promise<void> | null = null;
    let pendingClose: [number, string] | null = null;
    const closeGraphql = (code: number, reason: string) => {
      if (!closed) return void (pendingClose ??= [code, reason]);
      closedOnce ??= closed(code, reason).catch((err) => log.warn({ err, connectionId: extra.connectionId }, "graphql-ws close handling failed"));
    };
    const end = (code: number, reason: string) => {
      if (socket.readyState === socket.OPEN) socket.close(code, reason);
      closeGraphql(code, reason);
    };
    connections.set(socket, { extra, end });
    socket.once("close", (code, reason) => {
      connections.delete(socket);
      closeGraphql(code, String(reason));
    });
    closed = gql.opened(
      {
        protocol: socket.protocol,
        send(message) {
          const data = spliceSharedPayload(message);
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount + Buffer.byteLength(data) > env.WS_MAX_BUFFERED_BYTES) {
            metrics.slowConsumers.inc();
            log.warn({ connectionId: extra.connectionId, bufferedAmount: socket.bufferedAmount }, "closing a slow consumer");
            return end(LiveClose.slowConsumer.code, LiveClose.slowConsumer.reason);
          }
          socket.send(data);
        },
        close: (code, reason) => (extra.refusal ? end(extra.refusal.code, extra.refusal.reason) : end(code ?? 1000, reason ?? "")),
        onMessage: (cb) =>
          socket.on("message", async (data) => {
            if (socket.readyState !== socket.OPEN || closedOnce) return;
            const now = Date.now();
            if (now - messageRate.windowStart >= 1_000) Object.assign(messageRate, { windowStart: now, count: 0 });
            if (++messageRate.count > env.WS_MAX_MESSAGES_PER_SECOND) {
              metrics.refusedMessages.inc();
              return end(LiveClose.messageRate.code, LiveClose.messageRate.reason);
            }
            try {
              await cb(String(data));
            } catch (err) {
              log.error({ err, connectionId: extra.connectionId }, "graphql-ws message handling failed");
              end(LiveClose.internal.code, LiveClose.internal.reason);
            }
          }),
      },
      extra,
    );
    const early = pendingClose as [number, string] | null; // set by a close during gql.opened
    if (early) closeGraphql(early[0], early[1]);
  }

  // one sweep for all sockets: ping the live ones, terminate those that missed the previous ping
  const heartbeat = setInterval(() => {
    for (const socket of wss.clients as Set<Extra["socket"]>) {
      if (socket.isAlive === false) {
        metrics.deadSockets.inc();
        socket.terminate();
        continue;
      }
      socket.isAlive = false;
      socket.ping();
    }
  }, env.WS_KEEPALIVE_MS);
  heartbeat.unref();

  return {
    wss,
    closeWhere(match, code, reason) {
      let n = 0;
      for (const { extra, end } of [...connections.values()])
        if (extra.context && match(extra.context)) {
          end(code, reason);
          n++;
        }
      return n;
    },
    async close(graceMs = 0) {
      clearInterval(heartbeat);
      for (const { end } of [...connections.values()]) end(LiveClose.shutdown.code, LiveClose.shutdown.reason);
      if (graceMs > 0 && wss.clients.size) await new Promise((r) => setTimeout(r, Math.min(graceMs, 1_000)));
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

/**
 * graphql-transport-ws when the client offers it; otherwise the client's first offer, so that the handshake completes
 * (a browser or `ws` client fails a handshake whose answer names none of its protocols, and would never see why) and
 * the connection handler can close it with 4406 and a reason naming the protocol this server speaks.
 */
function selectProtocol(protocols: Set<string>): string | false {
  return handleProtocols(protocols) || (protocols.values().next().value ?? false);
}

/**
 * Open sockets per key (a client address, a principal) on this replica: `take` counts the socket in, or refuses it
 * when the key already has `max`; the socket is counted out when it closes.
 */
function socketCounter(max: number) {
  const open = new Map<string, number>();
  return {
    take(key: string, socket: WebSocket): boolean {
      const n = open.get(key) ?? 0;
      if (n >= max) return false;
      open.set(key, n + 1);
      socket.once("close", () => {
        const left = (open.get(key) ?? 1) - 1;
        if (left > 0) open.set(key, left);
        else open.delete(key);
      });
      return true;
    },
  };
}

const principalKey = (ctx: Context) =>
  ctx.principal?.kind === "user" ? `user:${ctx.principal.userId}` : ctx.principal?.kind === "api_key" ? `key:${ctx.principal.apiKeyId}` : `other:${ctx.requestId}`;

/** The upgrade request's headers, overridden by the connectionParams' string values (names lower-cased). */
function headersOf(request: IncomingMessage, params: Record<string, unknown> | undefined): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(request.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  for (const [k, v] of Object.entries(params ?? {})) if (typeof v === "string" && /^[A-Za-z0-9-]{1,100}$/.test(k)) headers.set(k.toLowerCase(), v);
  return headers;
}

function liveMetrics(registry?: Registry) {
  const registers = registry ? [registry] : [];
  return {
    connections: new Gauge({ name: "graphql_ws_connections", help: "Open graphql-ws connections", registers }),
    subscriptions: new Gauge({ name: "graphql_ws_operations", help: "graphql-ws operations (subscriptions) running", registers }),
    slowConsumers: new Counter({ name: "graphql_ws_slow_consumer_closes_total", help: "Sockets closed because their send buffer passed WS_MAX_BUFFERED_BYTES", registers }),
    deadSockets: new Counter({ name: "graphql_ws_dead_sockets_total", help: "Sockets terminated for not answering a ping", registers }),
    refusedMessages: new Counter({ name: "graphql_ws_message_rate_closes_total", help: "Sockets closed for sending more than WS_MAX_MESSAGES_PER_SECOND", registers }),
    refusedHandshakes: new Counter({ name: "graphql_ws_refused_handshakes_total", help: "WebSocket connections closed at the handshake", labelNames: ["reason"] as const, registers }),
  };
}
