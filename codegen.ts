import { fileURLToPath } from "node:url";
import type { CodegenConfig } from "@graphql-codegen/cli";

// Typed documents for the web app, from the schema the API prints. Paths are resolved from this file,
// so `npm run codegen` works from the root and `npm run codegen -w web` from web/.
const fromRoot = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const config: CodegenConfig = {
  schema: fromRoot("schema.graphql"),
  documents: [fromRoot("web/src/**/*.{ts,svelte}"), `!${fromRoot("web/src/lib/graphql/gql/**")}`],
  ignoreNoDocuments: true,
  generates: {
    [fromRoot("web/src/lib/graphql/gql/")]: {
      preset: "client",
      // Plain fragments: a fragment's fields are read directly from the query result (typed), without unmasking.
      presetConfig: { fragmentMasking: false },
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: "string", Date: "string" } },
    },
  },
};

export default config;
