import type { Plugin } from "graphql-yoga";
import { ErrorCode } from "../errors.ts";

/**
 * One door for live updates: subscriptions run over WebSocket (graphql-transport-ws on the same `/graphql` path),
 * where connection and subscription limits, slow-consumer closes, and ending on expiry or revoked access apply.
 * Server-sent events (yoga's default second door, which has none of these) are off: a request that asks for
 * `text/event-stream` gets 406 with `extensions.code` BAD_USER_INPUT naming the WebSocket protocol instead.
 */
export function useNoEventStream(): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (!(request.headers.get("accept") ?? "").toLowerCase().includes("text/event-stream")) return;
      endResponse(
        fetchAPI.Response.json(
          { errors: [{ message: "server-sent events are off: subscribe over WebSocket with the graphql-transport-ws protocol at this same path", extensions: { code: ErrorCode.BAD_USER_INPUT } }] },
          { status: 406 },
        ),
      );
    },
  };
}
