import { createHash } from "node:crypto";
import DataLoader from "dataloader";
import pg from "pg";
import { getDatamodel } from "../generated/pothos-types.ts";
import { tracing } from "../telemetry/hooks.ts";
import { appSettings, withSettings } from "./session-settings.ts";
import { currentPin, type SettingsPool } from "./settings-pool.ts";

/**
 * The list read of the boards (jobs, bids, service calls, builders) as one hand-compiled SQL statement instead of
 * Prisma's `findMany`. Measured in-process on the jobs board (25 rows, five fields and the builder's name): Prisma's
 * client (argument serialization, its two query extensions, the query plan interpreter and the result mapping) cost
 * about 500 µs of CPU a request, while the statement itself costs pg about 70 µs; that was half of the request.
 *
 * Nothing changes in what is read or who may read it:
 * - the arguments are what plugin-prisma planned for the selection (`select`, `take`, `skip`, `cursor`) plus the
 *   resolver's `where` and `orderBy`, in Prisma's own vocabulary, and the rows come back in Prisma's shape (the
 *   selected fields, to-one relations nested, DateTime as Date): plugin-prisma cannot tell the difference;
 * - the statement runs on the same pool, under the same session settings as the request's Prisma client would
 *   (APP_ROLE and the tenant, db/settings-pool.ts), so row-level security holds, and it carries the same tenant
 *   filter as the tenant-scoped client (db/tenancy.ts) when that filter is on;
 * - anything outside the subset compiled here (include mode, list relations, `_count`, relation filters, operators
 *   other than those below, nullable sort keys, columns `readable` does not cover) returns null from `compile`, and the caller's
 *   Prisma query runs instead. test/sql-read.test.ts compares both paths row for row over randomized arguments.
 *
 * Supported: `select` of scalar and enum fields, JSON and lists of strings (selected, not filtered on), and of
 * to-one relations by their foreign key (any depth);
 * `where` with equality (null as IS NULL), `in`, `gt`/`gte`/`lt`/`lte`/`equals`, case-insensitive `contains`,
 * `AND` and `OR`; `orderBy` a list of `{ field: "asc" | "desc" }` on required scalar fields ending with the
 * primary key; `take` (negative: backwards, as Prisma), `skip`, and `cursor: { id }` with Prisma's semantics
 * (rows from the cursor row on, in the order; the cursor row then skipped by `skip: 1`).
 */

interface Field {
  name: string;
  kind: "scalar" | "enum" | "object";
  type: string;
  isList: boolean;
  isRequired: boolean;
  isUpdatedAt?: boolean;
  relationFromFields?: string[];
}
interface Model {
  fields: Map<string, Field>;
  tenantScoped: boolean;
}

const SCALARS = new Set(["String", "Int", "Boolean", "DateTime", "Float"]);
const models = new Map<string, Model>();
for (const [name, model] of Object.entries(getDatamodel().datamodel.models)) {
  const fields = new Map<string, Field>();
  for (const f of model.fields as unknown as Field[]) fields.set(f.name, f);
  models.set(name, { fields, tenantScoped: fields.has("tenantId") });
}

/** How a request's client reads: its pool, its tenant, and whether the tenant filter is on (see db/tenancy.ts). */
export interface ReadScope {
  pool: () => SettingsPool;
  tenantId: string | null;
  filter: boolean;
  /** Observers of the statements sent (test instrumentation, db/client.ts `observeSql`). */
  report: ((sql: string, params: unknown[]) => void) | null;
}

const scopes = new WeakMap<object, ReadScope>();

/** How `db` (a tenant-scoped client, db/tenancy.ts) reads; undefined for any other object. */
export const readScopeOf = (db: object): ReadScope | undefined => scopes.get(db);

/** Records how `db` (a tenant-scoped client, db/tenancy.ts) reads, for `readMany`. */
export function registerReadScope(db: object, scope: ReadScope): void {
  scopes.set(db, scope);
}

type Args = Record<string, unknown>;
type Row = Record<string, unknown>;

/**
 * `findMany(args)` on `model` through `db`: compiled to one statement when `compile` covers the arguments, else the
 * `fallback` (the same call through Prisma).
 */
