import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from "@pothos/core";
import type { GraphQLFieldResolver } from "graphql";
import { badInput } from "../../errors.ts";

/** The largest page a connection returns; asking for more is a BAD_USER_INPUT error, never a silent clamp. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * Connection rules, for Pothos:
 * - every field with connection arguments refuses `first`/`last` outside 0..MAX_PAGE_SIZE with BAD_USER_INPUT
 *   (field = the argument), on root and nested connections alike (Pothos's own `maxSize` silently clamps);
 * - plugin-prisma's `totalCount` fields get their description.
 * Registered right after scope-auth, so authorization still answers first.
 */
export class ConnectionRulesPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override onOutputFieldConfig(fieldConfig: PothosOutputFieldConfig<Types>): PothosOutputFieldConfig<Types> {
    if (fieldConfig.name !== "totalCount" || fieldConfig.description || !fieldConfig.extensions?.pothosPrismaTotalCount) return fieldConfig;
    return { ...fieldConfig, description: "How many items match the connection's filter, across all pages." };
  }

  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types["Context"], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types["Context"], object> {
    if (!("first" in fieldConfig.args && "last" in fieldConfig.args)) return resolver;
    return (parent, args, ctx, info) => {
      checkPageSize(args as { first?: unknown; last?: unknown });
      return resolver(parent, args, ctx, info);
    };
  }
}

function checkPageSize(args: { first?: unknown; last?: unknown }) {
  for (const name of ["first", "last"] as const) {
    const value = args[name];
    if (typeof value === "number" && (value < 0 || value > MAX_PAGE_SIZE))
      throw badInput(`${name} must be between 0 and ${MAX_PAGE_SIZE} (got ${value}); page through larger sets with cursors`, [name], {
        maxPageSize: MAX_PAGE_SIZE,
      });
  }
}

SchemaBuilder.registerPlugin("connectionRules", ConnectionRulesPlugin);

declare global {
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      connectionRules: ConnectionRulesPlugin<Types>;
    }
  }
}
