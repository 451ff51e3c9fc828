-- Query cost budgets (issue 16): each user of the tenant and each of its API keys has a bucket of "queryCostBudget"
-- cost points, refilled at "queryCostRestoreRate" points a second; a query takes its cost from it
-- (api/src/auth/request-limiter.ts).
ALTER TABLE "TenantConfig"
  ADD COLUMN "queryCostBudget" INTEGER NOT NULL DEFAULT 50000,
  ADD COLUMN "queryCostRestoreRate" INTEGER NOT NULL DEFAULT 2500;