export function readMany<A extends Args, R>(db: object, model: string, args: A, fallback: (args: A) => Promise<R>): Promise<R> {
  const scope = sqlScope(db, model);
  const compiled = scope ? compile(model, args, scope) : null;
  if (!compiled) return fallback(args);
  return run(scope!, compiled) as Promise<R>;
}

/**
 * How `db` reads `model` in SQL, or undefined when it does not: `db` is not a tenant-scoped client, or it has no
 * acting tenant and `model` is tenant-scoped (Prisma's call then refuses, as it must).
 */
function sqlScope(db: object, model: string): ReadScope | undefined {
  const scope = scopes.get(db);
  return scope && (scope.tenantId !== null || !models.get(model)?.tenantScoped) ? scope : undefined;
}

/** The batches of one request's node lookups: a loader per statement text (see `readUnique`). */
export type Lookups = Map<string, DataLoader<string, Row | null>>;

/**
 * `findUnique({ select, where: { id } })` on `model` through `db` (the node lookups of plugin-prisma: `node(id:)`,
 * `nodes(ids:)`), compiled as `readMany` compiles a list read, and batched in `lookups` (one request's, from
 * `readingClient`): the lookups started in one tick with the same statement (the same selection, through the same
 * client: the same tenant and settings) are one `WHERE "id" = ANY($1)` read, each answered with its row or null.
 * Inside a pinned transaction a lookup is a statement of its own on that transaction's connection (a batch never
 * mixes connections). Anything else (another `where`, `include`, a selection `compile` does not cover, no acting
 * tenant) is `fallback`: Prisma's own call.
 */
export function readUnique<R>(db: object, model: string, args: Args, fallback: () => Promise<R>, lookups: Lookups = new Map()): Promise<R> {
  const scope = sqlScope(db, model);
  const where = args.where as Args | undefined;
  if (!scope || !where || typeof where.id !== "string" || Object.keys(where).length !== 1) return fallback();
  for (const key of Object.keys(args)) if (key !== "select" && key !== "where" && args[key] !== undefined) return fallback();
  // no select: Prisma's default, every scalar column (a model with a column compile does not read falls back)
  const m = models.get(model);
  if (!m) return fallback();
  const select = args.select ?? allScalars(m);
  const compiled = compile(model, { select, where: { id: { in: [where.id] } } }, scope);
  // the rows are matched to the lookups by id: the statement must read it (plugin-prisma always selects the key)
  if (!compiled || typeof compiled.shape.parts[compiled.shape.keys.indexOf("id")] !== "number") return fallback();
  if (currentPin()) return run(scope, compiled).then((rows) => (rows[0] ?? null) as R);
  let loader = lookups.get(compiled.text);
  if (!loader) {
    loader = new DataLoader<string, Row | null>(
      async (ids) => {
        // $1 is the ids (the only parameter of the `where`); the rest (the tenant filter) is the same for every lookup
        const rows = await run(scope, { ...compiled, values: [ids, ...compiled.values.slice(1)] });
        const byId = new Map<unknown, Row>();
        for (const row of rows) byId.set(row.id, row);
        return ids.map((id) => byId.get(id) ?? null);
      },
      { cache: false },
    );
    lookups.set(compiled.text, loader);
  }
  return loader.load(where.id) as Promise<R>;
}

/**
 * What plugin-prisma reads through during one request (builder.ts `prisma.client`, called once per request
 * context): the request's client `db`, whose delegates' `findUnique` go through `readUnique` with the request's own
 * batches; everything else is `db`'s own.
 */
export function readingClient<T extends object>(db: T): T {
  const lookups: Lookups = new Map();
  const delegates = new Map<string, object>();
  return new Proxy(db, {
    get(target, key) {
      const own = Reflect.get(target, key) as unknown;
      if (typeof key !== "string" || !own || !delegateModels.has(key)) return own;
      let delegate = delegates.get(key);
      if (!delegate) {
        const model = delegateModels.get(key)!;
        const base = own as { findUnique(args: Args): Promise<unknown> };
        const findUnique = (args: Args) => readUnique(db, model, args, () => base.findUnique(args), lookups);
        delegate = new Proxy(base, { get: (d, k) => (k === "findUnique" ? findUnique : Reflect.get(d, k)) });
        delegates.set(key, delegate);
      }
      return delegate;
    },
  });
}

