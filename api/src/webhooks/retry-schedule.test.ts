import { describe, expect, it } from "vitest";
import { nextAttemptAt, SVIX_RETRY_SCHEDULE_MS } from "./retry-schedule.ts";
import { configFrom } from "../../test/webhooks/helpers.ts";

const now = new Date("2026-05-01T00:00:00Z");
const delay = (d: Date | null) => (d ? d.getTime() - now.getTime() : null);
const mid = () => 0.5;

describe("nextAttemptAt", () => {
  it("follows Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then nothing", () => {
    const min = 60_000;
    const hour = 60 * min;
    expect(SVIX_RETRY_SCHEDULE_MS).toEqual([0, 5_000, 5 * min, 30 * min, 2 * hour, 5 * hour, 10 * hour, 10 * hour]);
    const delays = Array.from({ length: 9 }, (_, made) => delay(nextAttemptAt(made, now, SVIX_RETRY_SCHEDULE_MS, mid)));
    expect(delays).toEqual([0, 5_000, 5 * min, 30 * min, 2 * hour, 5 * hour, 10 * hour, 10 * hour, null]);
  });

  it("jitters each delay within ±20 % by default, uniformly by `random`", () => {
    expect(delay(nextAttemptAt(1, now, SVIX_RETRY_SCHEDULE_MS, () => 0))).toBe(4_000);
    expect(delay(nextAttemptAt(1, now, SVIX_RETRY_SCHEDULE_MS, () => 0.999999))).toBe(6_000);
    expect(delay(nextAttemptAt(2, now, SVIX_RETRY_SCHEDULE_MS, () => 0.75))).toBe(330_000);
    expect(delay(nextAttemptAt(1, now, SVIX_RETRY_SCHEDULE_MS, () => 0, 0.1))).toBe(4_500);
    expect(delay(nextAttemptAt(0, now, SVIX_RETRY_SCHEDULE_MS, () => 0))).toBe(0);
    for (let i = 0; i < 200; i++) {
      const d = delay(nextAttemptAt(4, now))!;
      expect(d).toBeGreaterThanOrEqual(7_200_000 * 0.8);
      expect(d).toBeLessThanOrEqual(7_200_000 * 1.2);
    }
  });

  it("takes any schedule; its length is the number of attempts", () => {
    expect(delay(nextAttemptAt(1, now, [0, 50, 100], mid))).toBe(50);
    expect(delay(nextAttemptAt(2, now, [0, 50, 100], mid))).toBe(100);
    expect(nextAttemptAt(3, now, [0, 50, 100], mid)).toBeNull();
    expect(() => nextAttemptAt(-1, now)).toThrow(RangeError);
    expect(() => nextAttemptAt(1.5, now)).toThrow(RangeError);
  });

  it("reads the schedule from WEBHOOK_RETRY_SCHEDULE_MS, Svix's by default", () => {
    expect(configFrom().retryScheduleMs).toEqual(SVIX_RETRY_SCHEDULE_MS);
    expect(configFrom({ WEBHOOK_RETRY_SCHEDULE_MS: "0, 50,100" }).retryScheduleMs).toEqual([0, 50, 100]);
    expect(configFrom({ WEBHOOK_RETRY_SCHEDULE_MS: "" }).retryScheduleMs).toEqual(SVIX_RETRY_SCHEDULE_MS);
    expect(() => configFrom({ WEBHOOK_RETRY_SCHEDULE_MS: "0,soon" })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS/);
    expect(() => configFrom({ WEBHOOK_RETRY_SCHEDULE_MS: "0,,5" })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS/);
    expect(() => configFrom({ WEBHOOK_RETRY_SCHEDULE_MS: "-5" })).toThrow(/WEBHOOK_RETRY_SCHEDULE_MS/);
  });
});
