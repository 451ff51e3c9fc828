import { createGraphQLError, type Plugin } from "graphql-yoga";

/** An empty or blank `query` is a client error (400) with a plain message, not a parser's "Unexpected <EOF>". */
export function useRejectEmptyQuery(): Plugin {
  return {
    onParams({ params }) {
      if (typeof params.query === "string" && params.query.trim() === "" && !params.extensions?.persistedQuery) {
        throw createGraphQLError("the request has an empty query: send a GraphQL document in `query`", {
          extensions: { code: "BAD_REQUEST", http: { status: 400 } },
        });
      }
    },
  };
}
