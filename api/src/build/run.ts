// `npm run build -w api` / part of `npm run build`: builds the API (api/dist) and, unless `api` alone is named,
// the dashboard (web/build), each only when its inputs changed since its last build; `--force` builds regardless.
import { buildIfChanged } from "./cached-build.ts";
import { apiBuild, webBuild } from "./targets.ts";

const force = process.argv.includes("--force");
const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
for (const target of [apiBuild, webBuild].filter((t) => !named.length || named.includes(t.name))) {
  const started = Date.now();
  const { built } = await buildIfChanged(target, { force });
  console.log(built ? `${target.name}: built in ${Date.now() - started} ms` : `${target.name}: up to date (inputs unchanged since the last build)`);
}
