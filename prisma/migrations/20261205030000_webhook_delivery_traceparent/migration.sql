-- Tracing (OpenTelemetry, api/src/telemetry/tracing.ts): the fan-out that creates a delivery records its trace
-- context, so each delivery attempt continues the trace of the change that caused it. NULL with tracing off.
ALTER TABLE "WebhookDelivery" ADD COLUMN "traceparent" TEXT;
