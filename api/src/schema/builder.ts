import SchemaBuilder from "@pothos/core";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import ZodPlugin from "@pothos/plugin-zod";
import type { GraphQLResolveInfo } from "graphql";
import { DateResolver, DateTimeResolver } from "graphql-scalars";
import type { Action } from "../auth/permissions.ts";
import type { Context } from "../context.ts";
import { readingClient } from "../db/sql-read.ts";
import { isTenantScoped } from "../db/tenancy.ts";
import { startupNodeEnv } from "../env.ts";
import { hasCapability, type Capability } from "../domain/capabilities.ts";
import type PrismaTypes from "../generated/pothos-types.ts";
import { getDatamodel } from "../generated/pothos-types.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { authorizationError } from "./auth-errors.ts";
import { validationError } from "./validation-errors.ts";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "./plugins/connection-rules.ts";
import "./plugins/loaded-columns.ts";
import "./plugins/sync-global-id.ts";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    Date: { Input: Date; Output: Date };
    ID: { Input: string; Output: string | number };
  };
  AuthScopes: {
    /** Anyone, authenticated or not. */
    public: boolean;
    /** A user or an API key is calling (credentials accepted). */
    authenticated: boolean;
    /** A signed-in user (not an API key) is calling. */
    user: boolean;
    /** The caller acts for a tenant. */
    tenant: boolean;
    /** The caller's role (or API key's scopes) allows this action in the acting tenant: the permission table. */
    can: Action;
    /** The acting tenant has this capability (or, given a list, any of them) switched on in its configuration. */
    capability: Capability | Capability[];
  };
}>({
  // loadedColumns sits between scope-auth and plugin-prisma: its wrapper is inside authorization, outside plugin-prisma's
  plugins: [ScopeAuthPlugin, "connectionRules", "loadedColumns", PrismaPlugin, RelayPlugin, ZodPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: async (ctx) => ({
      public: true,
      authenticated: !!ctx.principal,
      user: ctx.principal?.kind === "user",
      tenant: !!ctx.tenant,
      can: (action) => !!ctx.tenant && ctx.permissions.has(action),
      capability: (wanted) => [wanted].flat().some((c) => hasCapability(ctx.tenant?.config, c)),
    }),
    unauthorizedError: (_parent, ctx, _info, result) => authorizationError(ctx, result),
    // subscription fields are authorized once, when subscribing (an unauthorized subscription never starts)
    authorizeOnSubscribe: true,
    // a type's scopes are checked once per object (when it is resolved to its type), not again on each of its
    // fields: a page of 25 jobs with 5 fields each is 25 checks, not 125; an unauthorized object is null with its error
    runScopesOnType: true,
  },
  zod: { validationError },
  prisma: {
    // The request's tenant-scoped client (see context.ts): every model query plugin-prisma makes is confined to the tenant;
    // its node lookups by id are batched statements of db/sql-read.ts
    client: (ctx) => readingClient(ctx.db) as unknown as PrismaClient,
    dmmf: getDatamodel(),
    exposeDescriptions: true,
    filterConnectionTotalCount: true,
    maxConnectionSize: MAX_PAGE_SIZE,
    defaultConnectionSize: DEFAULT_PAGE_SIZE,
    onUnusedQuery: startupNodeEnv === "production" ? null : "warn",
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: {
      description: "Fetches an object by its global ID (null when it does not exist for the acting tenant).",
      authScopes: { public: true },
      args: { id: { description: "A global ID." } },
      resolve: (_root, { id }, ctx, info, resolveNode) => (outsideTenant(id.typename, ctx, info) ? null : resolveNode(id)),
    },
    nodesQueryOptions: {
      description: "Fetches objects by their global IDs, in order (null for each that does not exist for the acting tenant).",
      authScopes: { public: true },
      args: { ids: { description: "Global IDs." } },
      resolve: async (_root, args, ctx, info, resolveNodes) => {
        const all = args.ids;
        const outside = all.map((id) => outsideTenant(id.typename, ctx, info));
        if (!outside.includes(true)) return resolveNodes(all);
        // plugin-relay's resolveNodes reads args.ids whatever it is given: narrow them there
        args.ids = all.filter((_, i) => !outside[i]);
        const found = [...(await resolveNodes(args.ids))];
        return all.map((_, i) => (outside[i] ? null : found.shift()));
      },
    },
    nodeTypeOptions: { description: "An object with a global ID, fetchable with `node(id:)`." },
    idFieldOptions: { description: "The object's global ID." },
    pageInfoTypeOptions: { description: "Where a page sits in its connection, and the cursors to move from it." },
    hasNextPageFieldOptions: { description: "Whether more items follow this page." },
    hasPreviousPageFieldOptions: { description: "Whether items precede this page." },
    startCursorFieldOptions: { description: "The cursor of the first item of the page." },
    endCursorFieldOptions: { description: "The cursor of the last item of the page." },
    edgesFieldOptions: { description: "The items of the page, each with its cursor." },
    pageInfoFieldOptions: { description: "Cursors and whether there are more pages." },
    cursorFieldOptions: { description: "Opaque cursor: pass it as `after` or `before` to page from this item." },
    nodeFieldOptions: { description: "The item." },
    firstArgOptions: { description: "Return the first n items (0 to 100)." },
    lastArgOptions: { description: "Return the last n items (0 to 100)." },
    afterArgOptions: { description: "Return items after this cursor." },
    beforeArgOptions: { description: "Return items before this cursor." },
    defaultConnectionTypeOptions: { description: "A page of items, with cursors and the total count." },
    defaultEdgeTypeOptions: { description: "An item of a page, with its cursor." },
  },
});

// plugins/sync-global-id.ts encodes global IDs as plugin-relay does by default: a custom encoder would be skipped
if (builder.options.relay?.encodeGlobalID) throw new Error("relay.encodeGlobalID is set: plugins/sync-global-id.ts must call it");

builder.queryType({ description: "The root of every read." });
builder.mutationType({ description: "The root of every change. Each mutation runs as one transaction." });
builder.addScalarType("DateTime", DateTimeResolver, { description: "An ISO-8601 date-time in UTC." });
builder.addScalarType("Date", DateResolver, { description: "A calendar date, YYYY-MM-DD." });

/** The field builder of input types, for helpers that share fields between inputs. */
export type InputFields = PothosSchemaTypes.InputFieldBuilder<typeof builder.$inferSchemaTypes, "InputObject">;
export type Types = typeof builder.$inferSchemaTypes;

/** A global ID of a tenant's row asked for with no acting tenant (anonymous, or a user who chose none): it exists for no one here. */
function outsideTenant(typename: string, ctx: Context, info: GraphQLResolveInfo): boolean {
  const model = info.schema.getType(typename)?.extensions?.pothosPrismaModel;
  return !ctx.tenant && typeof model === "string" && isTenantScoped(model);
}
