-- The overview's open service calls and win rate, read from their indexes alone (no heap visit for the status,
-- priority or archivedAt of each row).

-- DropIndex
DROP INDEX "ServiceCall_tenantId_priority_status_createdAt_idx";

-- DropIndex
DROP INDEX "Bid_tenantId_decidedAt_status_idx";

-- CreateIndex
CREATE INDEX "ServiceCall_tenantId_status_priority_archivedAt_createdAt_idx" ON "ServiceCall"("tenantId", "status", "priority", "archivedAt", "createdAt");

-- CreateIndex
CREATE INDEX "Bid_tenantId_decidedAt_status_archivedAt_idx" ON "Bid"("tenantId", "decidedAt", "status", "archivedAt");
