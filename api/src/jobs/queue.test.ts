import { describe, expect, it } from "vitest";
import { ZodError } from "zod";
import { auditJobDefinitions, marketingJobDefinitions, webhookDeliverJob, webhookFanoutJob, webhookJobDefinitions } from "./definitions.ts";
import { cronItemsOf, defineJob, taskListOf } from "./queue.ts";
import { z } from "zod";

const TENANT = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const ENDPOINT = "2f1b2a4e-5c1d-4e8f-9a3b-6d7c8e9f0a1b";

describe("job definitions and the queue", () => {
  it("every job has one definition with a unique id, and the schedules come from the definitions", () => {
    const ids = [...webhookJobDefinitions, ...marketingJobDefinitions, ...auditJobDefinitions].map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(cronItemsOf([...marketingJobDefinitions, ...auditJobDefinitions], { AUDIT_PARTITIONS_CRON: "17 3 * * *" }).map((c) => c.task).sort()).toEqual(["audit.archive", "audit.partitions", "marketing.refresh_tokens"]);
  });

  it("a definition's builders make its jobs: identifier, payload, key, queue, priority", () => {
    expect(webhookDeliverJob.jobs.now(TENANT, ENDPOINT)).toEqual({ identifier: "webhook.deliver", payload: { tenantId: TENANT, endpointId: ENDPOINT }, jobKey: `webhook.deliver:${ENDPOINT}`, priority: -1 });
    const at = new Date("2026-12-05T12:00:00Z");
    expect(webhookDeliverJob.jobs.at(TENANT, ENDPOINT, at, "00-abc-def-01")).toMatchObject({ identifier: "webhook.deliver", runAt: at, jobKey: `webhook.deliver-at:${ENDPOINT}`, payload: { traceparent: "00-abc-def-01" } });
    // built-in fan-outs are unkeyed (picked up at commit); Svix's share the tenant's serial queue
    expect(webhookFanoutJob.jobs.of({ tenantId: TENANT, messageId: ENDPOINT }, false)).toEqual({ identifier: "webhook.fanout", payload: { tenantId: TENANT, messageId: ENDPOINT } });
    expect(webhookFanoutJob.jobs.of({ tenantId: TENANT, messageId: ENDPOINT }, true)).toMatchObject({ jobKey: `webhook.fanout:${ENDPOINT}`, queueName: `webhook-svix:${TENANT}` });
  });

  it("a task list built from definitions parses each payload with the definition's schema before its handler runs", async () => {
    const seen: unknown[] = [];
    const echo = defineJob({
      id: "test.echo",
      payload: z.object({ n: z.number().int(), label: z.string().default("none") }),
      handler: async () => (deps: { factor: number }) => async (payload) => void seen.push({ ...payload, n: payload.n * deps.factor }),
    });
    const tasks = await taskListOf([echo], { factor: 10 });
    expect(Object.keys(tasks)).toEqual(["test.echo"]);
    const helpers = {} as Parameters<NonNullable<(typeof tasks)["test.echo"]>>[1];
    await tasks["test.echo"]!({ n: 2 }, helpers);
    expect(seen).toEqual([{ n: 20, label: "none" }]);
    await expect(tasks["test.echo"]!({ n: "two" }, helpers)).rejects.toBeInstanceOf(ZodError);
    expect(seen).toHaveLength(1);
  });

  it("builds every worker side's task list from its definitions, loading each handler", async () => {
    for (const definitions of [webhookJobDefinitions, marketingJobDefinitions, auditJobDefinitions]) {
      const tasks = await taskListOf(definitions as never, {} as never);
      expect(Object.keys(tasks).sort()).toEqual(definitions.map((d) => d.id).sort());
    }
  });
});
