import { maxAliasesRule } from "@escape.tech/graphql-armor-max-aliases";
import { maxDepthRule } from "@escape.tech/graphql-armor-max-depth";
import { maxDirectivesRule } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import type { GraphQLError, ValidationContext, ValidationRule } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Env } from "../env.ts";
import { AppError, ErrorCode } from "../errors.ts";

export type QueryLimits = Pick<Env, "QUERY_MAX_DEPTH" | "QUERY_MAX_ALIASES" | "QUERY_MAX_DIRECTIVES" | "QUERY_MAX_TOKENS">;

/** A refused document is QUERY_TOO_COMPLEX (CONTRACT.md), with GraphQL Armor's message ("Query depth limit of 12 exceeded, found 13."). */
function refuse(ctx: ValidationContext | null, error: GraphQLError): void {
  const refusal = new AppError(ErrorCode.QUERY_TOO_COMPLEX, error.message.replace(/^Syntax Error: /, ""));
  if (!ctx) throw refusal; // the token limit runs in the parser: throwing there ends the parse
  ctx.reportError(refusal);
}

/**
 * The shape limits of a GraphQL document (GraphQL Armor): tokens while parsing, then depth, aliases and directives
 * while validating, so a refused document never runs a resolver. They guard HTTP and WebSocket operations alike
 * (ws.ts validates through the same enveloped pipeline). Introspection is exempt from depth (GraphiQL's schema query
 * is deep). Cost, which depends on variables such as `first`, is checked at execution (the complexity plugin in
 * schema/builder.ts).
 */
export function useQueryLimits(limits: QueryLimits): Plugin[] {
  const rules = queryLimitRules(limits);
  return [
    maxTokensPlugin({ n: limits.QUERY_MAX_TOKENS, ...armor }) as Plugin,
    { onValidate: ({ addValidationRule }) => rules.forEach((rule) => addValidationRule(rule)) },
  ];
}

const armor = { propagateOnRejection: false, onReject: [refuse], exposeLimits: true };

/** The validation rules of the depth, alias and directive limits (also what the dashboard's own documents are checked against). */
export function queryLimitRules(limits: Omit<QueryLimits, "QUERY_MAX_TOKENS">): ValidationRule[] {
  return [
    maxDepthRule({ n: limits.QUERY_MAX_DEPTH, ignoreIntrospection: true, flattenFragments: true, ...armor }),
    maxAliasesRule({ n: limits.QUERY_MAX_ALIASES, ...armor }),
    maxDirectivesRule({ n: limits.QUERY_MAX_DIRECTIVES, ...armor }),
  ] as unknown as ValidationRule[];
}
