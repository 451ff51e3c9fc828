// Prints the Pothos schema to schema.graphql at the repository root (committed; the drift test compares it).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../src/env.ts";
import { printSchemaSDL } from "../src/schema/print.ts";

writeFileSync(path.join(repoRoot, "schema.graphql"), printSchemaSDL());
console.log("wrote schema.graphql");
