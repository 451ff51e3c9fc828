import { getOperationAST, Kind } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Context } from "../context.ts";

/** Root fields a caller with a stale or broken session must still reach to get a new one (or to end it). */
const SESSION_FIELDS = new Set(["login", "logout", "refreshSession", "resetPassword", "__typename"]);

/**
 * Credentials that were presented and refused (bad signature, wrong algorithm, expired, revoked or unknown key)
 * refuse the whole operation with their UNAUTHENTICATED error (HTTP 401), public fields included: only a request
 * without credentials is anonymous (CONTRACT "Authentication on the wire"). Operations made only of the session
 * fields (`login`, `logout`, `refreshSession`, `resetPassword`) still run, so a browser holding an expired cookie
 * can sign in again.
 */
export function useRefuseBadCredentials(): Plugin<Context> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = (args.contextValue as Context).authError;
      if (!error) return;
      const operation = getOperationAST(args.document, args.operationName);
      const onlySession = operation?.selectionSet.selections.every((s) => s.kind === Kind.FIELD && SESSION_FIELDS.has(s.name.value));
      if (!onlySession) setResultAndStopExecution({ errors: [error] });
    },
  };
}
