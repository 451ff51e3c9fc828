import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { sendNodeResponse } from "@whatwg-node/server";
import { useCookies } from "@whatwg-node/server-plugin-cookies";
import { blockFieldSuggestionsPlugin } from "@escape.tech/graphql-armor-block-field-suggestions";
import { GraphQLError } from "graphql";
import { execute, subscribe } from "graphql";
import { useEngine } from "@envelop/core";
import { createYoga, useReadinessCheck, type Plugin, type YogaInitialContext } from "graphql-yoga";
import { cookieJar } from "./auth/cookie-jar.ts";
import { registerBacklogMetrics } from "./backlog-metrics.ts";
import { clientIpResolver } from "./client-ip.ts";
import { LoginLimiter } from "./auth/login-limiter.ts";
import { RequestLimiter } from "./auth/request-limiter.ts";
import { createContext, type Context, type Services } from "./context.ts";
import { connectDb, disconnectDb, prisma } from "./db/client.ts";
import { configurePipeline } from "./events/hooks.ts";
import type { TransactionalHook } from "./events/pipeline.ts";
import { connectPubSub } from "./events/pubsub.ts";
import { startPrincipalCache } from "./auth/principal-invalidation.ts";
import { migrationNames, pendingMigrations } from "./db/migrate.ts";
import type { Env } from "./env.ts";
import { ErrorCode, maskError } from "./errors.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics } from "./metrics.ts";
import { corsFor, useCrossSiteGuard } from "./plugins/use-cross-site-guard.ts";
import { useIntrospectionPolicy } from "./plugins/use-introspection-policy.ts";
import { useMetricsEndpoint } from "./plugins/use-metrics-endpoint.ts";
import { useNoEventStream } from "./plugins/use-no-event-stream.ts";
import { useProtection } from "./plugins/use-protection.ts";
import { useQueryLimits } from "./plugins/use-query-limits.ts";
import { useRefuseBadCredentials } from "./plugins/use-refuse-bad-credentials.ts";
import { useRejectEmptyQuery } from "./plugins/use-reject-empty-query.ts";
import { useTrustedDocuments } from "./plugins/use-trusted-documents.ts";
import { schema } from "./schema/index.ts";
import { integrationRoute } from "./marketing/routes.ts";
import { CATALOG_PATH, serveCatalog } from "./webhooks/asyncapi.ts";
import { EXPORTS_PREFIX, exportRoute } from "./exports/route.ts";
import { attachGraphqlWs, CONNECTION_CONTEXT } from "./ws.ts";

interface ServerContext {
  requestId: string;
  ip: string | null;
  log: Logger;
  /** A graphql-ws operation: its connection's context, built once in onConnect (ws.ts). */
  [CONNECTION_CONTEXT]?: Context;
}

