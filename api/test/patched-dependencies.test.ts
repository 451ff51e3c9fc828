// Our patches to dependencies (patches/, applied by patch-package after every npm ci) are in place: a clean install
// without them would still pass every other test, only slower.
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import * as helpers from "@whatwg-node/promise-helpers";

const require = createRequire(import.meta.url);

describe("@whatwg-node/promise-helpers 1.3.2, with 2.0's allocation-free fake promises (patches/)", () => {
  // graphql-yoga, envelop and @whatwg-node/server call these several times per request and per plugin hook; 1.3.2 built
  // each fake promise as an object literal with three closures and two computed symbol keys (about 8 % of the API's
  // CPU under the http bench's load, npm run bench -- http --cpu-prof)
  for (const [name, module] of [
    ["ESM", helpers],
    ["CommonJS", require("@whatwg-node/promise-helpers") as typeof helpers],
  ] as const) {
    it(`${name}: resolved and rejected fake promises are instances of shared classes, and behave as before`, () => {
      const one = module.fakePromise(1);
      const two = module.fakePromise(2);
      expect(Object.getPrototypeOf(one)).toBe(Object.getPrototypeOf(two));
      expect(Object.getPrototypeOf(one)).not.toBe(Object.prototype);
      expect(Object.hasOwn(one, "then")).toBe(false);
      expect(module.unfakePromise(one.then((v) => v + 1))).toBe(2);
      expect(Object.prototype.toString.call(one)).toBe("[object Promise]");

      const failed = module.fakeRejectPromise(new Error("no"));
      expect(Object.getPrototypeOf(failed)).not.toBe(Object.prototype);
      expect(module.unfakePromise(failed.catch((err: Error) => err.message))).toBe("no");
      expect(() => module.unfakePromise(failed)).toThrow("no");
    });

    it(`${name}: handleMaybePromise answers a synchronous input synchronously, and a promise with a promise`, async () => {
      expect(module.handleMaybePromise(() => 2, (v) => v * 3)).toBe(6);
      expect(module.handleMaybePromise(() => { throw new Error("input"); }, (v) => v, (err: Error) => `caught ${err.message}`)).toBe("caught input");
      expect(() => module.handleMaybePromise(() => 1, () => { throw new Error("output"); }, () => "not this")).toThrow("output");
      const later = module.handleMaybePromise(() => Promise.resolve(2), (v) => v * 3);
      expect(later).toBeInstanceOf(Promise);
      await expect(later).resolves.toBe(6);
      const order: string[] = [];
      expect(module.handleMaybePromise(() => 1, (v) => v, undefined, () => void order.push("finally"))).toBe(1);
      expect(order).toEqual(["finally"]);
    });

    it(`${name}: keeps 1.3's mapMaybePromise, which graphql-yoga re-exports`, () => {
      expect(module.mapMaybePromise(4, (v: number) => v + 1)).toBe(5);
    });
  }

  it("graphql-yoga loads with it (it re-exports every helper)", async () => {
    const yoga = await import("graphql-yoga");
    expect(yoga.mapMaybePromise).toBe(helpers.mapMaybePromise);
  });
});
