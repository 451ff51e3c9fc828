import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../src/env.ts";
import { printSchemaSDL } from "../src/schema/print.ts";

describe("schema.graphql", () => {
  it("is exactly what the code prints (run `npm run schema:print` and commit the diff)", () => {
    const committed = readFileSync(path.join(repoRoot, "schema.graphql"), "utf8");
    expect(printSchemaSDL()).toBe(committed);
  });
});
