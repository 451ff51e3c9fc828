-- The audit trail (issue 5). Written by hand around what `prisma migrate dev` generated for prisma/schema/audit.prisma:
-- the table is partitioned by month on "changedAt" (the primary key includes it, as PostgreSQL requires), its
-- indexes are declared on the parent and so exist on every partition, and partitions are managed by
-- audit_ensure_partition() (below) from api/src/audit/partitions.ts.

-- CreateTable
CREATE TABLE "AuditEvent" (
    "id" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "changedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorKind" TEXT NOT NULL,
    "actorId" TEXT,
    "actorLabel" TEXT,
    "onBehalfOf" TEXT,
    "action" TEXT NOT NULL,
    "eventType" TEXT NOT NULL,
    "entityType" TEXT NOT NULL,
    "entityId" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "requestId" TEXT,
    "ip" TEXT,
    "userAgent" TEXT,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id","changedAt")
) PARTITION BY RANGE ("changedAt");

-- CreateIndex
CREATE INDEX "AuditEvent_tenantId_entityType_changedAt_idx" ON "AuditEvent"("tenantId", "entityType", "changedAt");

-- CreateIndex (serves lookups by (tenantId, entityId), newest first)
CREATE INDEX "AuditEvent_tenantId_entityId_changedAt_idx" ON "AuditEvent"("tenantId", "entityId", "changedAt");

-- The last safety net: a row whose month has no partition yet lands here instead of failing the mutation.
-- audit_ensure_partition() moves such rows into their month's partition when it creates it.
CREATE TABLE "AuditEvent_default" PARTITION OF "AuditEvent" DEFAULT;

-- Creates the partition of the month containing `month` (named AuditEvent_pYYYYMM) unless it exists, moving any rows
-- of that month out of the DEFAULT partition first; re-attaches it when it exists detached (an archival that did not
-- finish). Serialized by an advisory lock, so concurrent callers (api replicas, workers, restores) are safe.
-- Returns the partition's name when it created or attached it, NULL when it was already in place.
CREATE FUNCTION audit_ensure_partition(month date) RETURNS text
  LANGUAGE plpgsql
  AS $$
DECLARE
  lo timestamp := date_trunc('month', month);
  hi timestamp := date_trunc('month', month) + interval '1 month';
  part text := 'AuditEvent_p' || to_char(date_trunc('month', month), 'YYYYMM');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('AuditEvent partitions'));
  IF to_regclass(format('%I', part)) IS NOT NULL THEN
    IF EXISTS (SELECT FROM pg_inherits WHERE inhrelid = to_regclass(format('%I', part))) THEN
      RETURN NULL;
    END IF;
  ELSE
    -- created detached, with its range as a CHECK, so that ATTACH needs no validation scan of it
    EXECUTE format('CREATE TABLE %I (LIKE "AuditEvent" INCLUDING DEFAULTS)', part);
    EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK ("changedAt" >= %L AND "changedAt" < %L)', part, part || '_range', lo, hi);
    EXECUTE format('WITH moved AS (DELETE FROM "AuditEvent_default" WHERE "changedAt" >= %L AND "changedAt" < %L RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, part);
  END IF;
  EXECUTE format('ALTER TABLE "AuditEvent" ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT IF EXISTS %I', part, part || '_range');
  -- the application role reaches audit rows only through the parent (and its row-level security)
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'h2o_app') THEN
    EXECUTE format('REVOKE ALL ON %I FROM h2o_app', part);
  END IF;
  RETURN part;
END
$$;

-- This month and the next three exist from the start (the worker keeps them ahead from then on).
SELECT audit_ensure_partition((date_trunc('month', now()) + make_interval(months => m))::date) FROM generate_series(0, 3) AS m;

-- Row-level security, as on every tenant-scoped table (see the identity migration).
ALTER TABLE "AuditEvent" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "AuditEvent" FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "AuditEvent" USING ("tenantId" = app_tenant_id()) WITH CHECK ("tenantId" = app_tenant_id());

-- Read-only for the application role: request statements (resolvers, the change inside runMutation) can read the
-- tenant's audit rows but never write, change or delete one. The audit hook writes them with the connection's own
-- role (the pipeline leaves the application role before its hooks run).
REVOKE ALL ON "AuditEvent" FROM h2o_app;
REVOKE ALL ON "AuditEvent_default" FROM h2o_app;
GRANT SELECT ON "AuditEvent" TO h2o_app;
