import { describe, expect, it } from "vitest";
import type { DomainEvent, EntityType } from "../events/domain-event.ts";
import { accessChangedBy } from "./access-watch.ts";
import type { Principal } from "./principal.ts";

const user: Principal = { kind: "user", userId: "u1", email: "a@example.com", name: "A", role: "dispatcher", sessionId: "s1" };
const key: Principal = { kind: "api_key", apiKeyId: "k1", prefix: "h2okey_000000000000", name: "partner", scopes: [] };

function event(entityType: EntityType, entityId: string, action: DomainEvent["action"], before: unknown, after: unknown): DomainEvent {
  return { id: "e", type: `${entityType}.${action}`, tenantId: "t", entityType, entityId, action, occurredAt: new Date(), requestId: "r", actor: null, before, after };
}

describe("accessChangedBy: which changes end a connection opened with a principal's rights", () => {
  const config = { jobsEnabled: true, bidsEnabled: true, serviceCallsEnabled: false, marketingEnabled: false, rateLimitPerMinute: 600 };

  it("a capability switched on or off ends every connection of the tenant; other configuration does not", () => {
    expect(accessChangedBy(user, event("tenant_config", "c", "updated", config, { ...config, jobsEnabled: false }))).toBe(true);
    expect(accessChangedBy(key, event("tenant_config", "c", "updated", config, { ...config, marketingEnabled: true }))).toBe(true);
    expect(accessChangedBy(user, event("tenant_config", "c", "updated", config, { ...config, rateLimitPerMinute: 60 }))).toBe(false);
  });

  it("the user disabled, or the user's membership re-roled or removed; not another user's, not a new membership", () => {
    expect(accessChangedBy(user, event("user", "u1", "updated", { status: "active" }, { status: "disabled" }))).toBe(true);
    expect(accessChangedBy(user, event("user", "u1", "updated", { status: "active" }, { status: "active" }))).toBe(false);
    expect(accessChangedBy(user, event("user", "u2", "updated", { status: "active" }, { status: "disabled" }))).toBe(false);
    expect(accessChangedBy(user, event("membership", "m", "updated", { userId: "u1", role: "owner" }, { userId: "u1", role: "viewer" }))).toBe(true);
    expect(accessChangedBy(user, event("membership", "m", "deleted", { userId: "u1" }, null))).toBe(true);
    expect(accessChangedBy(user, event("membership", "m", "updated", { userId: "u2" }, { userId: "u2" }))).toBe(false);
    expect(accessChangedBy(user, event("membership", "m", "created", null, { userId: "u1" }))).toBe(false);
  });

  it("the API key revoked or deleted; not another key, not a user's change", () => {
    expect(accessChangedBy(key, event("api_key", "k1", "updated", { revokedAt: null }, { revokedAt: new Date() }))).toBe(true);
    expect(accessChangedBy(key, event("api_key", "k1", "deleted", { revokedAt: null }, null))).toBe(true);
    expect(accessChangedBy(key, event("api_key", "k1", "updated", { revokedAt: null, name: "a" }, { revokedAt: null, name: "b" }))).toBe(false);
    expect(accessChangedBy(key, event("api_key", "k2", "updated", { revokedAt: null }, { revokedAt: new Date() }))).toBe(false);
    expect(accessChangedBy(key, event("user", "u1", "updated", { status: "active" }, { status: "disabled" }))).toBe(false);
    expect(accessChangedBy(user, event("api_key", "k1", "updated", { revokedAt: null }, { revokedAt: new Date() }))).toBe(false);
  });
});
