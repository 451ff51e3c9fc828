/**
 * One serialization per shared result. graphql-ws serializes every `next` message whole, for every subscriber, although
 * subscribers with the same share key (shared-subscribe.ts) get the very same result object: at 20,000 subscribers that
 * is 20,000 `JSON.stringify` calls (and their garbage) per event. With `sharedPayloadReplacer` as graphql-ws's
 * `jsonMessageReplacer` and `onNext` returning the result itself, a `next` message's payload is serialized once per
 * result object (cached by identity) and stands in the message as a placeholder; `spliceSharedPayload`, called by the
 * socket's `send` with the message graphql-ws made, puts the serialized payload in its place.
 * Guarantee: the bytes sent are those JSON.stringify would have produced for the whole message. It relies on
 * graphql-ws calling `send` synchronously right after serializing (it does: `socket.send(stringifyMessage(...))`),
 * so the one pending payload cannot belong to another message; a message that does not end with the placeholder
 * while one is pending is an invariant broken, and throws rather than send something else.
 */
const PLACEHOLDER = "\u0000h2o-shared-payload\u0000";
const TAIL = `${JSON.stringify(PLACEHOLDER)}}`;
const serialized = new WeakMap<object, string>();
let pending: string | null = null;

export function sharedPayloadReplacer(this: unknown, key: string, value: unknown): unknown {
  if (key !== "payload" || (this as { type?: unknown } | null)?.type !== "next" || !value || typeof value !== "object") return value;
  let json = serialized.get(value);
  if (json === undefined) serialized.set(value, (json = JSON.stringify(value)));
  pending = json;
  return PLACEHOLDER;
}

export function spliceSharedPayload(message: string): string {
  const json = pending;
  if (json === null) return message;
  pending = null;
  if (!message.endsWith(TAIL)) throw new Error("shared payload: the message does not end with its placeholder");
  return message.slice(0, -TAIL.length) + json + "}";
}
