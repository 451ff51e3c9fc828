import { randomBytes } from "node:crypto";
import { marketingEnvShape } from "./integrations/env.ts";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";

/**
 * NODE_ENV as the process started, for what is decided when modules load, before `loadEnv` runs (the GraphQL schema
 * is built at import); everything else reads the validated `Env`.
 */
export const startupNodeEnv = process.env.NODE_ENV ?? "development";

/** The repository root: `.data/` and the web build live under it. */
export const repoRoot = path.resolve(fileURLToPath(new URL("../..", import.meta.url)));

const int = (def: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(def);
const bool = (def: boolean) =>
  z.enum(["true", "false", "1", "0"]).default(def ? "true" : "false").transform((v) => v === "true" || v === "1");
const optionalUrl = z.preprocess((v) => (v === "" ? undefined : v), z.url().optional());

const schema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** Who may introspect the schema (plugins/use-introspection-policy.ts); unset: `authenticated` in production, `on` otherwise. */
  GRAPHQL_INTROSPECTION: z.enum(["on", "authenticated", "off"]).optional(),
  /** Whether only the dashboard's persisted documents run, except for API keys (plugins/use-trusted-documents.ts); unset: `on` in production, `off` otherwise. */
  GRAPHQL_TRUSTED_DOCUMENTS: z.enum(["on", "off"]).optional(),
  /** A request that takes at least this long is logged at info (every request is logged at debug). */
  SLOW_REQUEST_MS: z.coerce.number().int().positive().default(1000),
  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_PORT: int(4000, 0, 65535),
  WEB_PORT: int(3000, 0, 65535),
  /** The API as the browser and the web server reach it. */
  PUBLIC_API_URL: optionalUrl,
  DATA_DIR: z.string().min(1).default(path.join(repoRoot, ".data")),
  DATABASE_URL: z.preprocess((v) => (v === "" ? undefined : v), z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL").optional()),
  EMBEDDED_PG_PORT: int(5433, 1, 65535),
  DB_POOL_MAX: int(10, 1, 1000),
  DB_CONNECTION_TIMEOUT_MS: int(5_000, 1),
  DB_IDLE_TIMEOUT_MS: int(30_000, 0),
  DB_STATEMENT_TIMEOUT_MS: int(15_000, 0),
  /** OpenTelemetry: traces go to `<this>/v1/traces` (OTLP/HTTP); unset, tracing is not loaded at all (telemetry/tracing.ts). */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** With tracing on: a resolver that takes at least this long gets a span of its own (`graphql.resolve Type.field`). */
  OTEL_SLOW_RESOLVER_MS: int(20, 0),
  REDIS_URL: z.preprocess((v) => (v === "" ? undefined : v), z.string().regex(/^rediss?:\/\//, "must be a redis:// URL").optional()),
  SVIX_API_KEY: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional()),
  SVIX_SERVER_URL: optionalUrl,
  JWT_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  ENCRYPTION_KEY: z.string().regex(/^[0-9a-f]{64}$/i, "must be 64 hex characters (32 bytes)").optional(),
  MAX_BODY_BYTES: int(1_000_000, 1_000),
  /** HTTP: a client must send its request headers within this, and its whole request (body included) within the next; else 408 and the connection closes. */
  HTTP_HEADERS_TIMEOUT_MS: int(10_000, 100, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: int(30_000, 100, 3_600_000),
  /** Query limits (plugins/use-query-limits.ts): nesting depth, aliases, directives and tokens of a document, checked before it runs. */
  QUERY_MAX_DEPTH: int(12, 1, 100),
  QUERY_MAX_ALIASES: int(30, 0, 1_000),
  QUERY_MAX_DIRECTIVES: int(50, 0, 1_000),
  QUERY_MAX_TOKENS: int(5_000, 100, 100_000),
  /** Query cost: each field costs 1, and a connection's selection counts `first` (or `last`) times; see schema/builder.ts. */
  QUERY_MAX_COST: int(25_000, 10, 10_000_000),
  /** Requests (queries and mutations) per minute from one anonymous client IP; users and API keys have their tenant's limits. */
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: int(300, 1, 1_000_000),
  /** Whose X-Forwarded-For names the client (client-ip.ts): the dashboard's server and a load balancer in front of the API. */
  TRUST_PROXY: z.string().default("loopback"),
  /** Requests per minute of a signed-in user acting for no tenant. */
  RATE_LIMIT_USER_PER_MINUTE: int(600, 1, 1_000_000),
  CORS_ORIGINS: z.string().default(""),
  SEED_ON_FIRST_RUN: bool(true),
  SHUTDOWN_TIMEOUT_MS: int(10_000, 0),
  /** `npm start`'s supervisor (supervisor.ts): a child crashing more than this many times within the window stops everything. */
  SUPERVISOR_MAX_RESTARTS: int(5, 0, 1_000),
  SUPERVISOR_RESTART_WINDOW_MS: int(60_000, 1_000),
  /** Delay before restarting a crashed child, doubled for each further crash in the window, up to the maximum. */
  SUPERVISOR_BACKOFF_MS: int(500, 0),
  SUPERVISOR_MAX_BACKOFF_MS: int(10_000, 0),
  /** Tests only: `false` turns the tenant-scoped client's filters off, leaving row-level security alone in charge. */
  TENANCY_FILTER: bool(true),
  /** Built-in webhook delivery: the whole attempt (connect, response, body excerpt) must finish within this. */
  WEBHOOK_TIMEOUT_MS: int(15_000, 100, 300_000),
  /** Delay before each attempt, from the previous one (first = delay of the first attempt); Svix's schedule by default. */
  WEBHOOK_RETRY_SCHEDULE_MS: z.preprocess(
    (v) => (v === "" || v === undefined ? "0,5000,300000,1800000,7200000,18000000,36000000,36000000" : v),
    z
      .string()
      .transform((s) => s.split(",").map((p) => (p.trim() === "" ? Number.NaN : Number(p))))
      .pipe(z.array(z.number().int().min(0).max(7 * 24 * 3_600_000)).min(1).max(50)),
  ),
  /** http:// endpoint URLs; unset: allowed outside production only. */
  WEBHOOK_ALLOW_HTTP: z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1").optional(),
  /** Endpoints resolving to loopback (127.0.0.0/8, ::1); unset: allowed outside production only. Private ranges stay refused. */
  WEBHOOK_ALLOW_LOOPBACK: z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1").optional(),
  WEBHOOK_MAX_PAYLOAD_BYTES: int(256 * 1024, 1_024, 1024 * 1024),
  /** Built-in delivery: concurrent requests per endpoint (per worker process). */
  WEBHOOK_ENDPOINT_CONCURRENCY: int(4, 1, 1_000),
  /** Built-in delivery: consecutive failures that open an endpoint's circuit, and how long it stays open. */
  WEBHOOK_BREAKER_THRESHOLD: int(5, 1, 1_000),
  WEBHOOK_BREAKER_OPEN_MS: int(60_000, 10),
  /** Audit archive files (gzip NDJSON) are written here; unset: `<DATA_DIR>/audit-archive`. */
  AUDIT_ARCHIVE_DIR: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional()),
  /** An S3-compatible bucket for audit archives instead of AUDIT_ARCHIVE_DIR (audit/s3-archive-store.ts). */
  AUDIT_ARCHIVE_S3_BUCKET: z.preprocess((v) => (v === "" ? undefined : v), z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name").optional()),
  /** The S3 API's URL (MinIO, Ceph, R2, ...); unset: AWS's endpoint of the region. */
  AUDIT_ARCHIVE_S3_ENDPOINT: optionalUrl,
  AUDIT_ARCHIVE_S3_REGION: z.string().min(1).default("us-east-1"),
  /** Key prefix of the archive objects: empty, or ending with `/` (added when missing). */
  AUDIT_ARCHIVE_S3_PREFIX: z
    .string()
    .default("audit-archive/")
    .transform((p) => p.replace(/^\/+/, ""))
    .transform((p) => (p && !p.endsWith("/") ? `${p}/` : p)),
  /** `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key`: what most S3-compatible servers need. */
  AUDIT_ARCHIVE_S3_FORCE_PATH_STYLE: bool(true),
  /** The S3 credentials (both or neither; neither: the AWS SDK's default chain, e.g. an instance role). */
  AWS_ACCESS_KEY_ID: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional()),
  AWS_SECRET_ACCESS_KEY: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional()),
  AWS_SESSION_TOKEN: z.preprocess((v) => (v === "" ? undefined : v), z.string().min(1).optional()),
  /** Monthly audit partitions kept ready beyond the current month. */
  AUDIT_PARTITIONS_AHEAD: int(3, 1, 24),
  /** When the worker's `audit.partitions` upkeep runs (cron, UTC); once per tick however many workers run. */
  AUDIT_PARTITIONS_CRON: z.string().regex(/^\S+( \S+){4}$/, "must be a cron pattern of five fields").default("17 3 * * *"),
  /** An endpoint whose deliveries keep failing for this long is disabled, and admins notified (5 days). */
  WEBHOOK_DISABLE_AFTER_MS: int(5 * 24 * 3_600_000, 1_000),
  /** Worker crash recovery: how often to look for jobs locked by workers that no longer run, and unlock them. */
  /** The worker touches this file every 5 s while it runs (docker-compose's healthcheck reads its age); unset: none. */
  WORKER_HEARTBEAT_FILE: z.string().min(1).optional(),
  WORKER_RECOVERY_INTERVAL_MS: int(15_000, 100),
  /** How long the job view lists completed jobs (the worker records each success, and prunes older ones). */
  WORKER_COMPLETED_RETENTION_HOURS: int(24, 1, 24 * 30),
  /** Prefix of every Redis key and pub/sub channel of this deployment (lets deployments and test runs share a Redis). */
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:._-]{0,64}$/, "letters, digits and : . _ - only").default("h2o-acp:"),
  /** Principal cache (auth/principal-cache.ts): the longest any entry is trusted, whatever the invalidation channel says. */
  PRINCIPAL_CACHE_MAX_AGE_MS: int(60_000, 0, 3_600_000),
  /** Principal cache: while Redis (the invalidation channel) is unreachable, entries older than this are looked up again. */
  PRINCIPAL_CACHE_OUTAGE_MS: int(5_000, 0, 60_000),
  /** Principal cache: entries kept per process (least recently used go first). */
  PRINCIPAL_CACHE_MAX_ENTRIES: int(50_000, 1, 10_000_000),
  /** graphql-ws: WebSocket ping interval; a socket that has not answered the previous ping is terminated. */
  WS_KEEPALIVE_MS: int(15_000, 50, 3_600_000),
  /** graphql-ws: a socket whose unsent data would pass this many bytes is closed (1013, slow consumer). */
  WS_MAX_BUFFERED_BYTES: int(1024 * 1024, 1_024),
  /** graphql-ws: events one subscription may hold while its previous ones are still being resolved. */
  WS_MAX_QUEUED_EVENTS: int(1_000, 1, 1_000_000),
  /** Subscriptions one WebSocket may run at once; one more is refused with RATE_LIMITED. */
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: int(100, 1, 100_000),
  /** Open WebSocket connections per client address, and per user or API key, on one replica; past them: close 1008. */
  WS_MAX_CONNECTIONS_PER_IP: int(1_000, 1, 1_000_000),
  WS_MAX_CONNECTIONS_PER_PRINCIPAL: int(100, 1, 1_000_000),
  /** Messages a WebSocket may send per second; past it: close 1008. */
  WS_MAX_MESSAGES_PER_SECOND: int(100, 1, 1_000_000),
  ...marketingEnvShape,
});