/**
 * `updateManyAndReturn({ where: { id, version }, data })` on `model` through `db` inside a pinned transaction (the
 * versioned update of a mutation, domain/versioned.ts): one `UPDATE … WHERE id AND version [AND tenant] RETURNING`
 * every scalar column, on the transaction's connection, rows in Prisma's shape; Prisma's own call otherwise.
 * What Prisma does around the statement is done here too: an `@updatedAt` column the data does not set is set to now
 * (the client's clock, as Prisma), the tenant filter is in the `where` when it is on, and `undefined` in the data
 * changes nothing. Only plain values are compiled (a string, a whole number, a number, a boolean, a valid Date, or
 * null for an optional column; `{ increment: n }` for an Int; a list of strings set whole; plain JSON, not null);
 * anything else, `id` or `tenantId` in the data, or a model with a column `readable` does not cover, falls back.
 * test/sql-read.test.ts compares both over random changes.
 */
export function updateVersioned<R>(db: object, model: string, args: Args, fallback: () => Promise<R>): Promise<R> {
  const scope = sqlScope(db, model);
  if (!scope || !currentPin()) return fallback();
  const compiled = compileUpdate(model, args, scope);
  return compiled ? (run(scope, compiled) as Promise<R>) : fallback();
}

export function compileUpdate(model: string, args: Args, scope: Pick<ReadScope, "tenantId" | "filter">): Compiled | null {
  const m = models.get(model);
  const where = args.where as Args | undefined;
  const data = args.data as Args | undefined;
  if (!m || !where || !data || typeof data !== "object" || Object.keys(args).some((k) => k !== "where" && k !== "data" && args[k] !== undefined)) return null;
  if (Object.keys(where).length !== 2 || typeof where.id !== "string" || !Number.isInteger(where.version)) return null;
  const { values, param } = parameters();
  const sets: string[] = [];
  for (const [key, value] of Object.entries(data)) {
    if (value === undefined) continue;
    const field = m.fields.get(key);
    if (!field || !readable(field) || key === "id" || key === "tenantId") return null;
    if (field.isList) {
      // a String[] set whole (Prisma's `{ set }`, `{ push }` fall back); pg sends a JS array as an array literal
      if (!Array.isArray(value) || !value.every((v) => typeof v === "string")) return null;
      sets.push(`${ident(key)} = ${param(value)}`);
    } else if (field.type === "Json") {
      // plain JSON only: null (Prisma asks for DbNull or JsonNull there), Dates and class instances fall back
      if (value === null || !plainJson(value)) return null;
      sets.push(`${ident(key)} = ${param(JSON.stringify(value))}::jsonb`);
    } else if (value !== null && typeof value === "object" && !(value instanceof Date)) {
      const increment = (value as Args).increment;
      if (field.type !== "Int" || Object.keys(value).length !== 1 || !Number.isInteger(increment)) return null;
      sets.push(`${ident(key)} = ${ident(key)} + ${param(increment)}`);
    } else if (fits(field, value)) sets.push(`${ident(key)} = ${param(value)}`);
    else return null;
  }
  const now = new Date();
  for (const field of m.fields.values()) if (field.isUpdatedAt && data[field.name] === undefined) sets.push(`${ident(field.name)} = ${param(now)}`);
  if (!sets.length) return null;
  const conditions = [`"id" = ${param(where.id)}`, `"version" = ${param(where.version)}`];
  if (m.tenantScoped && scope.filter) conditions.push(`"tenantId" = ${param(scope.tenantId)}`);
  const shape: Shape = { keys: [], parts: [] };
  for (const field of m.fields.values()) {
    if (field.kind === "object") continue;
    if (!readable(field)) return null;
    shape.parts.push(shape.keys.push(field.name) - 1);
  }
  const text = `UPDATE ${ident(model)} SET ${sets.join(", ")} WHERE ${conditions.join(" AND ")} RETURNING ${shape.keys.map(ident).join(", ")}`;
  return { text, values, shape, reverse: false };
}

/**
 * Whether a column reads as Prisma reads it: a scalar of SCALARS or an enum, JSON (pg parses jsonb as Prisma does),
 * or a list of strings (text[]; pg has no parser for a list of enums).
 */
function readable(field: Field): boolean {
  if (field.kind === "object") return false;
  if (field.isList) return field.kind === "scalar" && field.type === "String";
  return field.kind === "enum" || SCALARS.has(field.type) || field.type === "Json";
}

