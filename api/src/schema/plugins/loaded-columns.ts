import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";

/**
 * A column exposed on a Prisma object type (`t.exposeString("community")` and the like, in select mode) answers from
 * its row when the row has it. plugin-prisma wraps every such field to ask its selection map whether the plan that
 * loaded the row selected the column (a string key built from the response path, a few map lookups, per field of every
 * row: on the jobs board about a fifth of the request's CPU), and loads the row again when it did not. A column that
 * is on the row is the row's own value, whichever plan read it, and a scalar has nothing beneath it to map: the
 * lookup can only say "resolve from the row". So: a value on the row (null included) is answered at once; a
 * column the row lacks (undefined) goes through plugin-prisma as before, which loads it.
 *
 * Registered after scope-auth (authorization still wraps every field) and before plugin-prisma, so its wrapper is
 * outside plugin-prisma's and skips it only when the column is at hand. test/n-plus-one.test.ts (columns read,
 * statements per request) and the domain tests hold with it.
 */
export class LoadedColumnsPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    const name = fieldConfig.extensions?.pothosExposedField;
    const select = fieldConfig.extensions?.pothosPrismaSelect as Record<string, unknown> | undefined;
    // only a plain column: selected as itself by the field, and not a relation (those carry their own loaded check)
    if (fieldConfig.kind !== "PrismaObject" || typeof name !== "string" || !select || select[name] !== true || fieldConfig.extensions?.pothosPrismaRelationField) {
      return resolver;
    }
    return (parent, args, ctx, info) => {
      const value = (parent as Record<string, unknown>)[name];
      return value !== undefined ? value : resolver(parent, args, ctx, info);
    };
  }
}

SchemaBuilder.registerPlugin("loadedColumns", LoadedColumnsPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      loadedColumns: LoadedColumnsPlugin<Types>;
    }
  }
}
