// PostGraphile V5, the second yardstick of `npm run bench -- http`: the GraphQL server generated from the same
// database, set up as its documentation recommends for production (library mode: the amber preset, grafserv on
// node:http, watch mode off, no GraphiQL, no explain) with the API's security: each request's access token is verified
// (jsonwebtoken, the API's algorithm, issuer and audience: api/src/auth/tokens.ts) and its SQL runs with
// `pgSettings` { role: "h2o_app", "app.tenant_id": <the token's tenant> } in PostgreSQL's row-level security, as the
// API's statements do (prisma/migrations/*_identity_rls). A request without a valid token, or naming in x-tenant-id
// another tenant than its token's, gets "invalid credentials" and reads nothing. What it does not check, as the baseline
// does not: the session's revocation and the user's membership (the API keeps those in its process, no SQL when warm).
// It reads the tables as PostGraphile exposes them (allJobs, rowId, builderByBuilderId…): the bench sends it its own
// document per scenario (api/bench/http/scenarios.ts) and compares the rows it returns with the API's.
import { createSecretKey } from "node:crypto";
import http from "node:http";
import jwt from "jsonwebtoken";
import pg from "pg";
import { postgraphile } from "postgraphile";
import { makePgService } from "postgraphile/adaptors/pg";
import { GraphQLError } from "postgraphile/graphql";
import { grafserv } from "postgraphile/grafserv/node";
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";

// PostGraphile 5 asks for Node 22 (engines), and of what Node 22 added it uses Promise.withResolvers (grafast,
// @dataplan/pg, grafserv); this project runs Node 20: the standard polyfill, the same behaviour (a no-op on Node 22).
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== "function")
  Object.defineProperty(Promise, "withResolvers", {
    configurable: true,
    writable: true,
    value<T>() {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
      return { promise, resolve, reject };
    },
  });

export interface PostGraphileOptions {
  databaseUrl: string;
  jwtSecret: string;
  poolMax: number;
}

export async function createPostGraphile(options: PostGraphileOptions) {
  const secret = createSecretKey(Buffer.from(options.jwtSecret, "utf8"));
  // the token names its tenant by id (`tid`, set at login); a request may also name it, by slug or id, in x-tenant-id
  // (as the bench's do): then it must be the token's. The active tenants, read once, map a slug to its id.
  const tenants = new Map<string, string>();
  const admin = new pg.Client({ connectionString: options.databaseUrl });
  await admin.connect();
  try {
    for (const t of (await admin.query<{ id: string; slug: string }>(`SELECT id, slug FROM "Tenant" WHERE status = 'active'`)).rows) tenants.set(t.id, t.id).set(t.slug, t.id);
  } finally {
    await admin.end();
  }
  /** The tenant a request acts for: its token's, verified; null when the token is invalid or names none. */
  function tenantOf(req: http.IncomingMessage | undefined): string | null {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req?.headers.authorization ?? "")?.[1];
    if (!bearer) return null;
    try {
      const claims = jwt.verify(bearer, secret, { algorithms: ["HS256"], issuer: "h2o-acp", audience: "h2o-acp-api" }) as jwt.JwtPayload;
      const tenantId = typeof claims.tid === "string" ? tenants.get(claims.tid) : undefined;
      const named = req?.headers["x-tenant-id"] as string | undefined;
      return tenantId && (!named || tenants.get(named) === tenantId) ? tenantId : null;
    } catch {
      return null;
    }
  }

  const preset: GraphileConfig.Preset = {
    extends: [PostGraphileAmberPreset],
    pgServices: [makePgService({ connectionString: options.databaseUrl, schemas: ["public"], poolConfig: { max: options.poolMax } })],
    gather: { installWatchFixtures: false },
    grafserv: { graphqlPath: "/graphql", graphiql: false, graphiqlOnGraphQLGET: false, watch: false },
    grafast: {
      explain: false,
      context(requestContext) {
        const tenantId = tenantOf(requestContext.node?.req);
        if (!tenantId) throw new GraphQLError("invalid credentials", { extensions: { code: "UNAUTHENTICATED" } });
        return { pgSettings: { role: "h2o_app", "app.tenant_id": tenantId } };
      },
    },
  };

  const pgl = postgraphile(preset);
  const serv = pgl.createServ(grafserv);
  const server = http.createServer();
  server.keepAliveTimeout = 65_000;
  await serv.addTo(server);
  await pgl.getSchema(); // built before the first request, as a deployment would
  return {
    server,
    async listen(port: number, host = "127.0.0.1"): Promise<string> {
      await new Promise<void>((resolve) => server.listen(port, host, resolve));
      return `http://${host}:${(server.address() as { port: number }).port}`;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pgl.release();
    },
  };
}
