import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildIfChanged, type CachedBuild } from "./cached-build.ts";

describe("buildIfChanged", () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A project whose build concatenates its sources into out/bundle.txt (and generates src/gen/ beside them). */
  function project() {
    const root = mkdtempSync(path.join(tmpdir(), "h2o-cached-build-"));
    dirs.push(root);
    mkdirSync(path.join(root, "src", "nested"), { recursive: true });
    writeFileSync(path.join(root, "src", "a.ts"), "a");
    writeFileSync(path.join(root, "src", "nested", "b.ts"), "b");
    writeFileSync(path.join(root, "config.json"), "{}");
    let builds = 0;
    let fail = false;
    const target: CachedBuild = {
      name: "demo",
      root,
      inputs: ["src", "config.json", "absent.json"],
      ignore: ["src/gen"],
      output: path.join(root, "out"),
      required: ["bundle.txt"],
      async build() {
        builds++;
        if (fail) throw new Error("build failed");
        mkdirSync(path.join(root, "src", "gen"), { recursive: true });
        writeFileSync(path.join(root, "src", "gen", "types.ts"), String(builds));
        mkdirSync(target.output, { recursive: true });
        const read = (f: string) => (existsSync(path.join(root, f)) ? readFileSync(path.join(root, f), "utf8") : "");
        writeFileSync(path.join(target.output, "bundle.txt"), read("src/a.ts") + read("src/nested/b.ts"));
      },
    };
    return { root, target, builds: () => builds, failNext: (v: boolean) => (fail = v) };
  }

  it("builds the first time, skips while the inputs are unchanged, and builds again when one changes", async () => {
    const p = project();
    expect((await buildIfChanged(p.target)).built).toBe(true);
    expect((await buildIfChanged(p.target)).built).toBe(false); // src/gen changed during the build: ignored
    expect(p.builds()).toBe(1);

    writeFileSync(path.join(p.root, "src", "nested", "b.ts"), "B");
    expect((await buildIfChanged(p.target)).built).toBe(true);
    expect(readFileSync(path.join(p.target.output, "bundle.txt"), "utf8")).toBe("aB");
    expect((await buildIfChanged(p.target)).built).toBe(false);

    writeFileSync(path.join(p.root, "absent.json"), "now present");
    expect((await buildIfChanged(p.target)).built).toBe(true);
    rmSync(path.join(p.root, "src", "a.ts"));
    writeFileSync(path.join(p.root, "src", "renamed.ts"), "a");
    expect((await buildIfChanged(p.target)).built).toBe(true);
    expect(p.builds()).toBe(4);
  });

  it("builds again when the output is gone or forced, and after a failed build", async () => {
    const p = project();
    await buildIfChanged(p.target);
    rmSync(path.join(p.target.output, "bundle.txt"));
    expect((await buildIfChanged(p.target)).built).toBe(true);
    expect((await buildIfChanged(p.target, { force: true })).built).toBe(true);

    writeFileSync(path.join(p.root, "config.json"), '{"x":1}');
    p.failNext(true);
    await expect(buildIfChanged(p.target)).rejects.toThrow("build failed");
    p.failNext(false);
    writeFileSync(path.join(p.root, "config.json"), "{}"); // back to the inputs of the last good build: still rebuilt
    expect((await buildIfChanged(p.target)).built).toBe(true);
    expect(p.builds()).toBe(5);
  });
});
