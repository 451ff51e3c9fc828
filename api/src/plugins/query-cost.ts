import { isListType, isNonNullType, type DocumentNode, type GraphQLOutputType, type GraphQLSchema } from "graphql";
import { getComplexity, simpleEstimator, type ComplexityEstimator } from "graphql-query-complexity";
import { AppError, ErrorCode } from "../errors.ts";
import { DEFAULT_PAGE_SIZE } from "../schema/plugins/connection-rules.ts";

/** A list that is not a connection (e.g. `nodes(ids:)`, `webhookEventTypes`): its size is unknown, assume this many. */
const LIST_SIZE = 10;

const isList = (type: GraphQLOutputType): boolean => isListType(isNonNullType(type) ? type.ofType : type);

/**
 * A connection's selection runs once per item of the page: its cost counts `first` (or `last`, or the default
 * page size) times, its `edges` once more; a plain list's counts LIST_SIZE times (or once per id of `ids`). Every field
 * costs 1.
 */
const pageEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  if (field.args.some((a) => a.name === "first")) {
    const size = typeof args.first === "number" ? args.first : typeof args.last === "number" ? args.last : DEFAULT_PAGE_SIZE;
    return 1 + childComplexity * Math.max(size, 1);
  }
  // a connection's `edges` and `nodes`: the page, already counted by the connection field
  if (type.name.endsWith("Connection")) return 1 + childComplexity;
  if (isList(field.type)) return 1 + childComplexity * (Array.isArray(args.ids) ? args.ids.length : LIST_SIZE);
};

/**
 * The cost of running `document`'s operation with these variables: the number of field resolutions it may make at
 * most, pages counted at their requested size. Needs the variables, so it is checked at execution (HTTP) or when
 * a WebSocket operation starts, not by a validation rule. Null when the operation cannot be costed (an invalid
 * document or variables: execution reports those itself).
 */
export function queryCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null | undefined, operationName?: string | null): number | null {
  // yoga's parse cache hands the same DocumentNode to every request of the same text: its cost for the same
  // variables and operation is computed once (a few per document are kept; variables that vary a lot fall through)
  const key = costKey(variables, operationName);
  if (key === null) return computeCost(schema, document, variables, operationName);
  let known = costs.get(document);
  if (known?.has(key)) return known.get(key)!;
  const cost = computeCost(schema, document, variables, operationName);
  if (!known) costs.set(document, (known = new Map()));
  if (known.size >= COSTS_PER_DOCUMENT) known.delete(known.keys().next().value!);
  known.set(key, cost);
  return cost;
}

/**
 * The cache key of an operation's cost, or null for variables not worth keeping (longer than MAX_KEY_LENGTH: they
 * would hold up to COSTS_PER_DOCUMENT copies of a large body per document) or that cannot be serialized (JSON nested
 * deeper than JSON.stringify's recursion goes: JSON.parse takes it, stringify overflows the stack).
 */
function costKey(variables: Record<string, unknown> | null | undefined, operationName?: string | null): string | null {
  let json = "";
  try {
    json = variables ? JSON.stringify(variables) : "";
  } catch {
    return null;
  }
  return json.length > MAX_KEY_LENGTH ? null : `${operationName ?? ""}\u0000${json}`;
}
const MAX_KEY_LENGTH = 4_096;

/** Costs already computed, per parsed document (weakly held: a document evicted from yoga's cache takes its costs along). */
const costs = new WeakMap<DocumentNode, Map<string, number | null>>();
const COSTS_PER_DOCUMENT = 32;

function computeCost(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown> | null | undefined, operationName?: string | null): number | null {
  try {
    return getComplexity({
      schema,
      query: document,
      variables: variables ?? {},
      ...(operationName ? { operationName } : {}),
      estimators: [pageEstimator, simpleEstimator({ defaultComplexity: 1 })],
    });
  } catch {
    return null;
  }
}

/** QUERY_TOO_COMPLEX when the operation's cost exceeds `max`; null when it may run. */
export function costRefusal(cost: number | null, max: number): AppError | null {
  if (cost === null || cost <= max) return null;
  return new AppError(ErrorCode.QUERY_TOO_COMPLEX, `query cost ${cost} exceeds the limit of ${max}: ask for smaller pages or fewer fields`, {
    details: { cost, maxCost: max },
  });
}
