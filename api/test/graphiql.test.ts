import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../src/env.ts";
import { startTestApp, type TestApp } from "./support/app.ts";
import { launchChromium } from "./support/browser.ts";

describe("GraphiQL at /graphql", () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  beforeAll(async () => {
    t = await startTestApp();
    ({ url } = await t.app.start());
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("renders in headless Chromium from the server's own assets, with no request leaving 127.0.0.1", async () => {
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on("request", (r) => requested.push(r.url()));
    await page.goto(url);
    await page.locator(".graphiql-container").first().waitFor({ timeout: 20_000 });
    await page.locator(".graphiql-execute-button").first().click();
    await expect.poll(async () => page.locator(".graphiql-response").first().innerText(), { timeout: 10_000 }).toMatch(/"serverInfo"[\s\S]*"version"/);
    const outside = requested.filter((u) => !/^(https?|wss?):\/\/127\.0\.0\.1[:/]/.test(u) && !u.startsWith("data:") && !u.startsWith("blob:"));
    expect(outside).toEqual([]);
    expect(requested.length).toBeGreaterThan(0);
    const shots = path.join(repoRoot, "test-results", "screenshots");
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: path.join(shots, "graphiql.png"), fullPage: true });
  });
});
