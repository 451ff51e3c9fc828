import { readFileSync } from "node:fs";
import path from "node:path";
import { Parser } from "@asyncapi/parser";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/env.ts";
import { CATALOG_FILE, printAsyncApi } from "../../src/webhooks/asyncapi.ts";
import { eventCatalog } from "../../src/webhooks/catalog.ts";
import { detailedCatalog } from "../../src/webhooks/catalog-schemas.ts";

describe("the published event catalog", () => {
  it(`is exactly what the code prints (run \`npm run schema:print\` and commit ${CATALOG_FILE})`, async () => {
    const committed = readFileSync(path.join(repoRoot, CATALOG_FILE), "utf8");
    expect(await printAsyncApi()).toBe(committed);
  });

  it("is a valid AsyncAPI 3.0 document with a channel per event type", async () => {
    const { document, diagnostics } = await new Parser().parse(await printAsyncApi());
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    expect(document?.version()).toBe("3.0.0");
    expect(document?.channels().all().map((c) => c.address()).sort()).toEqual(eventCatalog.map((e) => e.name).sort());
  });

  it("has an example per event type that its own schema accepts, and a schema that refuses a raw row", async () => {
    const ajv = new Ajv2020({ strict: false });
    addFormats.default(ajv);
    const catalog = await detailedCatalog();
    for (const entry of catalog) {
      const validate = ajv.compile(entry.schema);
      expect(validate(entry.example), `${entry.name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      if (!entry.graphqlType) continue;
      const object = entry.example.data as { object: Record<string, unknown> };
      // the database's vocabulary (a raw enum value, a date-time for a Date) does not pass
      const raw = structuredClone(entry.example) as { data: { object: Record<string, unknown> } };
      if ("status" in object.object) raw.data.object.status = String(object.object.status).toLowerCase();
      else raw.data.object.version = "3";
      expect(validate(raw), entry.name).toBe(false);
    }
  });

  it("writes ids and enums in the API's vocabulary", async () => {
    const job = (await detailedCatalog()).find((e) => e.name === "job.status_changed")!;
    const object = (job.example.data as { object: Record<string, unknown> }).object;
    expect(object).toMatchObject({ id: expect.stringMatching(/^Sm9iOj/), status: "TOP_OUT", scheduledDate: "2026-12-10", builder: { id: expect.stringMatching(/^QnVpbGRlcj/) } });
    expect(object).not.toHaveProperty("tenantId");
    expect(object).not.toHaveProperty("builderId");
  });
});
