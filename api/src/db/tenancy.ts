import { getDatamodel } from "../generated/pothos-types.ts";
import { readerOf, type Prisma } from "./client.ts";
import { rowLevelSecurity } from "./rls.ts";
import { registerReadScope } from "./sql-read.ts";

/**
 * Tenant scoping, in one place. `tenantScoped(prisma, tenantId)` returns the request's Prisma client: every
 * operation on a tenant-scoped model (any model with a `tenantId` column, found in the data model, so new models
 * are covered without a list to maintain) is confined to that tenant:
 * - reads, updates and deletes get `AND tenantId = <tenant>` added to their `where` (unique lookups included);
 * - creates get `tenantId` set; an update that tries to move a row to another tenant throws;
 * - list relations into a tenant-scoped model (e.g. Builder.jobs, and their `_count`) nested in any
 *   `select`/`include` get the same filter, since Prisma query extensions see only top-level operations;
 * - `Tenant` itself is visible only as the acting tenant's row, and cannot be created or deleted through it.
 * With `tenantId = null` (no acting tenant) any operation on a tenant-scoped model throws.
 *
 * Limits: raw SQL (`$queryRaw`) and relation filters inside `where` (`jobs: { some: ... }`) are not rewritten;
 * the database's row-level security (db/rls.ts, applied to every operation of this client, raw SQL included) is
 * the second wall. The same client is returned for the same tenant each time (it holds no request state).
 */
export function tenantScoped(prisma: Prisma, tenantId: string | null, options: { filter?: boolean } = {}): TenantDb {
  let clients = scopedClients.get(prisma);
  if (!clients) scopedClients.set(prisma, (clients = new Map()));
  const key = `${options.filter === false ? "rls" : "filtered"}:${tenantId ?? ""}`;
  let client = clients.get(key);
  if (!client) {
    if (clients.size >= MAX_SCOPED_CLIENTS) clients.clear();
    client = scope(prisma, tenantId, options.filter !== false);
    clients.set(key, client);
    // the boards' list reads compile to SQL on the same pool and settings (db/sql-read.ts)
    const reader = readerOf(prisma);
    if (reader) registerReadScope(client, { ...reader, tenantId, filter: options.filter !== false });
  }
  return client;
}

/**
 * The scoped clients hold nothing but their tenant, so one per (client, tenant) serves every request: no
 * `$extends` on the request path.
 */
const scopedClients = new WeakMap<Prisma, Map<string, TenantDb>>();
const MAX_SCOPED_CLIENTS = 10_000;

function scope(prisma: Prisma, tenantId: string | null, filter: boolean) {
  const secured = rowLevelSecurity(prisma, tenantId);
  // `filter: false` leaves row-level security alone in charge: the isolation tests prove it holds by itself.
  if (!filter) return secured as unknown as ReturnType<typeof tenantFiltered>;
  return tenantFiltered(secured as unknown as Prisma, tenantId);
}

function tenantFiltered(prisma: Prisma, tenantId: string | null) {
  return prisma.$extends({
    name: "tenant-scope",
    query: {
      $allModels: {
        $allOperations({ model, operation, args, query }) {
          return query(scopeArgs(model, operation, (args ?? {}) as Args, tenantId) as never);
        },
      },
    },
  });
}

/** The request's Prisma client: `tenantScoped(...)`'s type. */
export type TenantDb = ReturnType<typeof tenantFiltered>;

type Args = Record<string, unknown>;
interface Relation { target: string; isList: boolean }

const models = getDatamodel().datamodel.models;
const relations: Record<string, Record<string, Relation>> = {};
const scopedModels = new Set<string>(["Tenant"]);
for (const [name, model] of Object.entries(models)) {
  relations[name] = {};
  for (const field of model.fields) {
    if (field.kind === "object") relations[name][field.name] = { target: field.type, isList: field.isList };
    if (field.kind === "scalar" && field.name === "tenantId") scopedModels.add(name);
  }
}

/** Whether rows of `model` belong to one tenant (and so are filtered by `tenantScoped`). */
export const isTenantScoped = (model: string) => scopedModels.has(model);

const WHERE_OPS = new Set([
  "findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "findMany", "count", "aggregate", "groupBy",
  "update", "updateMany", "updateManyAndReturn", "delete", "deleteMany", "upsert",
]);
const CREATE_OPS = new Set(["create", "createMany", "createManyAndReturn", "upsert"]);
const UPDATE_OPS = new Set(["update", "updateMany", "updateManyAndReturn", "upsert"]);

