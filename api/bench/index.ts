// `npm run bench`: runs every benchmark in this folder (files named *.bench.ts exporting `run`), or the ones
// whose names are given: `npm run bench -- fanout webhooks`. Each prints its own figures. Arguments from the first
// `--flag` on are the benchmarks' own (`npm run bench -- http --duration 3`), read by them from process.argv.
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** Run only when named: the soak takes half an hour. */
const BY_NAME_ONLY = ["soak"];
const dir = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const firstFlag = args.findIndex((a) => a.startsWith("-"));
const wanted = firstFlag < 0 ? args : args.slice(0, firstFlag);
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .filter((f) => (wanted.length ? wanted.some((w) => f.startsWith(w)) : !BY_NAME_ONLY.some((n) => f.startsWith(n))))
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
process.exit(process.exitCode ?? 0);
