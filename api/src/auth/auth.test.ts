import jwt from "jsonwebtoken";
import { describe, expect, it } from "vitest";
import { generateApiKey, parseApiKey } from "./api-keys.ts";
import { LoginLimiter } from "./login-limiter.ts";
import { hashPassword, verifyPassword } from "./passwords.ts";
import { apiKeyScopes, rolePermissions, scopePermissions } from "./permissions.ts";
import { signAccessToken, verifyAccessToken } from "./tokens.ts";

const secret = "s".repeat(40);

describe("passwords", () => {
  it("hash with argon2id and verify", async () => {
    const h = await hashPassword("correct horse battery");
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, "correct horse battery")).toBe(true);
    expect(await verifyPassword(h, "wrong")).toBe(false);
    expect(await verifyPassword(null, "anything")).toBe(false);
    expect(await verifyPassword("garbage", "x")).toBe(false);
  });
});

describe("access tokens", () => {
  it("round-trip with subject, tenant and session", () => {
    const t = signAccessToken({ sub: "u1", tid: "t1", sid: "s1" }, secret);
    expect(verifyAccessToken(t, secret)).toMatchObject({ sub: "u1", tid: "t1", sid: "s1" });
  });

  it("refuse alg none, other secrets, other audiences, expired and garbage tokens alike", () => {
    const none = jwt.sign({ sid: "s" }, "", { algorithm: "none", subject: "u", issuer: "h2o-acp", audience: "h2o-acp-api" });
    const wrongSecret = signAccessToken({ sub: "u", sid: "s" }, "x".repeat(40));
    const wrongAudience = jwt.sign({ sid: "s" }, secret, { algorithm: "HS256", subject: "u", issuer: "h2o-acp", audience: "other" });
    const hs512 = jwt.sign({ sid: "s" }, secret, { algorithm: "HS512", subject: "u", issuer: "h2o-acp", audience: "h2o-acp-api" });
    const expired = signAccessToken({ sub: "u", sid: "s" }, secret, -10);
    for (const token of [none, wrongSecret, wrongAudience, hs512, expired, "garbage", ""]) {
      expect(() => verifyAccessToken(token, secret)).toThrow(expect.objectContaining({ message: "invalid or expired token", extensions: expect.objectContaining({ code: "UNAUTHENTICATED" }) }));
    }
  });

  it("are verified once, yet a remembered token still expires, and is refused under another secret", async () => {
    const token = signAccessToken({ sub: "u2", sid: "s2" }, secret, 1);
    const first = verifyAccessToken(token, secret);
    expect(verifyAccessToken(token, secret)).toBe(first); // remembered: the same claims, not verified again
    expect(() => verifyAccessToken(token, "y".repeat(40))).toThrow(/invalid or expired token/);
    const tampered = `${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`;
    expect(() => verifyAccessToken(tampered, secret)).toThrow(/invalid or expired token/);
    await new Promise((r) => setTimeout(r, (first.exp * 1000 - Date.now()) + 50));
    expect(() => verifyAccessToken(token, secret)).toThrow(/invalid or expired token/);
  });
});

describe("API keys", () => {
  it("carry a visible prefix, are stored as a hash, and parse back", () => {
    const k = generateApiKey();
    expect(k.key.startsWith(`${k.prefix}_`)).toBe(true);
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(parseApiKey(k.key)).toEqual({ prefix: k.prefix, hash: k.hash });
    expect(parseApiKey("h2okey_nothex_abc")).toBeNull();
    expect(parseApiKey(`${k.key}x`)).toBeNull();
  });
});

describe("permissions", () => {
  it("give viewers only reads and owners everything", () => {
    expect([...rolePermissions.viewer].every((a) => a.endsWith(":read"))).toBe(true);
    expect(rolePermissions.owner.has("user:manage")).toBe(true);
    expect(rolePermissions.dispatcher.has("bid:write")).toBe(false);
  });
  it("map API key scopes to actions and ignore unknown scopes", () => {
    expect(scopePermissions(["write:service_calls", "bogus"])).toEqual(new Set(apiKeyScopes["write:service_calls"]));
  });
});

describe("LoginLimiter", () => {
  it("locks an account out after repeated failures and clears on success", async () => {
    const limiter = new LoginLimiter({ perAccount: 3, perIp: 100, windowSeconds: 60 });
    for (let i = 0; i < 3; i++) await limiter.recordFailure("A@x.io", "1.1.1.1");
    expect(await limiter.retryAfter("a@x.io", "1.1.1.1")).toBe(0);
    await limiter.recordFailure("a@x.io", "1.1.1.1");
    expect(await limiter.retryAfter("a@x.io", "2.2.2.2")).toBeGreaterThan(0);
    expect(await limiter.retryAfter("b@x.io", "1.1.1.1")).toBe(0);
    await limiter.recordSuccess("a@x.io");
    expect(await limiter.retryAfter("a@x.io", "1.1.1.1")).toBe(0);
  });
  it("locks an IP out across accounts", async () => {
    const limiter = new LoginLimiter({ perAccount: 100, perIp: 3, windowSeconds: 60 });
    for (let i = 0; i < 4; i++) await limiter.recordFailure(`u${i}@x.io`, "9.9.9.9");
    expect(await limiter.retryAfter("new@x.io", "9.9.9.9")).toBeGreaterThan(0);
  });
});
