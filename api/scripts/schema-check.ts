// `npm run schema:check [-- --base <git ref>] [--dir <repository>]`: the breaking-change gate (README, "Schema
// evolution"). Compares schema.graphql in the working tree with the one at a git ref (default HEAD~1, the previous
// commit) using @graphql-inspector/core, lists every change with its criticality, and exits 1 when a breaking change
// is not recorded as intended in schema-changes.json (at the repository root), or when a field is removed that was
// not deprecated at the base. With no base to compare (a first commit, a shallow clone), it says so and passes.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CriticalityLevel, diff, type Change } from "@graphql-inspector/core";
import { buildSchema, isInterfaceType, isObjectType, type GraphQLSchema } from "graphql";

/** One breaking change the team decided to make: matched by the change's type and path. */
export interface IntendedChange {
  type: string;
  path: string;
  /** When it was decided (YYYY-MM-DD). */
  date: string;
  reason: string;
  /** A removal without a deprecation period first, and why (for example: the field never shipped). */
  withoutDeprecation?: string;
}

export interface SchemaCheck {
  changes: Change[];
  /** The breaking changes that stop the check, each with why. */
  refused: Array<{ change: Change; why: string }>;
  /** Entries of schema-changes.json that are malformed. */
  invalid: string[];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks the change from `baseSdl` to `headSdl` against the recorded intentions. */
export async function checkSchemaChange(baseSdl: string, headSdl: string, intended: IntendedChange[]): Promise<SchemaCheck> {
  const base = buildSchema(baseSdl);
  const changes = await diff(base, buildSchema(headSdl));
  const invalid = intended
    .map((e, i) => (!e.type || !e.path ? `entry ${i}: needs "type" and "path"` : !DATE.test(e.date ?? "") ? `entry ${i} (${e.path}): "date" must be YYYY-MM-DD` : !e.reason?.trim() ? `entry ${i} (${e.path}): needs a "reason"` : null))
    .filter((m): m is string => m !== null);
  const refused: SchemaCheck["refused"] = [];
  for (const change of changes) {
    if (change.criticality.level !== CriticalityLevel.Breaking) continue;
    const entry = intended.find((e) => e.type === change.type && e.path === change.path);
    if (!entry) refused.push({ change, why: "breaking, and not recorded as intended in schema-changes.json" });
    else if (change.type === "FIELD_REMOVED" && !entry.withoutDeprecation && !deprecatedAt(base, change.path ?? ""))
      refused.push({ change, why: "removed without a deprecation period: mark it @deprecated first (or record withoutDeprecation with the reason)" });
  }
  return { changes, refused, invalid };
}

/** Whether the field at `Type.field` carries @deprecated in `schema`. */
function deprecatedAt(schema: GraphQLSchema, fieldPath: string): boolean {
  const [typeName, fieldName] = fieldPath.split(".");
  const type = typeName ? schema.getType(typeName) : undefined;
  if (!fieldName || !(isObjectType(type) || isInterfaceType(type))) return false;
  return type.getFields()[fieldName]?.deprecationReason != null;
}

/** schema.graphql as it was at `ref` in the repository at `dir`; null when there is no such commit or file. */
function schemaAt(dir: string, ref: string): string | null {
  try {
    return execFileSync("git", ["show", `${ref}:schema.graphql`], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return null;
  }
}

async function main() {
  const { values } = parseArgs({ options: { base: { type: "string", default: "HEAD~1" }, dir: { type: "string" } } });
  const dir = path.resolve(values.dir ?? path.join(path.dirname(fileURLToPath(import.meta.url)), "../.."));
  const head = readFileSync(path.join(dir, "schema.graphql"), "utf8");
  const base = schemaAt(dir, values.base!);
  if (base === null) {
    console.log(`schema:check: no schema.graphql at ${values.base} (a first commit or a shallow clone): nothing to compare`);
    return;
  }
  const recordFile = path.join(dir, "schema-changes.json");
  const intended = existsSync(recordFile) ? ((JSON.parse(readFileSync(recordFile, "utf8")) as { intended?: IntendedChange[] }).intended ?? []) : [];
  const { changes, refused, invalid } = await checkSchemaChange(base, head, intended);
  console.log(`schema:check: ${changes.length} change(s) from ${values.base} to the working tree`);
  for (const c of changes) console.log(`  ${c.criticality.level.padEnd(12)} ${c.type} ${c.path ?? ""}: ${c.message}`);
  for (const m of invalid) console.log(`  INVALID schema-changes.json ${m}`);
  for (const { change, why } of refused) console.log(`  REFUSED ${change.type} ${change.path ?? ""}: ${why}`);
  if (refused.length || invalid.length) {
    console.log("schema:check failed: see README, \"Schema evolution\"");
    process.exitCode = 1;
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
