-- CreateIndex
CREATE INDEX "WebhookMessage_tenantId_fannedOutAt_occurredAt_id_idx" ON "WebhookMessage"("tenantId", "fannedOutAt", "occurredAt", "id");
