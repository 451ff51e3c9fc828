import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
} from "graphql";
import { encodeGlobalID } from "@pothos/plugin-relay";

type JsonSchema = Record<string, unknown>;
type Row = Record<string, unknown>;

/**
 * How one GraphQL object type is written into webhook payloads: the fixed selection (every argument-free field of
 * the type, related Node objects as `{ id }`), its JSON Schema, and `serialize(row)`, which produces exactly what
 * `node(id:) { ...on Type { <selection> } }` answers for that row. All three are derived from the built schema's own
 * fields, resolvers and scalar/enum serializers, so the API, the payloads and the catalog cannot drift.
 *
 * Guarantees: `serialize` reads only the row it is given (no SQL: related objects come from the row's foreign key),
 * so it is right for `previous` (the row before the change) and for deletions, and costs microseconds per event.
 */
export interface PayloadShape {
  typeName: string;
  selection: string;
  jsonSchema: JsonSchema;
  serialize(row: Row): Promise<Row>;
}

type Field = GraphQLField<unknown, unknown>;
interface Plan {
  name: string;
  field: Field;
  nullable: boolean;
  list: boolean;
  /** leaf, related Node (`{ id }` from a foreign key), or a nested plain object (recurse). */
  kind: { leaf: true } | { node: string; foreignKey: string } | { object: Plan[] };
}

const nodeName = "Node";
const scalarSchemas: Record<string, JsonSchema> = {
  ID: { type: "string" },
  String: { type: "string" },
  Int: { type: "integer" },
  Float: { type: "number" },
  Boolean: { type: "boolean" },
  DateTime: { type: "string", format: "date-time" },
  Date: { type: "string", format: "date" },
};

const implementsNode = (type: GraphQLObjectType) => type.getInterfaces().some((i) => i.name === nodeName);

/**
 * A payload field is one a partner can select without arguments, and that is not a connection or a list of related
 * rows (read those with `node(id:)`), nor a figure computed at read time rather than the entity's state (a field
 * with `extensions: { webhookPayload: false }`, such as `WebhookEndpoint.health`).
 */
function planType(type: GraphQLObjectType, depth = 0): Plan[] {
  const plans: Plan[] = [];
  for (const field of Object.values(type.getFields())) {
    if (field.args.length || field.deprecationReason || field.extensions?.webhookPayload === false) continue;
    const inner = getNullableType(field.type) as GraphQLOutputType;
    const list = isListType(inner);
    const named = getNamedType(field.type);
    const base = { name: field.name, field, nullable: !isNonNullType(field.type), list };
    if (isScalarType(named) || isEnumType(named)) plans.push({ ...base, kind: { leaf: true } });
    else if (isObjectType(named) && implementsNode(named)) {
      const relation = field.extensions?.pothosPrismaRelationField as { relationFromFields?: readonly string[] } | undefined;
      const foreignKey = !list && relation?.relationFromFields?.length === 1 ? relation.relationFromFields[0] : undefined;
      if (foreignKey) plans.push({ ...base, kind: { node: named.name, foreignKey } });
    } else if (isObjectType(named) && !isInterfaceType(named) && !field.extensions?.pothosPrismaRelationField && depth < 2) plans.push({ ...base, kind: { object: planType(named, depth + 1) } });
  }
  return plans;
}

const selectionOf = (plans: Plan[]): string =>
  plans.map((p) => ("leaf" in p.kind ? p.name : "node" in p.kind ? `${p.name} { id }` : `${p.name} { ${selectionOf(p.kind.object)} }`)).join(" ");

function schemaOf(plans: Plan[], schema: GraphQLSchema): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const p of plans) {
    const named = getNamedType(p.field.type);
    let item: JsonSchema =
      "leaf" in p.kind
        ? isEnumType(named)
          ? { type: "string", enum: named.getValues().map((v) => v.name) }
          : (scalarSchemas[named.name] ?? {})
        : "node" in p.kind
          ? { type: "object", properties: { id: { type: "string", description: `The ${p.kind.node}'s global ID (node(id:)).` } }, required: ["id"] }
          : schemaOf(p.kind.object, schema);
    if (p.list) item = { type: "array", items: item };
    if (p.nullable) item = { anyOf: [item, { type: "null" }] };
    properties[p.name] = p.field.description ? { ...item, description: p.field.description } : item;
  }
  return { type: "object", properties, required: plans.map((p) => p.name) };
}

/** The field's own resolver, before the plugins' wrapping (authorization, Prisma loading): a function of the row. */
function resolveField(plan: Plan, row: Row, parentType: GraphQLObjectType, schema: GraphQLSchema): unknown {
  const original = (plan.field.extensions?.pothosOriginalResolve ?? plan.field.resolve) as Field["resolve"];
  if (!original) return row[plan.name];
  const info = { fieldName: plan.name, parentType, schema, path: { key: plan.name, prev: undefined, typename: parentType.name } } as unknown as GraphQLResolveInfo;
  return original(row, {}, {}, info);
}

async function serializeWith(plans: Plan[], row: Row, type: GraphQLObjectType, schema: GraphQLSchema): Promise<Row> {
  const out: Row = {};
  for (const p of plans) {
    if ("node" in p.kind) {
      const fk = row[p.kind.foreignKey];
      out[p.name] = fk == null ? null : { id: encodeGlobalID(p.kind.node, String(fk)) };
      continue;
    }
    const value = await resolveField(p, row, type, schema);
    const one = async (v: unknown): Promise<unknown> => {
      if (v == null) return null;
      if ("object" in p.kind) return serializeWith(p.kind.object, v as Row, getNamedType(p.field.type) as GraphQLObjectType, schema);
      const named = getNamedType(p.field.type);
      return isScalarType(named) || isEnumType(named) ? named.serialize(v) : v;
    };
    out[p.name] = value == null ? null : p.list ? await Promise.all((value as unknown[]).map(one)) : await one(value);
  }
  return out;
}

/** The payload shape of a type of the built schema (see {@link PayloadShape}). Throws for an unknown or non-object type. */
export function payloadShape(schema: GraphQLSchema, typeName: string): PayloadShape {
  const type = schema.getType(typeName);
  if (!isObjectType(type)) throw new Error(`vocabulary: ${typeName} is not an object type of the schema`);
  const plans = planType(type);
  return {
    typeName,
    selection: selectionOf(plans),
    jsonSchema: { ...schemaOf(plans, schema), title: typeName, description: type.description ?? undefined },
    serialize: (row) => serializeWith(plans, row, type, schema),
  };
}