/** A JSON value made of nothing but strings, finite numbers, booleans, null, arrays and plain objects. */
function plainJson(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => plainJson(v, depth + 1));
  if (typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).every((v) => plainJson(v, depth + 1));
}

/** Whether `value` is one Prisma takes as it is for `field` (a scalar or enum column, not a list). */
function fits(field: Field, value: unknown): boolean {
  if (value === null) return !field.isRequired;
  if (field.kind === "enum") return typeof value === "string";
  switch (field.type) {
    case "String": return typeof value === "string";
    case "Int": return Number.isInteger(value) && Math.abs(value as number) <= 2 ** 31 - 1;
    case "Float": return typeof value === "number" && Number.isFinite(value);
    case "Boolean": return typeof value === "boolean";
    case "DateTime": return value instanceof Date && !Number.isNaN(value.getTime());
    default: return false;
  }
}

/** Prisma's delegate name (`job`) to its model (`Job`). */
const delegateModels = new Map([...models.keys()].map((name) => [name[0]!.toLowerCase() + name.slice(1), name]));

/** The model of Prisma's delegate `key` (`job`: `Job`); undefined for any other key. */
export const modelOfDelegate = (key: string): string | undefined => delegateModels.get(key);

/** A statement's parameters, and `param`, which adds one and returns its placeholder; a Date is sent as ISO text. */
function parameters(): { values: unknown[]; param: (value: unknown) => string } {
  const values: unknown[] = [];
  return { values, param: (value) => `$${values.push(value instanceof Date ? value.toISOString() : value)}` };
}

export interface Compiled {
  text: string;
  values: unknown[];
  /** Builds a row in Prisma's shape from the statement's columns. */
  shape: Shape;
  /** Rows come back in reverse (a negative `take`: Prisma reverses them back). */
  reverse: boolean;
}

/** A selection: each output key reads one column (a number) or a nested relation (null when its key is null). */
interface Shape {
  keys: string[];
  parts: Array<number | { nullWhen: number; shape: Shape }>;
}

class Unsupported extends Error {}

/** The statement for `findMany(args)` on `model`, or null when it uses something outside the supported subset. */
export function compile(model: string, args: Args, scope: Pick<ReadScope, "tenantId" | "filter">): Compiled | null {
  try {
    return build(model, args, scope);
  } catch (err) {
    if (err instanceof Unsupported) return null;
    throw err;
  }
}

const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;

