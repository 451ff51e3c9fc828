import { fileURLToPath } from "node:url";
import { defineConfig } from "prisma/config";

// Offline: the Prisma CLI would download its native schema-engine binary at run time. We run the same engine
// compiled to WebAssembly instead (api/scripts/schema-engine.mjs). Set the variable yourself to use a native binary.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(new URL("./api/scripts/schema-engine.mjs", import.meta.url));

export default defineConfig({
  schema: "prisma/schema",
  migrations: { path: "prisma/migrations" },
  datasource: {
    // `prisma generate` needs no database; migrate commands get DATABASE_URL from api/src/db/migrate.ts
    url: process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/h2o_acp",
    shadowDatabaseUrl: process.env.SHADOW_DATABASE_URL,
  },
});