function scopeArgs(model: string, operation: string, args: Args, tenantId: string | null): Args {
  const out: Args = { ...args };
  if (scopedModels.has(model)) {
    if (tenantId === null) throw new Error(`${model}.${operation}: no acting tenant`);
    if (model === "Tenant" && (CREATE_OPS.has(operation) || operation.startsWith("delete")))
      throw new Error(`Tenant.${operation} is not allowed through a tenant-scoped client`);
    if (WHERE_OPS.has(operation)) out.where = and(args.where as Args | undefined, scopeFilter(model, tenantId));
    if (UPDATE_OPS.has(operation)) refuseTenantChange(model, (operation === "upsert" ? args.update : args.data) as Args);
    if (operation === "upsert") out.create = withTenant(model, args.create as Args, tenantId);
    else if (CREATE_OPS.has(operation)) {
      const data = args.data as Args | Args[];
      out.data = Array.isArray(data) ? data.map((d) => withTenant(model, d, tenantId)) : withTenant(model, data, tenantId);
    }
  }
  if (args.select) out.select = scopeSelection(model, args.select as Args, tenantId);
  if (args.include) out.include = scopeSelection(model, args.include as Args, tenantId);
  return out;
}

const scopeFilter = (model: string, tenantId: string): Args => (model === "Tenant" ? { id: tenantId } : { tenantId });

function and(where: Args | undefined, filter: Args): Args {
  if (!where) return { ...filter };
  const existing = where.AND === undefined ? [] : Array.isArray(where.AND) ? where.AND : [where.AND];
  return { ...where, AND: [...existing, filter] };
}

function withTenant(model: string, data: Args, tenantId: string): Args {
  refuseTenantChange(model, data);
  const usesRelationInputs = Object.keys(data).some((k) => relations[model]?.[k]);
  return usesRelationInputs ? { ...data, tenant: { connect: { id: tenantId } } } : { ...data, tenantId };
}

function refuseTenantChange(model: string, data: Args | undefined) {
  if (data && ("tenantId" in data || "tenant" in data)) throw new Error(`${model}: the tenant of a row is set by the tenant scope, never by callers`);
}

/** Adds the tenant filter to every list relation into a tenant-scoped model, at any depth of a selection. */
function scopeSelection(model: string, selection: Args, tenantId: string | null): Args {
  const out: Args = {};
  for (const [key, value] of Object.entries(selection)) {
    if (key === "_count") {
      out._count = scopeCount(model, value, tenantId);
      continue;
    }
    const relation = relations[model]?.[key];
    if (!relation || !value) {
      out[key] = value;
      continue;
    }
    const nested: Args = value === true ? {} : { ...(value as Args) };
    const filtered = relation.isList && scopedModels.has(relation.target);
    if (filtered) {
      if (tenantId === null) throw new Error(`${model}.${key}: no acting tenant`);
      nested.where = and(nested.where as Args | undefined, scopeFilter(relation.target, tenantId));
    }
    if (nested.select) nested.select = scopeSelection(relation.target, nested.select as Args, tenantId);
    if (nested.include) nested.include = scopeSelection(relation.target, nested.include as Args, tenantId);
    out[key] = value === true && !filtered ? true : nested;
  }
  return out;
}

function scopeCount(model: string, value: unknown, tenantId: string | null): unknown {
  const listRelations = Object.entries(relations[model] ?? {}).filter(([, r]) => r.isList);
  const select: Args =
    value === true
      ? Object.fromEntries(listRelations.map(([name]) => [name, true]))
      : { ...(((value as Args | undefined)?.select as Args | undefined) ?? {}) };
  for (const [name, wanted] of Object.entries(select)) {
    const relation = relations[model]?.[name];
    if (!wanted || !relation || !scopedModels.has(relation.target)) continue;
    if (tenantId === null) throw new Error(`${model}._count.${name}: no acting tenant`);
    const where = wanted === true ? undefined : ((wanted as Args).where as Args | undefined);
    select[name] = { where: and(where, scopeFilter(relation.target, tenantId)) };
  }
  return value === false || value === undefined ? value : { select };
}

/**
 * Types a create's `data` of a tenant-scoped model as complete: `tenantScoped` supplies `tenantId` at run time,
 * so callers never write it (and it is refused if they do).
 */
export const tenantOwned = <T extends object>(data: T) => data as T & { tenantId: string };
