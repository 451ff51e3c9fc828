import type { Plugin } from "graphql-yoga";
import { ErrorCode } from "../errors.ts";

const REFUSAL = "server-sent events are off: subscribe over WebSocket with the graphql-transport-ws protocol at this same path";

/** Media types under which yoga answers a single result as one JSON body (not a stream). */
const SINGLE_RESULT_TYPES = ["application/graphql-response+json", "application/json", "application/graphql+json", "*/*", "application/*"];

/**
 * One door for live updates: subscriptions run over WebSocket (graphql-transport-ws on the same `/graphql` path),
 * where connection and subscription limits, slow-consumer closes, and ending on expiry or revoked access apply.
 * Streams over HTTP (server-sent events, yoga's default second door, and multipart) are off. What is refused is a
 * request whose answer would be a stream: one that accepts only `text/event-stream`, or a subscription over HTTP
 * whatever it accepts. Both get 406 with `extensions.code` BAD_USER_INPUT naming the WebSocket protocol.
 *
 * Clients such as urql list `text/event-stream` among the types they accept on every request; a query or mutation
 * from them is answered as JSON like any other.
 */
export function useNoEventStream(): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      const accept = (request.headers.get("accept") ?? "").toLowerCase();
      if (!accept.includes("text/event-stream")) return;
      if (SINGLE_RESULT_TYPES.some((type) => accept.includes(type))) return;
      endResponse(refusal(fetchAPI));
    },
    onResultProcess({ result, setResultProcessor }) {
      if (!isAsyncIterable(result)) return;
      setResultProcessor(async (stream, fetchAPI) => {
        // Ends the subscription that was started, so nothing is left listening.
        if (isAsyncIterable(stream)) await stream[Symbol.asyncIterator]().return?.();
        return refusal(fetchAPI);
      }, "application/json");
    },
  };
}

function refusal(fetchAPI: { Response: typeof Response }): Response {
  return fetchAPI.Response.json({ errors: [{ message: REFUSAL, extensions: { code: ErrorCode.BAD_USER_INPUT } }] }, { status: 406 });
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
