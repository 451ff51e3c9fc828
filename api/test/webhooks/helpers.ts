import { randomUUID } from "node:crypto";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { Webhook as SvixWebhook } from "svix";
import { loadEnv } from "../../src/env.ts";
import { webhookConfig, type WebhookConfig } from "../../src/webhooks/config.ts";
import type { AttemptRecord, AttemptRecorder, WebhookEndpointConfig, WebhookMessage } from "../../src/webhooks/deliverer.ts";
import { createEnvelope, serializeEnvelope } from "../../src/webhooks/envelope.ts";
import { generateWebhookSecret } from "../../src/webhooks/signing.ts";
import type { ReceivedRequest } from "../support/webhook-receiver.ts";

/** The webhook config of an environment with these variables (the way production reads them). */
export function configFrom(vars: Record<string, string> = {}): WebhookConfig {
  return webhookConfig(
    loadEnv({ NODE_ENV: "test", JWT_SECRET: "test-secret-test-secret-test-secret-0123", ENCRYPTION_KEY: "0".repeat(64), ...vars }),
  );
}

export class MemoryRecorder implements AttemptRecorder {
  readonly attempts: AttemptRecord[] = [];
  async record(attempt: AttemptRecord): Promise<void> {
    this.attempts.push(attempt);
  }
}

export function endpointFor(url: string, overrides: Partial<WebhookEndpointConfig> = {}): WebhookEndpointConfig {
  return {
    id: `ep-${randomUUID()}`,
    tenantId: "tenant-a",
    url,
    filterTypes: null,
    rateLimitPerSecond: null,
    disabled: false,
    secrets: [{ secret: generateWebhookSecret(), expiresAt: null }],
    ...overrides,
  };
}

export function messageFor(tenantId = "tenant-a", type = "job.created", data: unknown = { jobId: "job-1", status: "NEW" }): WebhookMessage {
  const envelope = createEnvelope({ type, version: 1, tenantId, data });
  return { id: envelope.id, tenantId, eventType: type, payload: serializeEnvelope(envelope, 256 * 1024) };
}

function flatHeaders(req: ReceivedRequest): Record<string, string> {
  return Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : (v ?? "")]));
}

/** Verifies a received request with the `standardwebhooks` package and with `svix`; throws if either refuses. */
export function verifyWithBoth(req: ReceivedRequest, secret: string): unknown {
  const headers = flatHeaders(req);
  const standard = new StandardWebhook(secret).verify(req.body, headers);
  const svix = new SvixWebhook(secret).verify(req.body, headers);
  if (JSON.stringify(standard) !== JSON.stringify(svix)) throw new Error("the two libraries disagree");
  return standard;
}

/** Whether a library accepts the request with this secret. */
export function verifies(req: ReceivedRequest, secret: string): { standard: boolean; svix: boolean } {
  const headers = flatHeaders(req);
  const attempt = (fn: () => unknown) => {
    try {
      fn();
      return true;
    } catch {
      return false;
    }
  };
  return {
    standard: attempt(() => new StandardWebhook(secret).verify(req.body, headers)),
    svix: attempt(() => new SvixWebhook(secret).verify(req.body, headers)),
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