function build(model: string, args: Args, scope: Pick<ReadScope, "tenantId" | "filter">): Compiled {
  const root = models.get(model);
  if (!root) throw new Unsupported();
  for (const key of Object.keys(args)) if (!TOP_LEVEL.has(key) && args[key] !== undefined) throw new Unsupported();
  if (!args.select || typeof args.select !== "object") throw new Unsupported();

  const { values, param } = parameters();
  const columns: string[] = [];
  const joins: string[] = [];
  let aliases = 0;

  const selectInto = (m: Model, alias: string, select: Args): Shape => {
    const shape: Shape = { keys: [], parts: [] };
    for (const [key, wanted] of Object.entries(select)) {
      if (wanted === false || wanted === undefined) continue;
      const field = m.fields.get(key);
      if (!field || (field.isList && field.kind === "object")) throw new Unsupported();
      if (field.kind === "object") {
        const from = field.relationFromFields;
        const target = models.get(field.type);
        if (!from || from.length !== 1 || !target || !target.fields.get("id")) throw new Unsupported();
        const nested = wanted === true ? allScalars(target) : nestedSelect(wanted);
        const joined = `r${++aliases}`;
        joins.push(`LEFT JOIN ${ident(field.type)} ${joined} ON ${joined}."id" = ${alias}.${ident(from[0]!)}`);
        const inner = selectInto(target, joined, nested);
        // the related row is absent when its key is null: the key's column, selected for it if it is not already
        const id = inner.parts[inner.keys.indexOf("id")];
        const nullWhen = typeof id === "number" ? id : columns.push(`${joined}."id"`) - 1;
        shape.keys.push(key);
        shape.parts.push({ nullWhen, shape: inner });
      } else {
        if (wanted !== true || !readable(field)) throw new Unsupported();
        columns.push(`${alias}.${ident(key)}`);
        shape.keys.push(key);
        shape.parts.push(columns.length - 1);
      }
    }
    return shape;
  };
  const shape = selectInto(root, "t", args.select as Args);

  const conditions: string[] = [];
  if (args.where !== undefined) {
    const where = whereSql(root, "t", args.where as Args, param);
    if (where) conditions.push(where);
  }
  if (root.tenantScoped && scope.filter) conditions.push(`t."tenantId" = ${param(scope.tenantId)}`);

  const take = args.take === undefined ? undefined : Number(args.take);
  const skip = args.skip === undefined ? 0 : Number(args.skip);
  if ((take !== undefined && !Number.isInteger(take)) || !Number.isInteger(skip) || skip < 0) throw new Unsupported();
  const backwards = take !== undefined && take < 0;

  const order = orderOf(root, args.orderBy, backwards);
  let cursorJoin = "";
  if (args.cursor !== undefined) {
    const cursor = args.cursor as Args;
    if (!cursor || Object.keys(cursor).length !== 1 || typeof cursor.id !== "string" || !order.length) throw new Unsupported();
    // the cursor row's sort keys, read once; no such row: no rows (as Prisma)
    cursorJoin = ` JOIN (SELECT ${order.map(([f], i) => `${ident(f)} AS c${i}`).join(", ")} FROM ${ident(model)} WHERE "id" = ${param(cursor.id)}) c ON true`;
    // from the cursor row on, in the order: for each key, the earlier keys equal and this one past (or equal, last)
    const terms = order.map(([, dir], i) => {
      const equal = order.slice(0, i).map(([f], j) => `t.${ident(f)} = c.c${j}`);
      const op = i === order.length - 1 ? (dir === "asc" ? ">=" : "<=") : dir === "asc" ? ">" : "<";
      return [...equal, `t.${ident(order[i]![0])} ${op} c.c${i}`].join(" AND ");
    });
    conditions.push(`(${terms.map((t) => `(${t})`).join(" OR ")})`);
  }

  let text = `SELECT ${columns.join(", ")} FROM ${ident(model)} t${cursorJoin}${joins.length ? " " + joins.join(" ") : ""}`;
  if (conditions.length) text += ` WHERE ${conditions.join(" AND ")}`;
  if (order.length) text += ` ORDER BY ${order.map(([f, dir]) => `t.${ident(f)} ${dir === "asc" ? "ASC" : "DESC"}`).join(", ")}`;
  if (take !== undefined) text += ` LIMIT ${param(Math.abs(take))}`;
  if (skip) text += ` OFFSET ${param(skip)}`;
  return { text, values, shape, reverse: backwards };
}

const TOP_LEVEL = new Set(["select", "where", "orderBy", "take", "skip", "cursor"]);

function nestedSelect(wanted: unknown): Args {
  if (!wanted || typeof wanted !== "object") throw new Unsupported();
  const keys = Object.keys(wanted);
  if (keys.some((k) => k !== "select") || !(wanted as Args).select) throw new Unsupported();
  return (wanted as Args).select as Args;
}

function allScalars(m: Model): Args {
  const select: Args = {};
  for (const f of m.fields.values()) if (f.kind !== "object") select[f.name] = true;
  return select;
}

/** The sort keys in SQL order (flipped when reading backwards); nullable or non-scalar keys are not supported. */
function orderOf(m: Model, orderBy: unknown, flip: boolean): Array<[string, "asc" | "desc"]> {
  if (orderBy === undefined) return [];
  const list = Array.isArray(orderBy) ? orderBy : [orderBy];
  return list.map((entry) => {
    const pairs = Object.entries(entry as Args);
    if (pairs.length !== 1) throw new Unsupported();
    const [name, dir] = pairs[0]!;
    const field = m.fields.get(name);
    if (!field || field.kind === "object" || field.isList || !field.isRequired || (dir !== "asc" && dir !== "desc")) throw new Unsupported();
    return [name, flip ? (dir === "asc" ? "desc" : "asc") : dir];
  });
}

const OPERATORS: Record<string, string> = { equals: "=", gt: ">", gte: ">=", lt: "<", lte: "<=" };

