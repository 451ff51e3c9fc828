-- The overview's aggregates (api/src/schema/*/figures.ts) are grouped queries over these indexes.

-- CreateIndex
CREATE INDEX "Job_tenantId_builderId_status_archivedAt_idx" ON "Job"("tenantId", "builderId", "status", "archivedAt");

-- CreateIndex
CREATE INDEX "Bid_tenantId_status_archivedAt_amountCents_idx" ON "Bid"("tenantId", "status", "archivedAt", "amountCents");

-- CreateIndex
CREATE INDEX "Bid_tenantId_decidedAt_status_idx" ON "Bid"("tenantId", "decidedAt", "status");

-- CreateIndex
CREATE INDEX "ServiceCall_tenantId_priority_status_createdAt_idx" ON "ServiceCall"("tenantId", "priority", "status", "createdAt");
