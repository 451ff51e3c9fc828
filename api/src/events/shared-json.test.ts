import { GraphQLError } from "graphql";
import { MessageType, stringifyMessage } from "graphql-ws";
import { describe, expect, it } from "vitest";
import { sharedPayloadReplacer, spliceSharedPayload } from "./shared-json.ts";

/** What graphql-ws sends for a `next` message with our replacer, after our socket's splice. */
const sent = (id: string, payload: Record<string, unknown>) => spliceSharedPayload(stringifyMessage({ id, type: MessageType.Next, payload }, sharedPayloadReplacer));

describe("shared payload serialization", () => {
  it("sends exactly what JSON.stringify makes of the whole message, for every subscriber of one result", () => {
    const result = { data: { jobChanged: { type: "job.updated", job: { id: "Sm9iOjE=", community: 'Quotes " and \\ and \u0000 and ünïcödé 🚰', lot: null } } } };
    for (const id of ["1", "a-much-longer-operation-id", 'weird"id'])
      expect(sent(id, result)).toBe(JSON.stringify({ id, type: "next", payload: result }));
  });

  it("serializes errors as graphql-ws does (toJSON), and leaves other message types alone", () => {
    const result = { data: null, errors: [new GraphQLError("nope", { extensions: { code: "FORBIDDEN" } })] };
    expect(sent("1", result)).toBe(JSON.stringify({ id: "1", type: "next", payload: { data: null, errors: result.errors.map((e) => e.toJSON()) } }));
    const error = stringifyMessage({ id: "1", type: MessageType.Error, payload: [{ message: "x" }] }, sharedPayloadReplacer);
    expect(spliceSharedPayload(error)).toBe(JSON.stringify({ id: "1", type: "error", payload: [{ message: "x" }] }));
    expect(spliceSharedPayload(stringifyMessage({ type: MessageType.ConnectionAck }, sharedPayloadReplacer))).toBe('{"type":"connection_ack"}');
  });

  it("serializes one result once, however many subscribers send it", () => {
    let calls = 0;
    const result = { data: { x: { toJSON: () => (calls++, "X") } } };
    for (let i = 0; i < 100; i++) sent(String(i), result);
    expect(calls).toBe(1);
  });

  it("refuses to send a message that is not the one whose payload is pending", () => {
    sharedPayloadReplacer.call({ type: "next" }, "payload", { data: 1 });
    expect(() => spliceSharedPayload('{"type":"complete","id":"1"}')).toThrow(/placeholder/);
  });
});
