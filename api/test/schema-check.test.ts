import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkSchemaChange } from "../scripts/schema-check.ts";

const V1 = `type Query { jobs: [Job!]! legacy: String old: String @deprecated(reason: "use jobs") }\ntype Job { id: ID! status: String! }\n`;
const script = path.resolve(import.meta.dirname, "../scripts/schema-check.ts");

describe("schema:check, the breaking-change gate", () => {
  it("refuses a removed field that is not recorded, passes an added one", async () => {
    const removed = await checkSchemaChange(V1, V1.replace(" legacy: String", ""), []);
    expect(removed.refused.map((r) => `${r.change.type} ${r.change.path}`)).toEqual(["FIELD_REMOVED Query.legacy"]);
    const added = await checkSchemaChange(V1, V1.replace("status: String!", "status: String! lot: String"), []);
    expect(added.changes.map((c) => `${c.type} ${c.path}`)).toEqual(["FIELD_ADDED Job.lot"]);
    expect(added.refused).toEqual([]);
  });

  it("passes a recorded removal of a deprecated field; a removal without deprecation needs its exception recorded", async () => {
    const record = (p: string, extra = {}) => [{ type: "FIELD_REMOVED", path: p, date: "2026-12-05", reason: "replaced", ...extra }];
    expect((await checkSchemaChange(V1, V1.replace(' old: String @deprecated(reason: "use jobs")', ""), record("Query.old"))).refused).toEqual([]);
    const undeprecated = await checkSchemaChange(V1, V1.replace(" legacy: String", ""), record("Query.legacy"));
    expect(undeprecated.refused.map((r) => r.why)).toEqual([expect.stringContaining("without a deprecation period")]);
    expect((await checkSchemaChange(V1, V1.replace(" legacy: String", ""), record("Query.legacy", { withoutDeprecation: "never used" }))).refused).toEqual([]);
  });

  it("refuses malformed records and other breaking changes (a type changed)", async () => {
    const bad = await checkSchemaChange(V1, V1, [{ type: "FIELD_REMOVED", path: "Query.x", date: "yesterday", reason: "r" }]);
    expect(bad.invalid).toEqual([expect.stringContaining('"date" must be YYYY-MM-DD')]);
    const retyped = await checkSchemaChange(V1, V1.replace("status: String!", "status: Int!"), []);
    expect(retyped.refused.map((r) => `${r.change.type} ${r.change.path}`)).toEqual(["FIELD_TYPE_CHANGED Job.status"]);
  });

  describe("the command, on a git repository", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "schema-check-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: dir, stdio: "ignore" });
    const commit = (sdl: string, intended: unknown[] = []) => {
      writeFileSync(path.join(dir, "schema.graphql"), sdl);
      writeFileSync(path.join(dir, "schema-changes.json"), JSON.stringify({ intended }));
      git("add", "-A");
      git("commit", "-qm", "change");
    };
    const check = () => spawnSync(process.execPath, ["--import", "tsx", script, "--dir", dir], { encoding: "utf8", cwd: path.dirname(script) });

    it("passes with nothing to compare, fails on an unrecorded removal, passes once it is recorded", () => {
      git("init", "-q");
      commit(V1);
      const first = check();
      expect(first.stdout).toContain("nothing to compare");
      expect(first.status).toBe(0);
      commit(V1.replace(" legacy: String", ""));
      const removed = check();
      expect(removed.stdout).toContain("REFUSED FIELD_REMOVED Query.legacy");
      expect(removed.status).toBe(1);
      // the same removal, recorded (in the working tree, as a change under review would carry it)
      writeFileSync(path.join(dir, "schema-changes.json"), JSON.stringify({ intended: [{ type: "FIELD_REMOVED", path: "Query.legacy", date: "2026-12-05", reason: "no client uses it", withoutDeprecation: "never documented" }] }));
      const recorded = check();
      expect(recorded.stdout).not.toContain("REFUSED");
      expect(recorded.status).toBe(0);
    });
  });
});
