import type { IncomingMessage, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { execute, type ExecutionResult, type GraphQLError } from "graphql";
import type { RequestLimiter } from "../auth/request-limiter.ts";
import { rateSubject } from "../auth/request-limiter.ts";
import type { Context } from "../context.ts";
import type { Env } from "../env.ts";
import { AppError, ErrorCode, maskError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { schema } from "../schema/index.ts";
import { cellOf, EXPORT_PAGE_SIZE, exportDocument, exportLists, isExportName, type ExportName } from "./lists.ts";

export const EXPORTS_PREFIX = "/exports/";

export interface ExportDeps {
  env: Env;
  limiter: RequestLimiter;
  createContext(headers: Headers): Promise<Context>;
  log: Logger;
}

interface Page {
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: Array<{ node: unknown }>;
}

const STATUS: Partial<Record<string, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, BAD_USER_INPUT: 400, NOT_FOUND: 404, RATE_LIMITED: 429 };

/**
 * `GET /exports/<list>.csv?filter=<JSON>&orderBy=<JSON>`: a list of the acting tenant as CSV, streamed.
 * 1. The list is read through its own GraphQL field (`jobs`, `bids`, `serviceCalls`, `builders`, `auditEvents`) with
 *    the caller's context (the same authentication, tenant, permissions and row-level security as `/graphql`), so
 *    the export's filters, order, capabilities and permissions are exactly the list's: `filter` and `orderBy` are
 *    that field's arguments as JSON, checked by GraphQL itself.
 * 2. The first page is read before anything is sent: a refusal (401, 403, 400, 429) is a JSON error body with
 *    `extensions.code`, as on `/graphql`. The export takes one request from the caller's rate budget.
 * 3. Then pages of EXPORT_PAGE_SIZE rows, by the connection's cursor, each read when the client has taken the rows
 *    before it (backpressure): memory holds a page or two, whatever the list's size; a client that goes away stops it.
 * 4. A failure after the first row cannot change the status any more: the response is cut off (no final chunk), so a
 *    client never mistakes a partial export for a whole one.
 * Pages are separate reads: rows changed while an export runs may be missed or appear twice (as when paging by hand).
 */
export async function exportRoute(req: IncomingMessage, res: ServerResponse, url: URL, deps: ExportDeps): Promise<void> {
  const name = /^\/exports\/([a-z-]+)\.csv$/.exec(url.pathname)?.[1];
  if (!name || !isExportName(name)) return sendError(res, new AppError(ErrorCode.NOT_FOUND, `no such export: the lists are ${Object.keys(exportLists).map((n) => `${n}.csv`).join(", ")}`));
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.setHeader("allow", "GET, HEAD");
    return sendError(res, new AppError(ErrorCode.BAD_USER_INPUT, "exports are read with GET"), 405);
  }
  const variables = variablesOf(name, url.searchParams);
  if (variables instanceof AppError) return sendError(res, variables);

  const ctx = await deps.createContext(headersOf(req));
  if (ctx.authError) return sendError(res, ctx.authError);
  const subject = rateSubject(ctx, deps.env);
  if (subject) {
    const decision = await deps.limiter.take(subject);
    if (!decision.allowed) {
      res.setHeader("retry-after", String(decision.resetSeconds));
      return sendError(res, new AppError(ErrorCode.RATE_LIMITED, `rate limit of ${decision.limit} requests a minute reached: try again in ${decision.resetSeconds} s`));
    }
  }

  const read = (after: string | null) => readPage(name, ctx, { ...variables, after }, deps);
  const first = await read(null);
  if (first instanceof Error) return sendError(res, first);

  // loaded on the first export: a process that serves none never loads it
  const { stringify } = await import("csv-stringify");
  const columns = exportLists[name].columns;
  res.writeHead(200, {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="${name}-${new Date().toISOString().slice(0, 10)}.csv"`,
    "cache-control": "no-store",
  });
  if (req.method === "HEAD") return void res.end();

  async function* rows(): AsyncGenerator<unknown[]> {
    let page: Page = first as Page;
    for (;;) {
      for (const { node } of page.edges) yield columns.map((path) => cellOf(node, path));
      if (!page.pageInfo.hasNextPage || !page.pageInfo.endCursor) return;
      const next = await read(page.pageInfo.endCursor);
      if (next instanceof Error) throw next;
      page = next;
    }
  }

  try {
    await pipeline(Readable.from(rows(), { highWaterMark: EXPORT_PAGE_SIZE }), stringify({ header: true, columns: [...columns], cast: { boolean: (b) => String(b) } }), res);
  } catch (err) {
    if (!res.destroyed) deps.log.error({ err, export: name }, "export failed after its first row: response cut off");
    res.destroy();
  }
}

/** The list's `filter` and `orderBy` from the query string (JSON each); any other parameter is refused. */
function variablesOf(name: ExportName, params: URLSearchParams): Record<string, unknown> | AppError {
  const allowed = "orderType" in exportLists[name] ? ["filter", "orderBy"] : ["filter"];
  const variables: Record<string, unknown> = { first: EXPORT_PAGE_SIZE };
  for (const [key, value] of params) {
    if (!allowed.includes(key)) return new AppError(ErrorCode.BAD_USER_INPUT, `unknown parameter ${key}: ${name}.csv takes ${allowed.join(" and ")} (JSON)`, { field: [key] });
    try {
      variables[key] = JSON.parse(value);
    } catch {
      return new AppError(ErrorCode.BAD_USER_INPUT, `${key} is not JSON`, { field: [key] });
    }
  }
  return variables;
}

async function readPage(name: ExportName, ctx: Context, variableValues: Record<string, unknown>, deps: ExportDeps): Promise<Page | GraphQLError> {
  const result = (await execute({ schema, document: exportDocument(name), variableValues, contextValue: ctx })) as ExecutionResult<{ page: Page | null }>;
  const error = result.errors?.[0];
  if (error) return maskError(error, { exposeDetails: deps.env.NODE_ENV === "development", onUnexpected: (err) => deps.log.error({ err, export: name }, "export query failed") });
  return result.data!.page!;
}

function sendError(res: ServerResponse, error: GraphQLError, status?: number) {
  const { http, ...extensions } = (error.extensions ?? {}) as { http?: { headers?: Record<string, string> }; code?: unknown };
  const code = String(extensions.code ?? ErrorCode.INTERNAL_SERVER_ERROR);
  // the error's own headers (a 401's WWW-Authenticate), as yoga sends them on /graphql
  res.writeHead(status ?? STATUS[code] ?? 500, { ...http?.headers, "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify({ errors: [{ message: error.message, extensions: { ...extensions, code } }] }));
}

function headersOf(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(", ") : v);
  return headers;
}
