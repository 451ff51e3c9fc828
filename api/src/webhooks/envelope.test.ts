import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { createEnvelope, isSecretKey, redactSecrets, serializeEnvelope, WebhookPayloadTooLargeError } from "./envelope.ts";
import { configFrom } from "../../test/webhooks/helpers.ts";

describe("the event envelope", () => {
  it("carries id, type, version, timestamp, tenantId and data", () => {
    const at = new Date("2026-03-01T12:00:00.000Z");
    const env = createEnvelope({ id: "evt_1", type: "job.created", version: 2, tenantId: "t1", data: { jobId: "j1" }, timestamp: at });
    expect(env).toEqual({ id: "evt_1", type: "job.created", version: 2, timestamp: "2026-03-01T12:00:00.000Z", tenantId: "t1", data: { jobId: "j1" } });
    expect(JSON.parse(serializeEnvelope(env, 1024))).toEqual(env);
  });

  it("gives a new event a UUID", () => {
    const env = createEnvelope({ type: "bid.won", version: 1, tenantId: "t1", data: {} });
    expect(env.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses a payload past the bound with a typed error", () => {
    const env = createEnvelope({ type: "job.created", version: 1, tenantId: "t1", data: { notes: "é".repeat(600) } });
    const bytes = Buffer.byteLength(JSON.stringify(env));
    expect(serializeEnvelope(env, bytes)).toHaveLength(JSON.stringify(env).length);
    try {
      serializeEnvelope(env, bytes - 1);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(WebhookPayloadTooLargeError);
      expect(err).toBeInstanceOf(AppError);
      expect(err).toMatchObject({ bytes, limit: bytes - 1, code: "BAD_USER_INPUT" });
      expect((err as AppError).extensions.reason).toBe("WEBHOOK_PAYLOAD_TOO_LARGE");
    }
  });

  it("takes its bound from WEBHOOK_MAX_PAYLOAD_BYTES", () => {
    expect(configFrom().maxPayloadBytes).toBe(256 * 1024);
    expect(configFrom({ WEBHOOK_MAX_PAYLOAD_BYTES: "2048" }).maxPayloadBytes).toBe(2048);
    expect(() => configFrom({ WEBHOOK_MAX_PAYLOAD_BYTES: "10" })).toThrow(/WEBHOOK_MAX_PAYLOAD_BYTES/);
  });
});

describe("redaction", () => {
  it("strips secret-named fields at any depth, in objects and arrays", () => {
    const input = {
      id: "u1",
      email: "a@b.c",
      password: "p",
      passwordHash: "$argon2",
      profile: { apiKey: "k", api_key: "k", "X-Api-Key": "k", APIKey: "k", nested: [{ refreshToken: "r", name: "n" }] },
      oauth: { accessToken: "a", clientSecret: "s", expiresAt: new Date("2026-01-01T00:00:00Z") },
      webhook: { secret: "whsec_x", secrets: ["whsec_y"], url: "https://x" },
      authorization: "Bearer x",
      sessionId: "s",
    };
    expect(redactSecrets(input)).toEqual({
      id: "u1",
      email: "a@b.c",
      profile: { nested: [{ name: "n" }] },
      oauth: { expiresAt: "2026-01-01T00:00:00.000Z" },
      webhook: { url: "https://x" },
    });
    expect(input.password).toBe("p");
  });

  it("keeps harmless names that merely contain a secret word", () => {
    for (const key of ["secretary", "tokenizer", "keyword", "passage", "footprint", "author", "status", "apiKeyRateLimitPerMinute"]) expect(isSecretKey(key), key).toBe(false);
    for (const key of ["password", "PASSWORD_HASH", "db-password", "apiKey", "private_key", "accessKey", "token", "clientSecret"]) expect(isSecretKey(key), key).toBe(true);
  });

  it("is applied to every envelope's data", () => {
    const env = createEnvelope({ type: "user.created", version: 1, tenantId: "t1", data: { user: { email: "a@b.c", passwordHash: "h" } } });
    expect(env.data).toEqual({ user: { email: "a@b.c" } });
  });

  it("refuses a cyclic structure instead of looping", () => {
    const a: Record<string, unknown> = { name: "a" };
    a.self = a;
    expect(() => redactSecrets(a)).toThrow(/cyclic/);
    const shared = { x: 1 };
    expect(redactSecrets({ a: shared, b: shared })).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});
