// `npm run bench`: runs every benchmark in this folder (files named *.bench.ts exporting `run`), or the ones
// whose names are given: `npm run bench -- fanout webhooks`. Each prints its own figures.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => !wanted.length || wanted.some((w) => f.startsWith(w)))
  .sort();

if (!files.length) {
  console.log("no benchmarks yet");
  process.exit(0);
}
for (const file of files) {
  const { run } = (await import(path.join(dir, file))) as { run: () => Promise<void> };
  console.log(`\n=== ${file.replace(/\.bench\.ts$/, "")}`);
  await run();
}
process.exit(0);
