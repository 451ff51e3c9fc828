import {
  getNamedType, getNullableType, GraphQLEnumType, GraphQLInputObjectType, GraphQLNonNull, GraphQLScalarType,
  type GraphQLField, type GraphQLInputType, type GraphQLOutputType, isLeafType, isListType, isNonNullType, isObjectType,
} from "graphql";

/**
 * Calls of any root field generated from the schema (the isolation matrix and the authorization tests): every ID
 * (and list of IDs) set to one target, every other required value filled plausibly.
 */

/** The leaf fields (without required arguments) of a field's type, as a selection; empty for a leaf. */
export function leafSelection(type: GraphQLOutputType): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return "";
  if (!isObjectType(named)) return "{ __typename }";
  const leaves = Object.values(named.getFields()).filter((f) => isLeafType(getNamedType(f.type)) && !f.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)).map((f) => f.name);
  return `{ __typename ${leaves.join(" ")} }`;
}

/** A call of query or mutation field `name` with every ID (and list of IDs) set to `target` and every other required value filled plausibly. */
/** An ID for every ID, or one per argument or input field name. */
export type Target = string | ((name: string) => string);

export function call(kind: "query" | "mutation", name: string, field: GraphQLField<unknown, unknown>, target: Target, selection: string) {
  const defs: string[] = [];
  const uses: string[] = [];
  const variables: Record<string, unknown> = {};
  for (const arg of field.args) {
    if (!isNonNullType(arg.type) && getNamedType(arg.type).name !== "ID") continue;
    defs.push(`$${arg.name}: ${arg.type.toString()}`);
    uses.push(`${arg.name}: $${arg.name}`);
    variables[arg.name] = valueFor(arg.type, arg.name, target);
  }
  const query = `${kind}${defs.length ? `(${defs.join(", ")})` : ""} { ${name}${uses.length ? `(${uses.join(", ")})` : ""}${selection ? ` ${selection}` : ""} }`;
  return { query, variables };
}

export function valueFor(type: GraphQLInputType, name: string, target: Target): unknown {
  const id = () => (typeof target === "function" ? target(name) : target);
  const inner = getNullableType(type) as GraphQLInputType;
  if (isListType(inner)) return getNamedType(inner).name === "ID" ? [id()] : [];
  if (inner instanceof GraphQLEnumType) return inner.getValues()[0]!.name; // a variable takes the enum value's name
  if (inner instanceof GraphQLInputObjectType) {
    const out: Record<string, unknown> = {};
    for (const [key, f] of Object.entries(inner.getFields())) {
      const isId = getNamedType(f.type).name === "ID";
      if (isNonNullType(f.type) || isId) out[key] = valueFor(f.type, key, target);
    }
    return out;
  }
  if (inner instanceof GraphQLNonNull) return valueFor(inner.ofType, name, target);
  switch ((inner as GraphQLScalarType).name) {
    case "ID":
      return id();
    case "Int":
      return 1; // the version every seeded row has: a missed tenant check would let the update through
    case "Float":
      return 1;
    case "Boolean":
      return true;
    case "DateTime":
      return new Date(Date.now() + 86_400_000).toISOString();
    case "Date":
      return "2027-01-15";
    default:
      return name.toLowerCase().includes("email") ? "someone@example.com" : name.toLowerCase().includes("url") ? "https://example.com/hook" : "x";
  }
}
