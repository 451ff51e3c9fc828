import { completeValue, RootFieldBuilder, type SchemaTypes } from "@pothos/core";
import { encodeGlobalID } from "@pothos/plugin-relay";
import "@pothos/plugin-relay"; // its field builder methods are installed on import: this replaces one of them

/**
 * plugin-relay's `t.globalID` (the `id` of every Node type, and every global-ID field) resolves through an `async`
 * function, so each object of a list gets a promise for its id, and graphql-js then completes every object and list
 * above it asynchronously (a Promise.all per object). Here the same field answers synchronously when its id is at hand
 * (the common case: a column of the row) and waits only for an id that is itself a promise. Same encoding
 * (`encodeGlobalID(typename, id)`; this schema sets no custom `relay.encodeGlobalID`, which builder.ts asserts),
 * same value; the jobs board's page of 25 jobs and builders completes without ~200 promises.
 */
type GlobalIdResult = { type: unknown; id: unknown } | string | null | undefined;
type Resolve = (parent: unknown, args: unknown, context: unknown, info: unknown) => GlobalIdResult | Promise<GlobalIdResult>;

const proto = RootFieldBuilder.prototype as unknown as {
  globalID(this: RootFieldBuilder<SchemaTypes, unknown>, options: { resolve: Resolve } & Record<string, unknown>): unknown;
};

proto.globalID = function globalID({ resolve, ...options }) {
  const typeName = (type: unknown) => this.builder.configStore.getTypeConfig(type as never).name;
  return this.field({
    ...options,
    type: "ID",
    resolve: (parent: unknown, args: unknown, context: unknown, info: unknown) =>
      completeValue(resolve(parent, args, context, info), (result) =>
        !result || typeof result !== "object" ? result : encodeGlobalID(typeName(result.type), String(result.id)),
      ),
  } as never);
};
