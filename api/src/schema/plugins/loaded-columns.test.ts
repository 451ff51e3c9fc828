import { isObjectType, Kind, parse, type FieldNode, type GraphQLFieldResolver, type GraphQLObjectType, type GraphQLResolveInfo, type OperationDefinitionNode } from "graphql";
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

  describe("a to-one relation whose related row is on the row, with only columns beneath it, answers from the row", () => {
    const job = schema.getType("Job") as GraphQLObjectType;
    const resolveBuilder = job.getFields().builder!.resolve as GraphQLFieldResolver<unknown, unknown>;
    /** The info of `builder` on a job of the jobs board, for the selection `beneath` (a document's text, fragments after). */
    const infoFor = (beneath: string, fragments = "") => {
      const document = parse(`{ jobs { edges { node { builder ${beneath} } } } } ${fragments}`);
      const found: FieldNode[] = [];
      const walk = (node: unknown): void => {
        if (!node || typeof node !== "object") return;
        if ((node as FieldNode).kind === Kind.FIELD && (node as FieldNode).name.value === "builder") found.push(node as FieldNode);
        for (const [key, value] of Object.entries(node)) if (key !== "loc" && value && typeof value === "object") Array.isArray(value) ? value.forEach(walk) : walk(value);
      };
      walk(document.definitions[0] as OperationDefinitionNode);
      const fragmentMap = Object.fromEntries(document.definitions.filter((d) => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
      return {
        parentType: job,
        fieldName: "builder",
        fieldNodes: found,
        fragments: fragmentMap,
        path: { key: "builder", prev: { key: "node", prev: { key: 0, prev: { key: "edges", prev: { key: "jobs", prev: undefined } } } }, typename: "Job" },
        operation: {},
        variableValues: {},
      } as unknown as GraphQLResolveInfo;
    };
    /** What resolving `builder` of `row` gives with a bare context (no request): the row's own, or plugin-prisma's (a load that fails here). */
    const outcome = (row: Record<string, unknown>, info: GraphQLResolveInfo): unknown => {
      try {
        const answer = resolveBuilder(row, {}, {}, info);
        if (answer instanceof Promise) {
          answer.catch(() => undefined);
          return "plugin-prisma";
        }
        return answer;
      } catch {
        return "plugin-prisma";
      }
    };
    const builderRow = { id: "b1", name: "Acme Homes" };

    it("answers the related row for id, a column, __typename, in fragments on its type", () => {
      expect(outcome({ builder: builderRow }, infoFor("{ id name __typename }"))).toBe(builderRow);
      expect(outcome({ builder: builderRow }, infoFor("{ ...B ... on Builder { id } }", "fragment B on Builder { name }"))).toBe(builderRow);
      expect(outcome({ builder: null }, infoFor("{ id name }"))).toBeNull();
    });

    it("leaves it to plugin-prisma when the related row lacks a column asked for, or its key", () => {
      expect(outcome({ builder: { id: "b1" } }, infoFor("{ id name }"))).toBe("plugin-prisma");
      expect(outcome({ builder: { name: "Acme Homes" } }, infoFor("{ name }"))).toBe("plugin-prisma");
      expect(outcome({ lot: "12" }, infoFor("{ id name }"))).toBe("plugin-prisma");
    });

    it("leaves it to plugin-prisma when anything beneath reads its selection map, or may not be selected", () => {
      const full = { ...builderRow, jobs: [], _count: {} };
      expect(outcome({ builder: full }, infoFor("{ id jobs(first: 1) { edges { node { id } } } }"))).toBe("plugin-prisma");
      expect(outcome({ builder: full }, infoFor("{ id name @include(if: true) }"))).toBe("plugin-prisma");
      expect(outcome({ builder: full }, infoFor("{ ... on Node { id } }"))).toBe("plugin-prisma");
      expect(outcome({ builder: full }, infoFor("{ noSuchField }"))).toBe("plugin-prisma");
    });
  });
});