function whereSql(m: Model, alias: string, where: Args, param: (v: unknown) => string): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === "AND" || key === "OR") {
      const list = (Array.isArray(value) ? value : [value]) as Args[];
      const inner = list.map((w) => whereSql(m, alias, w, param) || "TRUE");
      if (key === "OR") parts.push(inner.length ? `(${inner.map((s) => `(${s})`).join(" OR ")})` : "FALSE");
      else if (inner.length) parts.push(inner.map((s) => `(${s})`).join(" AND "));
      continue;
    }
    const field = m.fields.get(key);
    if (!field || field.kind === "object" || field.isList || (field.kind === "scalar" && !SCALARS.has(field.type))) throw new Unsupported();
    const column = `${alias}.${ident(key)}`;
    if (value === null) parts.push(`${column} IS NULL`);
    else if (value instanceof Date || typeof value !== "object") parts.push(`${column} = ${param(value)}`);
    else parts.push(...filterSql(column, field, value as Args, param));
  }
  return parts.join(" AND ");
}

function filterSql(column: string, field: Field, filter: Args, param: (v: unknown) => string): string[] {
  const parts: string[] = [];
  const mode = filter.mode;
  if (mode !== undefined && (mode !== "insensitive" || filter.contains === undefined)) throw new Unsupported();
  for (const [op, value] of Object.entries(filter)) {
    if (op === "mode" || value === undefined) continue;
    if (op === "in") {
      if (!Array.isArray(value) || value.some((v) => v === null || typeof v === "object")) throw new Unsupported();
      parts.push(value.length ? `${column} = ANY(${param(value)})` : "FALSE");
    } else if (op === "contains") {
      if (typeof value !== "string" || field.type !== "String") throw new Unsupported();
      // as Prisma sends it: the text between two %, unescaped (the callers escape LIKE's own characters: schema/common.ts textSearch)
      const pattern = `%${value}%`;
      parts.push(`${column} ${mode === "insensitive" ? "ILIKE" : "LIKE"} ${param(pattern)}`);
    } else if (OPERATORS[op]) {
      if (value === null) {
        if (op !== "equals") throw new Unsupported();
        parts.push(`${column} IS NULL`);
      } else if (value instanceof Date || typeof value !== "object") parts.push(`${column} ${OPERATORS[op]} ${param(value)}`);
      else throw new Unsupported();
    } else throw new Unsupported();
  }
  return parts;
}

// Prisma's DateTime is UTC whatever the column: `timestamp` (without time zone) and `date` read as UTC instants
const TIMESTAMP = 1114;
const TIMESTAMPTZ = 1184;
const DATE = 1082;
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === TIMESTAMP) return (s: string) => new Date(`${s.replace(" ", "T")}Z`);
    if (oid === DATE) return (s: string) => new Date(`${s}T00:00:00.000Z`);
    if (oid === TIMESTAMPTZ) return (s: string) => new Date(s.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00"));
    return pg.types.getTypeParser(oid, format ?? "text");
  },
};

/**
 * A named (prepared) statement per distinct text: each connection parses it once and PostgreSQL keeps its plan
 * (re-planned when the role differs, as row-level security depends on it; the tenant is read at run time). A board's
 * statement texts are few (its selections and filters), so the names are too.
 */
const names = new Map<string, string>();
function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    if (names.size >= 10_000) names.clear();
    name = `h2o_read_${createHash("sha256").update(text).digest("base64url").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

async function run(scope: ReadScope, compiled: Compiled): Promise<Row[]> {
  const config: pg.QueryArrayConfig = { name: nameOf(compiled.text), text: compiled.text, values: compiled.values, rowMode: "array", types };
  scope.report?.(compiled.text, compiled.values);
  const pool = scope.pool();
  const send = () => withSettings(appSettings(scope.tenantId), () => pool.query(config));
  const result = tracing.span
    ? await tracing.span("pg.query", { "db.system.name": "postgresql", "db.query.text": compiled.text }, undefined, send)
    : await send();
  const rows = result.rows.map((columns) => toRow(columns, compiled.shape));
  return compiled.reverse ? rows.reverse() : rows;
}

function toRow(columns: unknown[], shape: Shape): Row {
  const row: Row = {};
  for (let i = 0; i < shape.keys.length; i++) {
    const part = shape.parts[i]!;
    row[shape.keys[i]!] = typeof part === "number" ? columns[part] : columns[part.nullWhen] === null ? null : toRow(columns, part.shape);
  }
  return row;
}
