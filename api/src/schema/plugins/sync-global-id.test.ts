import { encodeGlobalID } from "@pothos/plugin-relay";
import { isObjectType, type GraphQLFieldResolver, type GraphQLResolveInfo } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../index.ts";

describe("global IDs resolve without a promise (plugins/sync-global-id.ts)", () => {
  const nodeTypes = Object.values(schema.getTypeMap()).filter((t) => isObjectType(t) && t.getInterfaces().some((i) => i.name === "Node"));

  it("answers every Node type's id synchronously, encoded as plugin-relay encodes it", () => {
    expect(nodeTypes.length).toBeGreaterThan(5);
    for (const type of nodeTypes) {
      if (!isObjectType(type)) continue;
      const resolve = type.getFields().id!.resolve as GraphQLFieldResolver<unknown, unknown>;
      const info = { parentType: type, path: { key: "id", prev: undefined, typename: type.name }, fieldName: "id" } as unknown as GraphQLResolveInfo;
      // the row's own id column: what plugin-prisma's nodes and the other nodes of this schema read it from
      const value = resolve({ id: "1b4e28ba-2fa1-11d2-883f-0016d3cca427", tenantId: "t" }, {}, {}, info);
      expect(value, type.name).not.toBeInstanceOf(Promise);
      expect(value, type.name).toBe(encodeGlobalID(type.name, "1b4e28ba-2fa1-11d2-883f-0016d3cca427"));
    }
  });
});
