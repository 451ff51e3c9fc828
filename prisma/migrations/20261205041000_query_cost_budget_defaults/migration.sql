-- Query cost budgets (issue 16): the first defaults (50,000 points, 2,500 a second) ran the dashboard's own busiest
-- screen (marketing, about 6,500 points a query, asked again on every live change) dry within seconds. Each bucket
-- now holds ten queries of the largest cost allowed (QUERY_MAX_COST, 25,000) and refills in ten seconds. Tenants
-- still on the first defaults move to the new ones.
ALTER TABLE "TenantConfig"
  ALTER COLUMN "queryCostBudget" SET DEFAULT 250000,
  ALTER COLUMN "queryCostRestoreRate" SET DEFAULT 25000;
UPDATE "TenantConfig" SET "queryCostBudget" = 250000, "queryCostRestoreRate" = 25000
  WHERE "queryCostBudget" = 50000 AND "queryCostRestoreRate" = 2500;