export interface App {
  /** Listens on API_HOST:API_PORT (0 picks a free port); resolves with the bound URL. */
  start(): Promise<{ url: string; port: number }>;
  /** Graceful shutdown: stop accepting, finish in-flight requests, close sockets, then the pool. */
  stop(): Promise<void>;
  /** GraphQL over fetch with no port, for tests. */
  yoga: ReturnType<typeof createYoga<ServerContext, Context>>;
  log: Logger;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;

export interface BuildOptions {
  databaseUrl: string;
  log?: Logger;
  /** Yoga plugins appended to the app's own: a seam for tests that drive a handler into an unexpected failure. */
  plugins?: Plugin<Record<string, unknown>>[];
  /** The operation-span plugin (telemetry/tracing.ts), put before the app's own so their work is inside its span. */
  tracing?: Plugin<Record<string, unknown>>;
  /** The hooks every change runs, instead of events/hooks.ts `pipelineHooks`: tests that add or leave out one. */
  hooks?: readonly TransactionalHook[];
}

export function buildApp(env: Env, options: BuildOptions): App {
  const log = options.log ?? createLogger(env.LOG_LEVEL);
  const metrics = createMetrics();
  connectDb(options.databaseUrl, env);
  registerBacklogMetrics(metrics.registry, () => prisma, log);
  configurePipeline(env);
  const expectedMigrations = migrationNames();
  const events = connectPubSub(env, log, options.databaseUrl);
  const principals = startPrincipalCache(env, log, { publisher: events.redis, registry: metrics.registry });
  // counters in Redis when there is one, so every replica shares the budgets
  const redis = events.redis ?? undefined;
  const services: Services = { env, loginLimiter: new LoginLimiter({ redis }), hooks: options.hooks };
  const requestLimiter = new RequestLimiter({ redis, keyPrefix: env.REDIS_KEY_PREFIX });
  const clientIp = clientIpResolver(env.TRUST_PROXY);

  const inFlight = new Set<Promise<void>>();
  let closing = false;

  /**
   * Ready when the database answers and is fully migrated. Redis is reported but does not decide: without it the
   * API degrades (live events stay on this replica, rate limits count in memory) rather than stopping.
   */
  async function readiness(): Promise<{ ok: boolean; detail: string; redis?: "ok" | "unreachable" }> {
    if (closing) return { ok: false, detail: "shutting down" };
    const redisState = redis ? withTimeout(redis.ping(), 1_000).then(() => "ok" as const, () => "unreachable" as const) : undefined;
    const database = await databaseReadiness();
    return redisState ? { ...database, redis: await redisState } : database;
  }

  async function databaseReadiness(): Promise<{ ok: boolean; detail: string }> {
    try {
      const pending = await withTimeout(pendingMigrations(prisma, expectedMigrations), 2_000);
      return pending.length ? { ok: false, detail: `pending migrations: ${pending.join(", ")}` } : { ok: true, detail: "ready" };
    } catch (err) {
      return { ok: false, detail: `database unreachable: ${(err as Error).message.split("\n")[0]}` };
    }
  }

  const yoga = createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: "/graphql",
    // liveness (200, empty), readiness and metrics are answered by yoga's plugins before any GraphQL work
    healthCheckEndpoint: "/healthz",
    landingPage: false,
    // MAX_BODY_BYTES is enforced before yoga (forwardToYoga reads the body with it): yoga's own limit would pipe every
    // body through one more stream per request
    maxRequestBodySize: false,
    logging: log.child({ component: "yoga" }),
    // GraphiQL's bundle (about 30 MB of heap as source and strings) is loaded when a browser first asks for it
    renderGraphiQL: async (options) => (await import("@graphql-yoga/render-graphiql")).renderGraphiQL(options),
    graphiql: {
      title: "H2O-ACP GraphQL",
      subscriptionsProtocol: "WS",
      defaultQuery: "# H2O-ACP: explore the schema in the docs panel.\n{\n  serverInfo {\n    version\n    time\n  }\n}\n",
    },
    cors: corsFor(env.CORS_ORIGINS),
    context: ({ request, requestId, ip, log: requestLog, [CONNECTION_CONTEXT]: connectionContext }: YogaInitialContext & Partial<ServerContext>) => {
      if (connectionContext) return connectionContext;
      const id = requestId ?? randomUUID(); // yoga.fetch without a server context (tests)
      return createContext({
        requestId: id,
        log: requestLog ?? log.child({ requestId: id }),
        headers: request.headers,
        ip: ip ?? null,
        services,
        cookies: cookieJar(request, env.isProduction),
      });
    },
    maskedErrors: {
      maskError: (error, message, isDev) =>
        maskError(error, { message, exposeDetails: isDev && !env.isProduction, onUnexpected: (err) => log.error({ err }, "unexpected error") }),
      isDev: env.NODE_ENV === "development",
    },
    plugins: [
      // graphql-js's executor instead of yoga's default (@graphql-tools/executor, whose @defer/@stream and abort support
      // this schema does not use): it allocates about a third less per field (a promise helper per field less), and the
      // jobs board costs ~10 % less CPU per request (npm run bench -- http). First: it sets the execute function that
      // the plugins after it wrap (the operation span's)
      useEngine({ execute, subscribe }),
      onPathOnly(
        READINESS_PATH,
        useReadinessCheck({
          endpoint: READINESS_PATH,
          check: async ({ fetchAPI }) => {
            const { ok, ...details } = await readiness();
            return new fetchAPI.Response(JSON.stringify({ status: ok ? "ready" : "not ready", ...details }), {
              status: ok ? 200 : 503,
              headers: { "content-type": "application/json; charset=utf-8" },
            });
          },
        }),
      ),
      useMetricsEndpoint(metrics.registry),
      ...(options.tracing ? [options.tracing] : []),
      useCrossSiteGuard(), useNoEventStream(), useCookies(), useRejectEmptyQuery(), useTrustedDocuments(env.GRAPHQL_TRUSTED_DOCUMENTS), ...useQueryLimits(env), useRefuseBadCredentials(), useIntrospectionPolicy(env.GRAPHQL_INTROSPECTION),
      // "Did you mean …?" in validation errors spells out the schema to whoever guesses: not in production
      ...(env.isProduction ? [blockFieldSuggestionsPlugin() as Plugin] : []),
      useProtection(requestLimiter, env),
      ...(options.plugins ?? [])],
  });

  // on every response: no MIME sniffing, no referrer, never framed (GraphiQL included); HSTS in production
  const securityHeaders: Array<[string, string]> = [
    ["x-content-type-options", "nosniff"],
    ["referrer-policy", "no-referrer"],
    ["x-frame-options", "DENY"],
    ["content-security-policy", "frame-ancestors 'none'"],
    ...(env.isProduction ? ([["strict-transport-security", "max-age=31536000; includeSubDomains"]] as Array<[string, string]>) : []),
  ];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const headerId = req.headers["x-request-id"];
    const requestId = typeof headerId === "string" && REQUEST_ID.test(headerId) ? headerId : randomUUID();
    const requestLog = log.child({ requestId });
    const url = new URL(req.url ?? "/", "http://localhost");
    res.setHeader("x-request-id", requestId);
    for (const [name, value] of securityHeaders) res.setHeader(name, value);
    let route = "other";
    try {
      if (closing) res.setHeader("connection", "close");
      if (YOGA_ROUTES.has(url.pathname)) {
        route = YOGA_ROUTES.get(url.pathname)!;
        await forwardToYoga(req, res, { requestId, ip: clientIp(req), log: requestLog });
      } else if (url.pathname === CATALOG_PATH) {
        route = "webhook-catalog";
        await serveCatalog(req, res);
      } else if (url.pathname.startsWith(EXPORTS_PREFIX)) {
        route = "export";
        await exportRoute(req, res, url, { env, limiter: requestLimiter, log: requestLog, createContext: (headers) => createContext({ requestId, log: requestLog, headers, ip: clientIp(req), services, cookies: null }) });
      } else if (url.pathname.startsWith("/integrations/") && (route = "integrations") && (await integrationRoute(req, res, url, env, requestLog))) {
        // the marketing module's OAuth callbacks and platform webhooks (marketing/routes.ts)
      } else {
        sendJson(res, 404, { errors: [{ message: "not found", extensions: { code: ErrorCode.NOT_FOUND } }] });
      }
    } catch (err) {
      // a client that closed the connection before its answer (the operation is aborted) is not a fault
      if (!clientGone(req, res)) {
        requestLog.error({ err }, "request failed");
        if (!res.headersSent) sendJson(res, 500, { errors: [{ message: "internal error", extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } }] });
        else res.destroy();
      }
    } finally {
      if (clientGone(req, res)) res.statusCode = CLIENT_CLOSED;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpRequests.observe({ route, method: req.method ?? "GET", status: String(res.statusCode) }, seconds);
      // the access log: every request at debug; at info only what someone should look at (refused, failed, slow)
      const level = res.statusCode >= 400 || seconds * 1000 >= env.SLOW_REQUEST_MS ? "info" : "debug";
      if (requestLog.isLevelEnabled(level)) requestLog[level]({ method: req.method, path: url.pathname, status: res.statusCode, ms: Math.round(seconds * 1000) }, "request");
    }
  }

  /**
   * GraphQL over HTTP: the body is read here first (so MAX_BODY_BYTES holds however it is sent), then handed to
   * yoga's own Node adapter, which builds its lightweight Request from the IncomingMessage (no copy of the headers,
   * no web streams) and writes the answer straight to the ServerResponse.
   */
  async function forwardToYoga(req: IncomingMessage, res: ServerResponse, ctx: ServerContext) {
    if (req.method !== "GET" && req.method !== "HEAD") {
      const read = await readBody(req, env.MAX_BODY_BYTES);
      // the client went away, or was too slow (HTTP_REQUEST_TIMEOUT_MS: Node has answered 408 and closed the connection)
      if (read === "aborted") return void (res.statusCode = CLIENT_CLOSED);
      if (read === "too-large") {
        res.setHeader("connection", "close");
        return sendJson(res, 413, {
          errors: [{ message: `request body exceeds ${env.MAX_BODY_BYTES} bytes`, extensions: { code: ErrorCode.BAD_USER_INPUT } }],
        });
      }
      // the adapter takes a body already read from `req.body` (an empty one: the ended stream reads as empty)
      if (read.length) (req as IncomingMessage & { body?: Uint8Array }).body = read;
    }
    const response = await yoga.handleNodeRequestAndResponse(req, res, ctx);
    await sendNodeResponse(response, res, req, true);
  }

  // slow clients (slowloris): headers and the whole request each have a deadline, checked every second or sooner
  const server = createServer(
    {
      headersTimeout: env.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: env.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(env.HTTP_HEADERS_TIMEOUT_MS / 4))),
    },
    (req, res) => {
      const p = handle(req, res).finally(() => inFlight.delete(p));
      inFlight.add(p);
    },
  );

  const live = attachGraphqlWs(server, yoga, {
    env,
    log,
    clientIp,
    registry: metrics.registry,
    createContext: (input) => createContext({ ...input, services, cookies: null }),
  });

  return {
    yoga,
    log,
    async start() {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(env.API_PORT, env.API_HOST, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      return { url: `http://${env.API_HOST}:${port}/graphql`, port };
    },
    async stop() {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const liveClosed = live.close(env.SHUTDOWN_TIMEOUT_MS);
      await withTimeout(Promise.allSettled([...inFlight]), env.SHUTDOWN_TIMEOUT_MS).catch(() => log.warn("in-flight requests did not finish in time"));
      server.closeAllConnections();
      await liveClosed;
      await closed;
      await principals.close();
      await events.close();
      await disconnectDb();
    },
  };
}

