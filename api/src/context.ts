import type { Logger } from "pino";
import { authenticate } from "./auth/authenticate.ts";
import type { LoginLimiter } from "./auth/login-limiter.ts";
import { actions, type Action } from "./auth/permissions.ts";
import type { Principal } from "./auth/principal.ts";
import { randomUUID } from "node:crypto";
import { prisma, type Prisma } from "./db/client.ts";
import { tenantScoped, type TenantDb } from "./db/tenancy.ts";
import { findActingTenant, type ActingTenant } from "./domain/tenants.ts";
import type { Env } from "./env.ts";
import type { TransactionalHook } from "./events/pipeline.ts";
import type { AppError } from "./errors.ts";

/** Sets and clears the browser's auth cookies on the HTTP response (absent on WebSocket connections). */
export interface CookieJar {
  get(name: string): string | undefined;
  set(name: string, value: string, options: { maxAgeSeconds: number }): Promise<void>;
  clear(name: string): Promise<void>;
}

/**
 * What every resolver knows about the call, built once per HTTP request or per WebSocket connection by
 * `createContext` (one path for both: the WebSocket's connectionParams arrive as headers).
 */
export interface Context {
  requestId: string;
  log: Logger;
  ip: string | null;
  userAgent: string | null;
  /** Who is calling; null when anonymous (or when the presented credentials were refused: see `authError`). */
  principal: Principal | null;
  /** What the principal may do in the acting tenant (the permission table, or an API key's scopes). */
  permissions: ReadonlySet<Action>;
  /** Why presented credentials were refused, for the error of fields that need a principal. */
  authError: AppError | null;
  /** When the credentials expire: a WebSocket connection is closed then. */
  authExpiresAt: Date | null;
  /** The tenant the caller acts for, with its configuration; null when it acts for none. */
  tenant: ActingTenant | null;
  /**
   * The Prisma client confined to `tenant` (db/tenancy.ts, and row-level security in db/rls.ts): the one exception
   * to "the Prisma client is imported, not carried on the context", because the tenant scope is per request.
   * Pothos (plugin-prisma) and the mutation pipeline use it; resolvers never add `tenantId` themselves.
   */
  db: TenantDb;
  cookies: CookieJar | null;
  /** Shared services of the process (not per-request state). */
  services: Services;
}

/** Process-wide services resolvers need; created once by buildApp. */
export interface Services {
  env: Env;
  loginLimiter: LoginLimiter;
  /** The hooks every change runs, in order, instead of events/hooks.ts `pipelineHooks` (tests, benchmarks). */
  hooks?: readonly TransactionalHook[];
}

export interface ContextInput {
  requestId: string;
  log: Logger;
  headers: Headers;
  ip: string | null;
  services: Services;
  cookies?: CookieJar | null;
}

export async function createContext(input: ContextInput): Promise<Context> {
  const auth = await authenticate(input.headers, input.services.env.JWT_SECRET);
  return {
    requestId: input.requestId,
    log: input.log,
    ip: input.ip,
    userAgent: input.headers.get("user-agent"),
    principal: auth.principal,
    permissions: auth.permissions,
    authError: auth.error,
    authExpiresAt: auth.expiresAt,
    tenant: auth.tenant,
    db: tenantScoped(prisma, auth.tenant?.id ?? null, { filter: input.services.env.TENANCY_FILTER }),
    cookies: input.cookies ?? null,
    services: input.services,
  };
}

/**
 * A context for the system acting in one tenant (CLI commands, worker jobs), so that its changes still go through
 * the pipeline (one transaction, audit, outbox, pubsub) with the system as actor. `client` is the process's Prisma
 * client unless given (the worker has its own). Null when the tenant does not exist or is not active.
 */
export async function systemContext(tenantSlugOrId: string, name: string, log: Logger, services: Services, client: Prisma = prisma): Promise<Context | null> {
  const tenant = await findActingTenant(client, tenantSlugOrId);
  if (!tenant) return null;
  const requestId = `system:${name}:${randomUUID()}`;
  return {
    requestId,
    log: log.child({ requestId, system: name }),
    ip: null,
    userAgent: null,
    principal: { kind: "system", name },
    permissions: new Set(actions),
    authError: null,
    authExpiresAt: null,
    tenant,
    db: tenantScoped(client, tenant.id),
    cookies: null,
    services,
  };
}
