import { randomUUID } from "node:crypto";
import { AppError, ErrorCode } from "../errors.ts";

/**
 * The body of every webhook, whichever deliverer sends it. `id` is the event id: it is also the
 * `webhook-id` header and the idempotency key, so a receiver deduplicates on it. `version` is the version of
 * `data`'s schema for this `type`; a breaking change to a payload is a new version, never an edit.
 */
export interface WebhookEnvelope<T = unknown> {
  id: string;
  type: string;
  version: number;
  /** When the change happened (ISO 8601, UTC). */
  timestamp: string;
  tenantId: string;
  data: T;
}

export interface EnvelopeInput<T> {
  /** The event id; a new UUID when omitted. Pass the outbox row's id so retries keep it. */
  id?: string;
  type: string;
  version: number;
  tenantId: string;
  data: T;
  timestamp?: Date;
  /**
   * Whether `data` goes through {@link redactSecrets} (default true). The outbox passes false for payloads made of
   * GraphQL fields (vocabulary.ts): the schema is what is public, and a field such as `tokenExpiresAt` must stay.
   */
  redact?: boolean;
}

/** An envelope larger than the configured bound; `details.bytes` and `details.limit` say by how much. */
export class WebhookPayloadTooLargeError extends AppError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(ErrorCode.BAD_USER_INPUT, `webhook payload is ${bytes} bytes; the limit is ${limit}`, {
      details: { reason: "WEBHOOK_PAYLOAD_TOO_LARGE", bytes, limit },
    });
    this.name = "WebhookPayloadTooLargeError";
  }
}

/** Builds an envelope; `data` goes through {@link redactSecrets}, so it never carries a secret-named field. */
export function createEnvelope<T>(input: EnvelopeInput<T>): WebhookEnvelope {
  return {
    id: input.id ?? randomUUID(),
    type: input.type,
    version: input.version,
    timestamp: (input.timestamp ?? new Date()).toISOString(),
    tenantId: input.tenantId,
    data: input.redact === false ? input.data : redactSecrets(input.data),
  };
}

/**
 * The exact bytes that are signed and sent. Throws {@link WebhookPayloadTooLargeError} past `maxBytes`
 * (UTF-8 length), so an oversized event fails where it is produced, not at every delivery attempt.
 */
export function serializeEnvelope(envelope: WebhookEnvelope, maxBytes: number): string {
  const body = JSON.stringify(envelope);
  const bytes = Buffer.byteLength(body, "utf8");
  if (bytes > maxBytes) throw new WebhookPayloadTooLargeError(bytes, maxBytes);
  return body;
}

const secretWords = new Set([
  "password", "passwd", "passphrase", "secret", "secrets", "token", "tokens", "credential", "credentials",
  "cookie", "cookies", "authorization", "apikey", "accesskey", "privatekey", "sessionid", "passwordhash", "clientsecret",
]);
const secretPairs = new Set(["api key", "access key", "private key", "session id"]);

/**
 * Whether a field name looks like it holds a secret. The name is split into words (camelCase, snake_case,
 * kebab-case) and matched word by word, so `passwordHash`, `refresh_token`, `X-Api-Key` and `APIKey` match and
 * `secretary` or `tokenizer` do not.
 */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
  // a pair names a secret only at the end of the name: `apiKey`, `stripeApiKey`, not `apiKeyRateLimitPerMinute`
  return words.some((w, i) => secretWords.has(w) || (i === words.length - 2 && secretPairs.has(`${w} ${words[i + 1]}`)));
}

/**
 * A deep copy of `value` without any field whose name {@link isSecretKey} (`password`, `passwordHash`,
 * `refreshToken`, `clientSecret`, `apiKey`, …), at any depth, in objects and arrays. Dates become ISO strings
 * and other values pass through `toJSON` as `JSON.stringify` would. A cycle throws rather than recursing forever.
 */
export function redactSecrets<T>(value: T): T {
  return strip(value, new WeakSet()) as T;
}

function strip(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== "object") return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") return strip((value as { toJSON(): unknown }).toJSON(), seen);
  if (seen.has(value)) throw new TypeError("redactSecrets: cyclic structure");
  seen.add(value);
  const out = Array.isArray(value)
    ? value.map((item) => strip(item, seen))
    : Object.fromEntries(
        Object.entries(value)
          .filter(([key]) => !isSecretKey(key))
          .map(([key, item]) => [key, strip(item, seen)]),
      );
  seen.delete(value);
  return out;
}
