import { Kind, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";
import { AppError, ErrorCode, unauthenticated } from "../errors.ts";

export type IntrospectionPolicy = "on" | "authenticated" | "off";

/**
 * Who may read the schema through introspection (`__schema`, `__type`; `__typename` is not introspection):
 * everyone (`on`), signed-in users and API keys (`authenticated`), or nobody (`off`: schema.graphql and the
 * webhook catalog are the published description). Checked when the operation executes, over HTTP and WebSocket
 * alike: a validation rule could not depend on the caller, since yoga caches validation per document.
 * Refused: UNAUTHENTICATED for an anonymous caller under `authenticated`, FORBIDDEN under `off`.
 */
export function useIntrospectionPolicy(policy: IntrospectionPolicy): Plugin<Context> {
  if (policy === "on") return {};
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (!introspects(args.document)) return;
      const ctx = args.contextValue as Context;
      if (policy === "authenticated" && ctx.principal) return;
      const error =
        policy === "authenticated"
          ? unauthenticated("introspection needs a signed-in user or an API key (GRAPHQL_INTROSPECTION=authenticated)")
          : new AppError(ErrorCode.FORBIDDEN, "introspection is off on this server (GRAPHQL_INTROSPECTION=off): read the published schema.graphql");
      setResultAndStopExecution({ errors: [error] });
    },
  };
}

const known = new WeakMap<DocumentNode, boolean>();

/** Whether any operation of the document selects `__schema` or `__type`, at any depth, through fragments too. */
export function introspects(document: DocumentNode): boolean {
  let answer = known.get(document);
  if (answer === undefined) {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    const seen = new Set<string>();
    const visit = (set: SelectionSetNode): boolean =>
      set.selections.some((s) => {
        if (s.kind === Kind.FIELD) return s.name.value === "__schema" || s.name.value === "__type" || (!!s.selectionSet && visit(s.selectionSet));
        if (s.kind === Kind.INLINE_FRAGMENT) return visit(s.selectionSet);
        if (seen.has(s.name.value)) return false;
        seen.add(s.name.value);
        const fragment = fragments.get(s.name.value);
        return !!fragment && visit(fragment.selectionSet);
      });
    answer = document.definitions.some((d) => d.kind === Kind.OPERATION_DEFINITION && visit(d.selectionSet));
    known.set(document, answer);
  }
  return answer;
}
