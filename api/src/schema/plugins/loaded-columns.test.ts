import { isObjectType, type GraphQLFieldResolver, type GraphQLResolveInfo } from "graphql";
import { describe, expect, it } from "vitest";
import { schema } from "../index.ts";

describe("a column on its row answers from the row (plugins/loaded-columns.ts)", () => {
  const columns = Object.values(schema.getTypeMap()).flatMap((type) =>
    isObjectType(type) && type.extensions?.pothosPrismaModel
      ? Object.values(type.getFields())
          .filter((f) => typeof f.extensions?.pothosExposedField === "string" && f.extensions?.pothosPrismaSelect && !f.extensions?.pothosPrismaRelationField)
          .map((field) => ({ type, field, column: field.extensions.pothosExposedField as string }))
      : [],
  );
  const infoOf = (type: (typeof columns)[number]["type"], name: string) =>
    ({ parentType: type, path: { key: name, prev: { key: 0, prev: undefined }, typename: type.name }, fieldName: name, operation: {} }) as unknown as GraphQLResolveInfo;

  // the types in select mode (every domain type): plugin-prisma wraps their columns; include-mode types keep graphql's own
  it("answers every exposed column of every Prisma type synchronously from the row, null included", () => {
    expect(columns.length).toBeGreaterThan(50);
    for (const { type, field, column } of columns) {
      const resolve = field.resolve as GraphQLFieldResolver<unknown, unknown>;
      const marker = { value: `${type.name}.${column}` };
      expect(resolve({ [column]: marker }, {}, {}, infoOf(type, field.name)), `${type.name}.${field.name}`).toBe(marker);
      expect(resolve({ [column]: null }, {}, {}, infoOf(type, field.name)), `${type.name}.${field.name}`).toBeNull();
    }
  });

  it("leaves a column the row lacks to plugin-prisma, which loads it (here: asks the request's loader, which this bare context lacks)", () => {
    for (const { type, field } of columns.slice(0, 10)) {
      const resolve = field.resolve as GraphQLFieldResolver<unknown, unknown>;
      let answer: unknown;
      try {
        answer = resolve({ other: "x" }, {}, {}, infoOf(type, field.name));
      } catch (err) {
        answer = err;
      }
      // never undefined from the row: either plugin-prisma's load (a promise) or its failure without a request
      expect(answer instanceof Error || answer instanceof Promise, `${type.name}.${field.name}: ${String(answer)}`).toBe(true);
      if (answer instanceof Promise) answer.catch(() => undefined);
    }
  });
});
