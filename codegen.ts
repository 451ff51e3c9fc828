import { fileURLToPath } from "node:url";
import type { CodegenConfig } from "@graphql-codegen/cli";
import { addTypenameSelectionDocumentTransform } from "@graphql-codegen/client-preset";

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
      // Persisted documents: each operation's SHA-256 hash is embedded in it (`__meta__.hash`, which the client sends
      // instead of the text) and gql/persisted-documents.json maps hashes to texts; `npm run codegen` copies that map
      // to trusted-documents.json, the documents the API runs for dashboard sessions (README "Trusted documents").
      presetConfig: { fragmentMasking: false, persistedDocuments: { hashAlgorithm: "sha256" } },
      // `__typename` in every selection, as graphcache asks for it: the persisted text is then exactly what is sent
      documentTransforms: [addTypenameSelectionDocumentTransform],
      config: { useTypeImports: true, enumsAsTypes: true, scalars: { DateTime: "string", Date: "string" } },
    },
    // graphcache's embedded types (the object types without an id), derived from the schema
    [fromRoot("web/src/lib/graphql/gql/embedded-types.ts")]: { plugins: [fromRoot("web/scripts/embedded-types-plugin.cjs")] },
  },
};

export default config;
