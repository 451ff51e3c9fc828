import { createHash } from "node:crypto";
import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult, type GraphQLError } from "graphql";
import type { Context } from "../context.ts";
import { maskError } from "../errors.ts";

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;

const MAX_SHARED = 5_000;
const shared = new Map<string, Promise<ExecutionResult>>();

/**
 * What makes two subscribers' results for one event identical: the same operation and variables, read in the same
 * tenant with the same rights. Subscription payloads hold no per-caller field (no `viewer`), so it is enough.
 */
export function shareKeyOf(ctx: Context, params: { query: string; variables?: unknown; operationName?: string | null }): string {
  const rights = ctx.principal?.kind === "api_key" ? `key:${[...ctx.permissions].sort().join(",")}` : `role:${[...ctx.permissions].sort().join(",")}`;
  return createHash("sha1").update(`${ctx.tenant?.id}|${rights}|${params.operationName ?? ""}|${params.query}|${JSON.stringify(params.variables ?? null)}`).digest("base64url");
}

/**
 * A subscription whose per-event execution is shared: the first subscriber to take an event executes the
 * selection; every other subscriber with the same share key gets that same result instead of executing it again
 * (fan-out costs one execution per distinct subscription, not one per socket). Errors creating the stream are
 * masked like HTTP errors (only AppErrors and GraphQL's own reach the client).
 */
export async function sharedSubscribe(args: ExecutionArgs, shareKey: string): Promise<Result> {
  const source = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in source)) return { ...source, errors: source.errors?.map(mask) };
  return mapShared((source as AsyncIterable<unknown>)[Symbol.asyncIterator](), args, shareKey);
}

/** One event's result, as graphql-js's own subscribe maps it (`execute` with the event as root), errors masked. */
async function executeEvent(args: ExecutionArgs, event: unknown): Promise<ExecutionResult> {
  const result = await execute({ ...args, rootValue: event });
  return result.errors ? { ...result, errors: result.errors.map(mask) } : result;
}

/**
 * The results of `source`'s events. An iterator object, not an async generator: a generator's `return()` waits
 * until the generator reaches a `yield`, and this one waits inside `source.next()` for an event that may never come;
 * so a client that went away would keep its pubsub listener (and its operation counted) until the topic's next event.
 * Here `return()` ends the source at once, which also settles the pending `next()`.
 */
function mapShared(source: AsyncIterator<unknown>, args: ExecutionArgs, shareKey: string): AsyncIterableIterator<ExecutionResult> {
  const end = async (): Promise<IteratorResult<ExecutionResult>> => {
    await source.return?.();
    return { value: undefined, done: true };
  };
  return {
    async next() {
      const r = await source.next();
      return r.done ? { value: undefined, done: true } : { value: await resultOf(r.value, args, shareKey), done: false };
    },
    return: end,
    async throw(err) {
      await end();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

/** An event's result: executed once per event and share key, then reused by every other subscriber with that key. */
function resultOf(event: unknown, args: ExecutionArgs, shareKey: string): Promise<ExecutionResult> {
  const id = (event as { id?: unknown } | null)?.id;
  if (typeof id !== "string") return executeEvent(args, event);
  const key = `${id}|${shareKey}`;
  let result = shared.get(key);
  if (!result) {
    result = executeEvent(args, event);
    shared.set(key, result);
    if (shared.size > MAX_SHARED) shared.delete(shared.keys().next().value!);
  }
  return result;
}

const mask = (error: GraphQLError) => maskError(error);
