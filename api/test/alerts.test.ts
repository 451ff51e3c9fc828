import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { repoRoot } from "../src/env.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { as, seedDemo } from "./support/domain.ts";

interface Rule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: { summary: string; description: string };
}

const KEYWORDS = new Set(["by", "without", "on", "ignoring", "and", "or", "unless", "bool", "offset", "group_left", "group_right"]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords, labels, strings or numbers. */
const metricsOf = (expr: string) =>
  [...expr.replace(/"[^"]*"/g, '""').replace(/\{[^}]*\}/g, " ").replace(/\[[^\]]*\]/g, " ").matchAll(/(?<![\w.])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)]
    .map((m) => m[1]!)
    .filter((name) => !KEYWORDS.has(name));

describe("alerting rules (ops/alerts.yml)", () => {
  const rules: Rule[] = (parse(readFileSync(path.join(repoRoot, "ops/alerts.yml"), "utf8")) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
  let t: TestApp;
  let exposed: string;
  beforeAll(async () => {
    t = await startTestApp();
    await seedDemo(t).then((p) => p.$disconnect());
    const { url } = await t.app.start();
    await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...as("all_county") }, body: JSON.stringify({ query: "{ viewer { email } }" }) });
    exposed = await (await fetch(url.replace(/\/graphql$/, "/metrics"))).text();
  });
  afterAll(async () => {
    await t?.close();
  });

  it("has each alert named once, with a duration, a severity and a summary", () => {
    expect(rules.length).toBeGreaterThanOrEqual(7);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["page", "ticket"], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length, rule.alert).toBeGreaterThan(10);
    }
  });

  it("names only metrics the API exposes at /metrics", () => {
    const names = new Set(exposed.split("\n").filter((l) => l.startsWith("# TYPE ")).flatMap((l) => {
      const [, , name, type] = l.split(" ");
      return type === "histogram" ? [`${name}_count`, `${name}_sum`, `${name}_bucket`] : [name!];
    }));
    for (const rule of rules) {
      const used = metricsOf(rule.expr);
      expect(used.length, rule.alert).toBeGreaterThan(0);
      for (const metric of used) expect(names.has(metric), `${rule.alert}: ${metric}`).toBe(true);
    }
  });

  it("the pool gauge reports the pool's size and its connections", () => {
    const value = (state: string) => Number(exposed.match(new RegExp(`^db_pool_connections\\{state="${state}"\\} (\\d+)`, "m"))?.[1]);
    expect(value("max")).toBe(t.env.DB_POOL_MAX);
    expect(value("total")).toBeGreaterThan(0);
    expect(value("waiting")).toBe(0);
  });
});
