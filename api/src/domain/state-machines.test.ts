import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { bidStatus } from "./bid-status.ts";
import { jobStatus } from "./job-status.ts";
import { serviceCallStatus } from "./service-call-status.ts";

describe("state machines", () => {
  it("define a next list for every status, only naming statuses of their own machine, with no self-loops", () => {
    for (const machine of [jobStatus, bidStatus, serviceCallStatus]) {
      const statuses = Object.keys(machine.transitions);
      for (const [from, next] of Object.entries(machine.transitions) as Array<[string, readonly string[]]>) {
        expect(next.every((s) => statuses.includes(s) && s !== from)).toBe(true);
      }
    }
  });

  it("reach every status from the initial one", () => {
    for (const [machine, initial] of [[jobStatus, "scheduled"], [bidStatus, "draft"], [serviceCallStatus, "new"]] as const) {
      const reached = new Set<string>([initial]);
      const queue: string[] = [initial];
      while (queue.length) for (const n of (machine.next as (s: string) => readonly string[])(queue.shift()!)) if (!reached.has(n)) (reached.add(n), queue.push(n));
      expect([...reached].sort()).toEqual(Object.keys(machine.transitions).sort());
    }
  });

  it("throw BAD_USER_INPUT naming the allowed next statuses", () => {
    expect(() => jobStatus.assert("scheduled", "underground")).not.toThrow();
    try {
      jobStatus.assert("scheduled", "trim");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AppError);
      expect((e as AppError).extensions).toMatchObject({ code: "BAD_USER_INPUT", field: ["input", "status"], current: "SCHEDULED", allowed: ["UNDERGROUND", "ON_HOLD", "CANCELLED"] });
    }
    expect(() => bidStatus.assert("won", "lost")).toThrow(/none \(final status\)/);
  });
});
