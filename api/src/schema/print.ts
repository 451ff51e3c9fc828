import { lexicographicSortSchema, printSchema } from "graphql";
import { schema } from "./index.ts";

/** The schema as committed in schema.graphql: sorted, so a diff shows only real changes. */
export function printSchemaSDL(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
