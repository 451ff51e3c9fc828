-- The open service calls per priority and status, with the oldest one's creation, for the overview
-- (api/src/schema/service-calls/figures.ts). It runs as its caller (SECURITY INVOKER): row-level security confines
-- it to the acting tenant as it does any query of the application role.
-- Why a function: under row-level security a comparison of enums (not leakproof) cannot be an index condition, and
-- the planner, which does not see what the policy's per-row check costs, prefers reading the whole table (about
-- 20 ms for 50,000 calls) to reading the (tenantId, status, priority, archivedAt, createdAt) index alone (about
-- 4 ms). The function's own setting tells it to read the index, for this query only.
CREATE FUNCTION h2o_open_service_calls()
RETURNS TABLE ("priority" "ServiceCallPriority", "status" "ServiceCallStatus", "count" int, "oldest" timestamptz)
LANGUAGE sql STABLE SECURITY INVOKER SET enable_seqscan = off
AS $$
  SELECT c."priority", c."status", count(*)::int, min(c."createdAt" AT TIME ZONE 'UTC')
  FROM "ServiceCall" c
  WHERE c."archivedAt" IS NULL
  GROUP BY c."status", c."priority"
  HAVING c."status" IN ('new', 'scheduled', 'dispatched', 'in_progress')
$$;
