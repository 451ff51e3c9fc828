import { describe, expect, it } from "vitest";
import { localTarget } from "./pubsub.ts";

const event = (type: string, detail: unknown) => new CustomEvent(type, { detail });

describe("the in-process event target", () => {
  it("delivers to every listener of the topic present when the dispatch starts, in order, and to no other topic", () => {
    const target = localTarget() as unknown as EventTarget;
    const got: string[] = [];
    const late = () => got.push("late");
    const listeners = Array.from({ length: 1000 }, (_, i) => ({ handleEvent: () => void got.push(String(i)) }));
    for (const l of listeners) target.addEventListener("a", l);
    target.addEventListener("b", () => got.push("b"));
    target.addEventListener("a", () => target.addEventListener("a", late)); // added during dispatch: not this one's
    target.dispatchEvent(event("a", 1));
    expect(got).toEqual(listeners.map((_, i) => String(i)));
    got.length = 0;
    target.dispatchEvent(event("a", 2));
    expect(got.at(-1)).toBe("late");
  });

  it("removes listeners (also during a dispatch), and forgets a topic with none left", () => {
    const target = localTarget() as unknown as EventTarget;
    const got: number[] = [];
    const second = () => got.push(2);
    const first = () => (got.push(1), target.removeEventListener("t", second));
    target.addEventListener("t", first);
    target.addEventListener("t", second);
    target.dispatchEvent(event("t", null));
    expect(got).toEqual([1]);
    target.removeEventListener("t", first);
    target.dispatchEvent(event("t", null));
    expect(got).toEqual([1]);
  });

  it("a listener that throws does not keep the event from the others; the first error is rethrown after them", () => {
    const target = localTarget() as unknown as EventTarget;
    const got: string[] = [];
    target.addEventListener("t", () => {
      throw new Error("first");
    });
    target.addEventListener("t", () => {
      throw new Error("second");
    });
    target.addEventListener("t", () => got.push("third"));
    expect(() => target.dispatchEvent(event("t", null))).toThrow("first");
    expect(got).toEqual(["third"]);
  });
});
