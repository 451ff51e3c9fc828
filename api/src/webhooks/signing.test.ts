import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { describe, expect, it } from "vitest";
import { activeSecrets, generateWebhookSecret, isWebhookSecret, rotateSecrets, signPayload } from "./signing.ts";

const HOUR = 3_600_000;
const verify = (secret: string, payload: string, headers: Record<string, string>) => ({
  standard: ok(() => new StandardWebhook(secret).verify(payload, headers)),
  svix: ok(() => new SvixWebhook(secret).verify(payload, headers)),
});
function ok(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch {
    return false;
  }
}

describe("secrets", () => {
  it("are whsec_ plus base64 of 32 random bytes, accepted by both libraries", () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), "base64")).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
    expect(isWebhookSecret(a)).toBe(true);
    expect(isWebhookSecret("whsec_short")).toBe(false);
    expect(isWebhookSecret(a.slice(6))).toBe(false);
    expect(() => new StandardWebhook(a)).not.toThrow();
  });
});

describe("signPayload", () => {
  const payload = JSON.stringify({ id: "evt_1", type: "job.created", data: { n: 1 } });

  it("produces Standard Webhooks headers that standardwebhooks and svix both verify", () => {
    const secret = generateWebhookSecret();
    const at = new Date();
    const headers = signPayload("evt_1", at, payload, [secret]);
    expect(headers["webhook-id"]).toBe("evt_1");
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(at.getTime() / 1000)));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verify(secret, payload, { ...headers })).toEqual({ standard: true, svix: true });
    expect(new SvixWebhook(secret).verify(payload, { ...headers })).toEqual(JSON.parse(payload));
  });

  it("is the svix package's own signature", () => {
    const secret = generateWebhookSecret();
    const at = new Date("2026-01-01T00:00:00Z");
    expect(signPayload("m", at, payload, [secret])["webhook-signature"]).toBe(new SvixWebhook(secret).sign("m", at, payload));
  });

  it("does not verify a changed body, another id, another secret or an old timestamp", () => {
    const secret = generateWebhookSecret();
    const headers = { ...signPayload("evt_1", new Date(), payload, [secret]) };
    expect(verify(secret, payload.replace("1}", "2}"), headers)).toEqual({ standard: false, svix: false });
    expect(verify(secret, payload, { ...headers, "webhook-id": "evt_2" })).toEqual({ standard: false, svix: false });
    expect(verify(generateWebhookSecret(), payload, headers)).toEqual({ standard: false, svix: false });
    const old = { ...signPayload("evt_1", new Date(Date.now() - 10 * 60_000), payload, [secret]) };
    expect(verify(secret, payload, old)).toEqual({ standard: false, svix: false });
  });

  it("signs once per secret, space separated, and each secret verifies on its own", () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = { ...signPayload("evt_1", new Date(), payload, [a, b]) };
    expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
    expect(verify(a, payload, headers)).toEqual({ standard: true, svix: true });
    expect(verify(b, payload, headers)).toEqual({ standard: true, svix: true });
  });

  it("refuses to sign without a secret", () => {
    expect(() => signPayload("evt_1", new Date(), payload, [])).toThrow(/no active secret/);
  });
});

describe("rotation", () => {
  const t0 = new Date("2026-05-01T00:00:00Z");
  const at = (hours: number) => new Date(t0.getTime() + hours * HOUR);

  it("keeps the old secret for 24 h next to the new one, then only the new one", () => {
    const old = generateWebhookSecret();
    const rotated = rotateSecrets([{ secret: old, expiresAt: null }], t0);
    const fresh = rotated[0]!.secret;
    expect(rotated).toEqual([
      { secret: fresh, expiresAt: null },
      { secret: old, expiresAt: at(24) },
    ]);
    expect(activeSecrets(rotated, at(23.9))).toEqual([fresh, old]);
    expect(activeSecrets(rotated, at(24))).toEqual([fresh]);

    const payload = '{"a":1}';
    const during = { ...signPayload("evt", new Date(), payload, activeSecrets(rotated, at(1))) };
    expect(verify(old, payload, during)).toEqual({ standard: true, svix: true });
    expect(verify(fresh, payload, during)).toEqual({ standard: true, svix: true });
    const after = { ...signPayload("evt", new Date(), payload, activeSecrets(rotated, at(25))) };
    expect(verify(old, payload, after)).toEqual({ standard: false, svix: false });
    expect(verify(fresh, payload, after)).toEqual({ standard: true, svix: true });
  });

  it("rotating twice keeps earlier expiries and drops expired secrets", () => {
    const first = rotateSecrets([{ secret: "whsec_a", expiresAt: null }], t0, "whsec_b");
    const second = rotateSecrets(first, at(2), "whsec_c");
    expect(second).toEqual([
      { secret: "whsec_c", expiresAt: null },
      { secret: "whsec_b", expiresAt: at(26) },
      { secret: "whsec_a", expiresAt: at(24) },
    ]);
    expect(rotateSecrets(second, at(25), "whsec_d").map((s) => s.secret)).toEqual(["whsec_d", "whsec_c", "whsec_b"]);
    expect(rotateSecrets([{ secret: "whsec_a", expiresAt: null }], t0, "whsec_b", 0)).toEqual([
      { secret: "whsec_b", expiresAt: null },
      { secret: "whsec_a", expiresAt: t0 },
    ]);
  });
});
