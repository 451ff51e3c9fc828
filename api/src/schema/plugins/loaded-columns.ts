import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import { Kind, type FieldNode, type GraphQLFieldResolver, type GraphQLResolveInfo, type SelectionSetNode } from "graphql";

/**
 * A column exposed on a Prisma object type (`t.exposeString("community")` and the like, in select mode) answers from
 * its row when the row has it. plugin-prisma wraps every such field to ask its selection map whether the plan that
 * loaded the row selected the column (a string key built from the response path, a few map lookups, per field of every
 * row: on the jobs board about a fifth of the request's CPU), and loads the row again when it did not. A column that
 * is on the row is the row's own value, whichever plan read it, and a scalar has nothing beneath it to map: the
 * lookup can only say "resolve from the row". So: a value on the row (null included) is answered at once; a
 * column the row lacks (undefined) goes through plugin-prisma as before, which loads it.
 *
 * The same holds for a to-one relation (`t.relation("builder")` on a Job) whose related row is on the parent row
 * (null included: no related row), when everything selected beneath it answers from that row without the map:
 * `__typename`, fields plugin-prisma does not wrap (the global `id`), and columns the related row has (checked on
 * each row, with the related type's own key columns). plugin-prisma would look the relation up in its map (about
 * six string keys and weak-map lookups per row: 30 % of the CPU of a page of 100 jobs with their builder's name) only
 * to record, for the fields beneath, a map none of them reads. A relation with arguments, a `query`, an `onNull`, or a
 * selection beneath with anything else (a relation, a connection, a computed field, a directive, a fragment on
 * another type) goes through plugin-prisma as before.
 *
 * Registered after scope-auth (authorization still wraps every field, and the related object's type is still checked)
 * and before plugin-prisma, so its wrapper is outside plugin-prisma's and skips it only when the data is at hand.
 * plugins/loaded-columns.test.ts, test/n-plus-one.test.ts (columns read, statements per request) and the domain tests
 * hold with it.
 */
export class LoadedColumnsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  /** How each field of each type resolves, recorded as the schema is built (every field passes through wrapResolve). */
  private readonly fields = new Map<string, Map<string, FieldResolution>>();

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    const column = plainColumn(fieldConfig);
    this.record(fieldConfig, column);
    if (column) {
      return (parent, args, ctx, info) => {
        const value = (parent as Record<string, unknown>)[column];
        return value !== undefined ? value : resolver(parent, args, ctx, info);
      };
    }
    const relation = this.plainRelation(fieldConfig);
    if (relation) {
      return (parent, args, ctx, info) => {
        const value = (parent as Record<string, unknown>)[relation.name];
        if (value === null || (value !== undefined && relation.answers(value as Record<string, unknown>, info))) return value;
        return resolver(parent, args, ctx, info);
      };
    }
    return resolver;
  }

  private record(fieldConfig: PothosOutputFieldConfig<Types>, column: string | null) {
    let fields = this.fields.get(fieldConfig.parentType);
    if (!fields) this.fields.set(fieldConfig.parentType, (fields = new Map()));
    // plugin-prisma wraps exactly the fields of Prisma objects that select something from the row
    const mapped = fieldConfig.kind === "PrismaObject" && !!fieldConfig.extensions?.pothosPrismaSelect;
    fields.set(fieldConfig.name, column ? { column } : mapped ? "mapped" : "free");
  }

  /** A to-one relation without arguments, `query` or `onNull`, to a Prisma object type: its name and its check. */
  private plainRelation(fieldConfig: PothosOutputFieldConfig<Types>) {
    const relation = fieldConfig.extensions?.pothosPrismaRelationField as { name?: string; isList?: boolean } | undefined;
    const options = fieldConfig.pothosOptions as { query?: unknown; onNull?: unknown };
    if (fieldConfig.kind !== "PrismaObject" || !relation?.name || relation.isList || fieldConfig.type.kind !== "Object") return null;
    if (Object.keys(fieldConfig.args).length || options.query !== undefined || options.onNull !== undefined) return null;
    const target = this.buildCache.getTypeConfig(fieldConfig.type.ref);
    if (target.kind !== "Object" || typeof target.extensions?.pothosPrismaModel !== "string") return null;
    const base = target.extensions.pothosPrismaSelect;
    // the related type's own selection (prismaNode `select: { id: true }`): what its unwrapped fields (the global id) read
    const keys = base && typeof base === "object" ? Object.keys(base as object).filter((k) => (base as Record<string, unknown>)[k] === true) : [];
    const typeName = target.name;
    // per field node: the columns the related row must have (its keys, then those selected beneath), or null
    const needed = new WeakMap<FieldNode, string[] | null>();
    const neededFor = (info: GraphQLResolveInfo): string[] | null => {
      const beneath = this.columnsBeneath(typeName, info);
      return beneath && [...keys, ...beneath];
    };
    const answers = (value: Record<string, unknown>, info: GraphQLResolveInfo): boolean => {
      const node = info.fieldNodes[0]!;
      let columns = info.fieldNodes.length === 1 ? needed.get(node) : undefined;
      if (columns === undefined) {
        columns = neededFor(info);
        if (info.fieldNodes.length === 1) needed.set(node, columns);
      }
      if (!columns) return false;
      for (const key of columns) if (value[key] === undefined) return false;
      return true;
    };
    return { name: relation.name, answers };
  }

  /**
   * The columns the selection beneath the field `info` resolves reads from its row (`typeName`'s), when every field
   * selected there answers from the row without plugin-prisma's map; else null.
   */
  private columnsBeneath(typeName: string, info: GraphQLResolveInfo): string[] | null {
    const fields = this.fields.get(typeName);
    if (!fields) return null;
    const columns: string[] = [];
    const visit = (set: SelectionSetNode | undefined, seen: Set<string>): boolean => {
      if (!set) return false;
      for (const selection of set.selections) {
        if (selection.directives?.length) return false;
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value === "__typename") continue;
          const resolution = fields.get(selection.name.value);
          if (!resolution || resolution === "mapped") return false;
          if (resolution !== "free") columns.push(resolution.column);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          if (selection.typeCondition && selection.typeCondition.name.value !== typeName) return false;
          if (!visit(selection.selectionSet, seen)) return false;
        } else {
          const fragment = info.fragments[selection.name.value];
          if (!fragment || fragment.typeCondition.name.value !== typeName || seen.has(fragment.name.value)) return false;
          if (!visit(fragment.selectionSet, new Set(seen).add(fragment.name.value))) return false;
        }
      }
      return true;
    };
    for (const node of info.fieldNodes) if (!visit(node.selectionSet, new Set())) return null;
    return columns;
  }
}

/** How a field resolves with respect to plugin-prisma's selection map. */
type FieldResolution = { column: string } | "free" | "mapped";

/** The column a field exposes as itself on a Prisma object in select mode (not a relation): null for any other field. */
function plainColumn<Types extends SchemaTypes>(fieldConfig: PothosOutputFieldConfig<Types>): string | null {
  const name = fieldConfig.extensions?.pothosExposedField;
  const select = fieldConfig.extensions?.pothosPrismaSelect as Record<string, unknown> | undefined;
  if (fieldConfig.kind !== "PrismaObject" || typeof name !== "string" || !select || select[name] !== true || fieldConfig.extensions?.pothosPrismaRelationField) {
    return null;
  }
  return name;
}

SchemaBuilder.registerPlugin("loadedColumns", LoadedColumnsPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      loadedColumns: LoadedColumnsPlugin<Types>;
    }
  }
}
