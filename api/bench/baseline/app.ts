// The floor `npm run bench -- http` measures the API against: bare node:http + one pg.Pool (the API's DB_POOL_MAX),
// answering each bench scenario at `POST /s/<route>` with the same request body as the API gets (the GraphQL
// document and variables; only the variables are read) and the same `data` as the API. No GraphQL, no row-level
// security; authentication only as far as it is cheap and in memory: the access token's signature (as the API
// checks it), or an API key's hash against the key row (read once, then cached).
import { createHash, createSecretKey, randomUUID } from "node:crypto";
import http from "node:http";
import { Redis } from "ioredis";
import jwt from "jsonwebtoken";
import pg from "pg";
import { BaselineError, changeJobStatus, type Caller } from "./change-job-status.ts";
import { dispatch, jobNodeById, jobsBoard } from "./queries.ts";

export interface BaselineOptions {
  databaseUrl: string;
  jwtSecret: string;
  poolMax: number;
  redisUrl?: string;
  redisPrefix?: string;
}

interface Tenant {
  id: string;
  slug: string;
  webhooksEnabled: boolean;
}

type Route = (db: pg.Pool, caller: Caller, variables: Record<string, unknown>) => Promise<unknown>;

/** `timestamp without time zone` columns hold UTC (Prisma writes them so): read them as UTC. */
const parseUtc = (s: string) => new Date(`${s.replace(" ", "T")}Z`);
const types = { getTypeParser: ((oid: number, format?: string) => (oid === 1114 ? parseUtc : pg.types.getTypeParser(oid, format as "text"))) as typeof pg.types.getTypeParser };

export async function createBaseline(options: BaselineOptions) {
  const db = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolMax, types });
  const redis = options.redisUrl ? { client: new Redis(options.redisUrl, { maxRetriesPerRequest: 2 }), prefix: options.redisPrefix ?? "h2o-acp:" } : null;
  const tenants = new Map<string, Tenant>();
  const { rows } = await db.query(`SELECT t.id, t.slug, coalesce(c."webhooksEnabled", true) AS "webhooksEnabled" FROM "Tenant" t LEFT JOIN "TenantConfig" c ON c."tenantId" = t.id WHERE t.status = 'active'`);
  for (const t of rows as Tenant[]) tenants.set(t.id, t).set(t.slug, t);
  const keys = new Map<string, { id: string; hash: string; tenantId: string } | null>();
  const secret = createSecretKey(Buffer.from(options.jwtSecret, "utf8"));

  const routes: Record<string, Route> = {
    jobs: (db, c, v) => jobsBoard(db, c.tenantId, v, false),
    "jobs-count": (db, c, v) => jobsBoard(db, c.tenantId, v, true),
    dispatch: (db, c, v) => dispatch(db, c.tenantId, v),
    node: (db, c, v) => jobNodeById(db, c.tenantId, v),
    typename: async () => ({ __typename: "Query" }),
    "change-job-status": (db, c, v) => changeJobStatus(db, redis, c, v),
  };

  async function authenticate(req: http.IncomingMessage): Promise<Caller | null> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "")?.[1];
    const presented = (req.headers["x-api-key"] as string | undefined) ?? (bearer?.startsWith("h2okey_") ? bearer : undefined);
    const base = { requestId: randomUUID(), ip: req.socket.remoteAddress ?? null, userAgent: req.headers["user-agent"] ?? null };
    if (presented) {
      const prefix = /^(h2okey_[0-9a-f]{12})_[\w-]{43}$/.exec(presented)?.[1];
      if (!prefix) return null;
      if (!keys.has(prefix)) {
        const { rows } = await db.query(`SELECT id, "keyHash" AS hash, "tenantId" FROM "ApiKey" WHERE prefix = $1 AND "revokedAt" IS NULL`, [prefix]);
        keys.set(prefix, rows[0] ?? null);
      }
      const key = keys.get(prefix);
      const tenant = key && tenants.get(key.tenantId);
      if (!key || !tenant || createHash("sha256").update(presented).digest("hex") !== key.hash) return null;
      return { ...base, tenantId: tenant.id, webhooksEnabled: tenant.webhooksEnabled, actor: { kind: "api_key", id: key.id } };
    }
    if (!bearer) return null;
    try {
      const claims = jwt.verify(bearer, secret, { algorithms: ["HS256"], issuer: "h2o-acp", audience: "h2o-acp-api" }) as jwt.JwtPayload;
      const tenant = tenants.get((req.headers["x-tenant-id"] as string | undefined) ?? claims.tid);
      return tenant ? { ...base, tenantId: tenant.id, webhooksEnabled: tenant.webhooksEnabled, actor: { kind: "user", id: String(claims.sub) } } : null;
    } catch {
      return null;
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === "GET" && req.url === "/healthz") return send(200, { status: "ok" });
    const route = req.method === "POST" && req.url?.startsWith("/s/") ? routes[req.url.slice(3)] : undefined;
    if (!route) return send(404, { errors: [{ message: "no such route", extensions: { code: "NOT_FOUND" } }] });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let variables: Record<string, unknown>;
    try {
      variables = (JSON.parse(Buffer.concat(chunks).toString("utf8")) as { variables?: Record<string, unknown> }).variables ?? {};
    } catch {
      return send(400, { errors: [{ message: "invalid JSON", extensions: { code: "BAD_REQUEST" } }] });
    }
    const caller = await authenticate(req);
    if (!caller) return send(401, { errors: [{ message: "invalid credentials", extensions: { code: "UNAUTHENTICATED" } }] });
    try {
      send(200, { data: await route(db, caller, variables) });
    } catch (e) {
      const code = e instanceof BaselineError ? e.code : "INTERNAL_SERVER_ERROR";
      send(200, { errors: [{ message: (e as Error).message, extensions: { code } }], data: null });
    }
  }

  const server = http.createServer((req, res) => void handle(req, res).catch(() => res.destroy()));
  server.keepAliveTimeout = 65_000;
  return {
    server,
    async listen(port: number, host = "127.0.0.1"): Promise<string> {
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      return `http://${host}:${(server.address() as { port: number }).port}`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await db.end();
      redis?.client.disconnect();
    },
  };
}
