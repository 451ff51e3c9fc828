import fc from "fast-check";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from "graphql";

/** fast-check's imperative generator (`fc.gen()`): draws a value from an arbitrary, shrinkably. */
type Gen = fc.GeneratorValue;

export interface FuzzOperation {
  query: string;
  variables: Record<string, unknown>;
}

/** Whatever a client could put in a JSON variable: numbers, strings, nulls, nested arrays and objects. */
const garbage = () => fc.jsonValue({ maxDepth: 3 });

/**
 * Operations generated against `schema`: a random root field of a random operation type, with random selections of
 * real fields (unions and interfaces through inline fragments, now and then an unknown field or a repeated alias)
 * down to `maxDepth`, and arguments that are sometimes right, sometimes of the wrong type, sometimes variables whose
 * declared type or value is wrong. Most documents are valid, so that execution, not only validation, is exercised.
 */
export function operation(schema: GraphQLSchema, g: Gen, maxDepth = 4): FuzzOperation {
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter((t): t is GraphQLObjectType => Boolean(t));
  const root = roots[g(() => fc.constantFrom(0, 0, 0, 0, 1, 1, 2)) % roots.length]!;
  const keyword = root === schema.getMutationType() ? "mutation" : root === schema.getSubscriptionType() ? "subscription" : "query";
  // half the documents are hostile (wrong argument types, garbage variables, unknown fields); the others are meant
  // to be valid, so that they run
  const hostile = g(() => fc.boolean());
  const declared: string[] = [];
  const variables: Record<string, unknown> = {};

  function selection(type: GraphQLNamedType, depth: number): string {
    if (isLeafType(type)) return "";
    if (isUnionType(type) || isInterfaceType(type)) {
      const possible = schema.getPossibleTypes(type);
      const picked = g(() => fc.subarray(possible.map((p) => p.name), { minLength: 0, maxLength: Math.min(2, possible.length) }));
      return `{ __typename ${picked.map((p) => `... on ${p} ${selection(schema.getType(p)!, depth)}`).join(" ")} }`;
    }
    if (!isObjectType(type)) return "";
    const fields = type.getFields();
    if (depth >= maxDepth) {
      const leaves = Object.values(fields).filter((f) => isLeafType(getNamedType(f.type)) && !f.args.some((a) => isNonNullType(a.type)));
      return `{ ${leaves.length ? leaves[g(() => fc.nat(leaves.length - 1))]!.name : "__typename"} }`;
    }
    const picked = g(() => fc.subarray(Object.keys(fields), { minLength: 1, maxLength: Math.min(3, Object.keys(fields).length) }));
    const parts = picked.map((name) => field(fields[name]!, depth));
    if (hostile && g(() => fc.nat(9)) === 0) parts.push(g(() => fc.constantFrom("nope", "__schema { queryType { name } }", "id: __typename")));
    return `{ ${parts.join(" ")} }`;
  }

  function field(f: GraphQLField<unknown, unknown>, depth: number): string {
    const alias = g(() => fc.nat(4)) === 0 ? `a${g(() => fc.nat(3))}: ` : "";
    const args = f.args.map((a) => argument(a)).filter(Boolean);
    return `${alias}${f.name}${args.length ? `(${args.join(", ")})` : ""} ${selection(getNamedType(f.type), depth + 1)}`;
  }

  function argument(a: GraphQLArgument): string {
    const how = g(() => fc.constantFrom("valid", "valid", "valid", "omit", "variable", "variable", ...(hostile ? ["wrong" as const] : [])));
    if (how === "omit" && !isNonNullType(a.type)) return "";
    if (how === "variable") {
      const name = `v${declared.length}`;
      const type = hostile && g(() => fc.nat(4)) === 0 ? g(() => fc.constantFrom("Int", "String!", "[ID]", "Boolean")) : String(a.type);
      declared.push(`$${name}: ${type}`);
      variables[name] = hostile && g(() => fc.nat(2)) === 0 ? g(garbage) : value(a.type, 0);
      return `${a.name}: $${name}`;
    }
    return `${a.name}: ${literal(how === "wrong" ? g(garbage) : value(a.type, 0), a.type)}`;
  }

  /** A value that fits `type` most of the time (as JSON; enums as their names). */
  function value(type: GraphQLInputType, depth: number, nonNull = false): unknown {
    if (isNonNullType(type)) return value(type.ofType, depth, true);
    if (!nonNull && g(() => fc.nat(19)) === 0) return null;
    if (isListType(type)) return depth > 2 ? [] : Array.from({ length: g(() => fc.nat(2)) }, () => value(type.ofType, depth + 1));
    if (isEnumType(type)) return g(() => fc.constantFrom(...type.getValues().map((v) => v.name)));
    if (isInputObjectType(type)) {
      const out: Record<string, unknown> = {};
      for (const f of Object.values(type.getFields())) if (isNonNullType(f.type) || g(() => fc.boolean())) out[f.name] = value(f.type, depth + 1);
      return out;
    }
    switch (type.name) {
      case "Int":
        return g(() => fc.oneof(fc.integer({ min: -2, max: 120 }), fc.integer()));
      case "Float":
        return g(() => fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }));
      case "Boolean":
        return g(() => fc.boolean());
      case "ID":
        return g(() => fc.oneof(fc.string(), fc.constantFrom("Sm9iOjE=", Buffer.from("Job:00000000-0000-4000-8000-000000000000").toString("base64"))));
      case "DateTime":
        return g(() => fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })).toISOString();
      case "Date":
        return hostile ? g(() => fc.constantFrom("2026-05-01", "2026-02-30", "yesterday", "")) : "2026-05-01";
      default:
        return g(() => (hostile ? fc.oneof(fc.string({ maxLength: 30 }), fc.emailAddress(), fc.webUrl()) : fc.oneof(fc.string({ maxLength: 30 }), fc.emailAddress())));
    }
  }

  const selected = selection(root, 0);
  const header = declared.length ? `(${declared.join(", ")})` : "";
  return { query: `${keyword} Fuzz${header} ${selected}`, variables };
}

/** A JSON value as a GraphQL literal: strings quoted, object keys made names, enum names bare where `type` is an enum. */
function literal(value: unknown, type?: GraphQLInputType): string {
  const named = type ? getNamedType(type) : undefined;
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return named && isEnumType(named) && /^[_A-Za-z]\w*$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const inner = type && (isNonNullType(type) ? type.ofType : type);
  if (Array.isArray(value)) return `[${value.map((v) => literal(v, inner && isListType(inner) ? inner.ofType : undefined)).join(", ")}]`;
  const fields = named && isInputObjectType(named) ? named.getFields() : {};
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${/^[_A-Za-z]\w*$/.test(k) ? k : `k${Buffer.from(k).toString("hex")}`}: ${literal(v, fields[k]?.type)}`)
    .join(", ")}}`;
}