export type Env = Omit<z.infer<typeof schema>, "JWT_SECRET" | "ENCRYPTION_KEY" | "CORS_ORIGINS" | "GRAPHQL_INTROSPECTION" | "GRAPHQL_TRUSTED_DOCUMENTS"> & {
  GRAPHQL_INTROSPECTION: "on" | "authenticated" | "off";
  GRAPHQL_TRUSTED_DOCUMENTS: "on" | "off";
  JWT_SECRET: string;
  ENCRYPTION_KEY: string;
  CORS_ORIGINS: string[];
  isProduction: boolean;
};

/** A bad configuration value: the message names every offending variable. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export type Secret = "JWT_SECRET" | "ENCRYPTION_KEY";

/**
 * `loadEnv` for a process's entry point: a configuration error is printed (one line per variable) and the process exits
 * with code 2 (a configuration error, not a crash), instead of a stack trace.
 */
export function loadEnvOrExit(needs?: readonly Secret[]): Env {
  try {
    return loadEnv(process.env, needs);
  } catch (e) {
    if (e instanceof ConfigError) (console.error(e.message), process.exit(2));
    throw e;
  }
}

/**
 * Parses and validates the environment. In development, missing secrets are generated once and kept under
 * DATA_DIR; production refuses generated secrets and the embedded database. `needs`: the secrets this process
 * uses (the API both; the worker the encryption key; some CLI commands none), so a deployment hands each process
 * only its own; in production a secret not needed and not given is the empty string, which signing or
 * sealing with refuses.
 */