/**
 * `plugin` with its onRequest run only for requests to `path`. Yoga's readiness check matches every request against
 * its endpoint with a URLPattern (a polyfill on Node 20: a few µs per request, most of them GraphQL's); `handle`
 * already knows the path.
 */
function onPathOnly(path: string, plugin: Plugin): Plugin {
  const onRequest = plugin.onRequest;
  if (!onRequest) return plugin;
  return { ...plugin, onRequest: (payload) => (payload.url.pathname === path ? onRequest(payload) : undefined) };
}

const READINESS_PATH = "/readyz";

/** The paths yoga answers (GraphQL and GraphiQL; liveness, readiness and metrics by its plugins), by metrics route. */
const YOGA_ROUTES = new Map([
  ["/graphql", "graphql"],
  ["/healthz", "healthz"],
  [READINESS_PATH, "readyz"],
  ["/metrics", "metrics"],
]);

/** The status recorded (metrics, log) for a request whose client closed the connection first (nginx's 499). */
const CLIENT_CLOSED = 499;

function clientGone(req: IncomingMessage, res: ServerResponse): boolean {
  return (res.destroyed || req.socket.destroyed) && !res.writableFinished;
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  res.end(JSON.stringify(body));
}

/** The request's body; "aborted" when the connection closed before its end (client gone, or HTTP_REQUEST_TIMEOUT_MS passed). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too-large" | "aborted"> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve("too-large");
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve("too-large");
      } else chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("close", () => !req.complete && resolve("aborted"));
    req.on("error", (err) => (req.destroyed ? resolve("aborted") : reject(err)));
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]);
}
