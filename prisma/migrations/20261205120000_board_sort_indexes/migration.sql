-- The boards' default order is "most recently changed first, ties by id" (updatedAt DESC, id DESC). An index on
-- (tenantId, updatedAt) gave the rows in updatedAt order only: PostgreSQL read every row sharing the page's last
-- updatedAt (and looked up each one's builder) to sort the ties by id before it could stop. With id in the index the
-- page is read in order and the scan stops at the page size. Measured as h2o_app on 50,300 jobs (npm run bench -- http's
-- data set, whose rows share timestamps in groups): the jobs board's statement 570 -> 300 us of PostgreSQL CPU.
-- The new indexes cover every query the old ones served (same leading columns).
DROP INDEX "Job_tenantId_updatedAt_idx";
CREATE INDEX "Job_tenantId_updatedAt_id_idx" ON "Job"("tenantId", "updatedAt", "id");
DROP INDEX "Bid_tenantId_updatedAt_idx";
CREATE INDEX "Bid_tenantId_updatedAt_id_idx" ON "Bid"("tenantId", "updatedAt", "id");
DROP INDEX "ServiceCall_tenantId_updatedAt_idx";
CREATE INDEX "ServiceCall_tenantId_updatedAt_id_idx" ON "ServiceCall"("tenantId", "updatedAt", "id");
