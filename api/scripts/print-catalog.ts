// Prints the webhook event catalog (AsyncAPI 3.0) to webhooks.asyncapi.json at the repository root (committed; a test compares it).
import { writeFileSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../src/env.ts";
import { CATALOG_FILE, printAsyncApi } from "../src/webhooks/asyncapi.ts";

writeFileSync(path.join(repoRoot, CATALOG_FILE), await printAsyncApi());
console.log(`wrote ${CATALOG_FILE}`);
