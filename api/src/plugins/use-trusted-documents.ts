import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import type { GraphQLError } from "graphql";
import { createGraphQLError, type Plugin } from "graphql-yoga";
import trusted from "../../../trusted-documents.json" with { type: "json" };
import { presentsApiKey } from "../auth/authenticate.ts";
import { AppError, ErrorCode } from "../errors.ts";

export type TrustedDocumentsPolicy = "on" | "off";

/** The dashboard's operations by the SHA-256 hash (hex) of their text: trusted-documents.json, written by `npm run codegen`. */
const documents: ReadonlyMap<string, string> = new Map(Object.entries(trusted as Record<string, string>));

/** The text of a trusted document, by its hash; undefined when the dashboard has no such document. */
export const trustedDocument = (hash: string): string | undefined => documents.get(hash);

/** The message APQ clients (urql's persistedExchange) recognise: they send the text next. */
const notFound = () => new AppError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound");
const required = () =>
  new AppError(
    ErrorCode.PERSISTED_QUERY_REQUIRED,
    "this API runs only the dashboard's persisted documents (GRAPHQL_TRUSTED_DOCUMENTS=on): send a known document's hash in extensions.persistedQuery.sha256Hash, or use an API key to send any document",
  );
/** As a request without a query always was: yoga's 400 BAD_REQUEST. */
const noDocument = () =>
  createGraphQLError("the request has no query: send a GraphQL document in `query`, or a persisted document's hash in `extensions.persistedQuery.sha256Hash`", {
    extensions: { code: "BAD_REQUEST", http: { status: 400 } },
  });

interface Params {
  query?: string | null;
  extensions?: Record<string, unknown> | null;
}

/**
 * Trusted documents (README "Trusted documents"), over HTTP (yoga's persisted-operations plugin) and WebSocket
 * (`documentFor`, ws.ts), with one rule:
 * 1. a request with a document's text runs it when the policy is `off` (development: GraphiQL, scripts), or when it
 *    presents an API key (partners may send any document); with the policy `on` (production) and no API key, it is
 *    refused with PERSISTED_QUERY_REQUIRED before it is parsed;
 * 2. a request without text runs the trusted document whose hash it sends in `extensions.persistedQuery`
 *    (automatic persisted queries' format), whoever sends it; an unknown hash is PERSISTED_QUERY_NOT_FOUND
 *    ("PersistedQueryNotFound"), after which the dashboard sends the text, which rule 1 decides.
 * So in production, sessions (the dashboard's users, anonymous callers) run only the dashboard's own operations.
 * Costs one lookup per request; with the policy `off`, text is never looked at.
 */
export function useTrustedDocuments(policy: TrustedDocumentsPolicy): Plugin {
  return usePersistedOperations({
    getPersistedOperation: (hash) => trustedDocument(hash) ?? null,
    allowArbitraryOperations: policy === "off" ? true : (request) => presentsApiKey(request.headers),
    customErrors: { notFound, persistedQueryOnly: required, keyNotFound: noDocument },
  });
}

/** Rule 1 and 2 for a graphql-ws operation: its document's text, or the error that refuses it. */
export function documentFor(params: Params, policy: TrustedDocumentsPolicy, isApiKey: boolean): string | GraphQLError {
  if (params.query) return policy === "off" || isApiKey ? params.query : required();
  const persisted = params.extensions?.persistedQuery as { version?: unknown; sha256Hash?: unknown } | undefined;
  if (persisted?.version !== 1 || typeof persisted.sha256Hash !== "string") return noDocument();
  return trustedDocument(persisted.sha256Hash) ?? notFound();
}
