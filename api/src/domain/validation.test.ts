import { describe, expect, it } from "vitest";
import { email, phone, toE164 } from "./validation.ts";

describe("input rules", () => {
  it("accept E.164 and 10-digit US phone numbers, stored as E.164", () => {
    for (const [input, stored] of [
      ["+18135550142", "+18135550142"], ["(813) 555-0142", "+18135550142"], ["813.555.0142", "+18135550142"],
      ["8135550142", "+18135550142"], ["+1 813 555 0142", "+18135550142"], ["1-813-555-0142", "+18135550142"], ["+442071838750", "+442071838750"],
    ]) {
      expect(phone.safeParse(input).success, input).toBe(true);
      expect(toE164(input!)).toBe(stored);
    }
    for (const bad of ["555-0142", "123", "+0123456789", "(013) 555-0142", "813-555-01429", "phone"]) expect(phone.safeParse(bad).success, bad).toBe(false);
  });

  it("accept emails up to 254 characters", () => {
    expect(email.safeParse("ops@shea.example").success).toBe(true);
    expect(email.safeParse("not-an-email").success).toBe(false);
    expect(email.safeParse(`${"a".repeat(250)}@b.co`).success).toBe(false);
  });
});
