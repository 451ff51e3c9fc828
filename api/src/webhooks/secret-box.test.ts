import { describe, expect, it } from "vitest";
import { SecretBox } from "./secret-box.ts";

describe("SecretBox (AES-256-GCM at rest)", () => {
  const box = new SecretBox("ab".repeat(32));
  it("round-trips, never shows the plaintext, and uses a fresh IV each time", () => {
    const sealed = box.seal("whsec_top-secret", "webhook-endpoint:1");
    expect(sealed).not.toContain("top-secret");
    expect(box.seal("whsec_top-secret", "webhook-endpoint:1")).not.toBe(sealed);
    expect(box.open(sealed, "webhook-endpoint:1")).toBe("whsec_top-secret");
  });
  it("refuses another row's context, another key and any tampering", () => {
    const sealed = box.seal("s", "webhook-endpoint:1");
    expect(() => box.open(sealed, "webhook-endpoint:2")).toThrow();
    expect(() => new SecretBox("cd".repeat(32)).open(sealed, "webhook-endpoint:1")).toThrow();
    const parts = sealed.split(".");
    parts[3] = Buffer.from("x").toString("base64url");
    expect(() => box.open(parts.join("."), "webhook-endpoint:1")).toThrow();
    expect(() => new SecretBox("short")).toThrow(/64 hex/);
  });
});
