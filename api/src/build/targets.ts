// What `npm start` builds before it runs anything, each only when its inputs changed (cached-build.ts):
// the API as compiled JavaScript (api/dist) and the dashboard (web/build).
import { spawn } from "node:child_process";
import path from "node:path";
import { build } from "esbuild";
import { repoRoot } from "../env.ts";
import type { CachedBuild } from "./cached-build.ts";

const apiDir = path.join(repoRoot, "api");

/** The entry points compiled into api/dist: `node api/dist/<name>.js` runs what `api/src/<name>.ts` runs. */
export const apiEntryPoints = ["main", "worker", "cli"] as const;

/**
 * The API, worker and CLI bundled by esbuild into ESM (api/dist; dependencies stay in node_modules, shared code in
 * chunks, the S3 archive store a lazily loaded one). Production runs it instead of transpiling TypeScript at run
 * time; esbuild strips types only, so `npm run typecheck` stays the type check.
 */
export const apiBuild: CachedBuild = {
  name: "api",
  root: repoRoot,
  // trusted-documents.json: the dashboard's persisted documents, bundled in (plugins/use-trusted-documents.ts)
  inputs: ["api/src", "api/package.json", "package-lock.json", "tsconfig.base.json", "trusted-documents.json"],
  output: path.join(apiDir, "dist"),
  required: apiEntryPoints.map((name) => `${name}.js`),
  async build() {
    await build({
      absWorkingDir: apiDir,
      entryPoints: Object.fromEntries(apiEntryPoints.map((name) => [name, `src/${name}.ts`])),
      outdir: "dist",
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external",
      sourcemap: "linked",
      // flat: files that locate the repository from import.meta.url (env.ts) sit at the depth they have in src/
      chunkNames: "[name]-[hash]",
      logLevel: "warning",
    });
  },
};

/** The dashboard (SvelteKit, adapter-node): `npm run build -w web`, which runs codegen first. */
export const webBuild: CachedBuild = {
  name: "web",
  root: repoRoot,
  inputs: ["web/src", "web/static", "web/vite.config.ts", "web/package.json", "web/tsconfig.json", "schema.graphql", "codegen.ts", "package-lock.json"],
  // written by codegen during the build, from schema.graphql and the documents in web/src
  ignore: ["web/src/lib/graphql/gql"],
  output: path.join(repoRoot, "web", "build"),
  required: ["index.js", "handler.js"],
  build: () => run("npm", ["run", "build", "-w", "web"]),
};

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} failed (${signal ?? `exit ${code}`})`))));
  });
}