export function loadEnv(source: NodeJS.ProcessEnv = process.env, needs: readonly Secret[] = ["JWT_SECRET", "ENCRYPTION_KEY"]): Env {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
  }
  const raw = parsed.data;
  const isProduction = raw.NODE_ENV === "production";
  if (isProduction) {
    if (!raw.TENANCY_FILTER) throw new ConfigError("invalid configuration:\n  TENANCY_FILTER: may not be false when NODE_ENV=production");
    const missing = (["DATABASE_URL", ...needs] as const).filter((k) => !raw[k]);
    if (missing.length)
      throw new ConfigError(`invalid configuration:\n${missing.map((k) => `  ${k}: required when NODE_ENV=production (no generated secrets, no embedded database)`).join("\n")}`);
  }
  if (raw.HTTP_HEADERS_TIMEOUT_MS > raw.HTTP_REQUEST_TIMEOUT_MS)
    throw new ConfigError("invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS: may not exceed HTTP_REQUEST_TIMEOUT_MS");
  if (!raw.AWS_ACCESS_KEY_ID !== !raw.AWS_SECRET_ACCESS_KEY)
    throw new ConfigError("invalid configuration:\n  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: set both or neither");
  const secrets = (raw.JWT_SECRET && raw.ENCRYPTION_KEY) || isProduction ? null : developmentSecrets(raw.DATA_DIR);
  return {
    ...raw,
    JWT_SECRET: raw.JWT_SECRET ?? secrets?.JWT_SECRET ?? "",
    ENCRYPTION_KEY: raw.ENCRYPTION_KEY ?? secrets?.ENCRYPTION_KEY ?? "",
    CORS_ORIGINS: corsOrigins(raw),
    GRAPHQL_INTROSPECTION: raw.GRAPHQL_INTROSPECTION ?? (isProduction ? "authenticated" : "on"),
    GRAPHQL_TRUSTED_DOCUMENTS: raw.GRAPHQL_TRUSTED_DOCUMENTS ?? (isProduction ? "on" : "off"),
    isProduction,
  };
}

/** CORS_ORIGINS when set; outside production, the local dashboard's origins by default. */
function corsOrigins(raw: z.infer<typeof schema>): string[] {
  const listed = raw.CORS_ORIGINS.split(",").map((s) => s.trim()).filter(Boolean);
  if (listed.length || raw.NODE_ENV === "production") return listed;
  return [`http://127.0.0.1:${raw.WEB_PORT}`, `http://localhost:${raw.WEB_PORT}`];
}

function developmentSecrets(dataDir: string): { JWT_SECRET: string; ENCRYPTION_KEY: string } {
  const file = path.join(dataDir, "secrets.json");
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8"));
  const secrets = { JWT_SECRET: randomBytes(48).toString("base64url"), ENCRYPTION_KEY: randomBytes(32).toString("hex") };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
