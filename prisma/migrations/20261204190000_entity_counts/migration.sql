-- CreateTable
CREATE TABLE "EntityCount" (
    "tenantId" UUID NOT NULL,
    "entity" TEXT NOT NULL,
    "archived" BOOLEAN NOT NULL,
    "status" TEXT NOT NULL,
    "shard" SMALLINT NOT NULL,
    "rows" INTEGER NOT NULL,

    CONSTRAINT "EntityCount_pkey" PRIMARY KEY ("tenantId","entity","archived","status","shard")
);

-- Exact per-tenant counts of jobs, bids and service calls by status and archived, so a connection's `totalCount`
-- is a sum of a few rows instead of a count(*) over the table. Kept by statement-level triggers with transition
-- tables: every INSERT, UPDATE, DELETE (one upsert per changed key and statement, bulk inserts included) and
-- TRUNCATE of a counted table adjusts the counts in the same transaction, whoever writes (API, worker, seeds, psql).
--
-- Contention: a counter row is locked from the write until its transaction ends, so one row per key would make
-- concurrent writers of a tenant wait for each other. Each connection adds to its own shard (backend pid % 16) and
-- readers sum the shards. Keys are upserted in one statement in key order, so two writers that move rows between
-- the same two keys lock them in the same order (no deadlock). Updates that change neither status nor archived
-- touch no counter.
CREATE FUNCTION entity_count_apply() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
DECLARE
  tenants uuid[];
  archiveds boolean[];
  statuses text[];
  deltas int[];
BEGIN
  -- each branch reads only the transition tables its trigger has (PL/pgSQL plans a statement when it first runs it)
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(t), array_agg(a), array_agg(s), array_agg(d) INTO tenants, archiveds, statuses, deltas
      FROM (SELECT "tenantId", "archivedAt" IS NOT NULL, "status"::text, count(*)::int FROM entity_count_new GROUP BY 1, 2, 3) k(t, a, s, d);
  ELSIF TG_OP = 'UPDATE' THEN
    SELECT array_agg(t), array_agg(a), array_agg(s), array_agg(d) INTO tenants, archiveds, statuses, deltas
      FROM (SELECT t, a, s, sum(d)::int FROM (
              SELECT "tenantId", "archivedAt" IS NOT NULL, "status"::text, 1 FROM entity_count_new
              UNION ALL
              SELECT "tenantId", "archivedAt" IS NOT NULL, "status"::text, -1 FROM entity_count_old) c(t, a, s, d)
            GROUP BY 1, 2, 3 HAVING sum(d) <> 0) k(t, a, s, d);
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(t), array_agg(a), array_agg(s), array_agg(d) INTO tenants, archiveds, statuses, deltas
      FROM (SELECT "tenantId", "archivedAt" IS NOT NULL, "status"::text, -count(*)::int FROM entity_count_old GROUP BY 1, 2, 3) k(t, a, s, d);
  ELSE -- TRUNCATE
    DELETE FROM "EntityCount" WHERE "entity" = TG_TABLE_NAME;
    RETURN NULL;
  END IF;
  IF tenants IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO "EntityCount" AS c ("tenantId", "entity", "archived", "status", "shard", "rows")
  SELECT k.t, TG_TABLE_NAME, k.a, k.s, (pg_backend_pid() % 16)::smallint, k.d
    FROM unnest(tenants, archiveds, statuses, deltas) AS k(t, a, s, d)
   ORDER BY k.t, k.a, k.s
  ON CONFLICT ("tenantId", "entity", "archived", "status", "shard") DO UPDATE SET "rows" = c."rows" + EXCLUDED."rows";
  RETURN NULL;
END
$$;

-- Row-level security like every tenant table (identity migration): the writer's own tenant only. A write that may
-- change a tenant's jobs may change that tenant's counts, under the same role and settings.
-- (FORCE, which subjects the owner too, at the end: the counts of existing rows are written as the owner.)
ALTER TABLE "EntityCount" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "EntityCount" USING ("tenantId" = app_tenant_id()) WITH CHECK ("tenantId" = app_tenant_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON "EntityCount" TO h2o_app;

-- The triggers first (they lock each table against writes until this migration commits), then the counts of the
-- rows already there, read past row-level security (the migrating role owns the tables; FORCE would hide them).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['Job', 'Bid', 'ServiceCall'] LOOP
    EXECUTE format('CREATE TRIGGER entity_count_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS entity_count_new FOR EACH STATEMENT EXECUTE FUNCTION entity_count_apply()', t);
    EXECUTE format('CREATE TRIGGER entity_count_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS entity_count_old NEW TABLE AS entity_count_new FOR EACH STATEMENT EXECUTE FUNCTION entity_count_apply()', t);
    EXECUTE format('CREATE TRIGGER entity_count_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS entity_count_old FOR EACH STATEMENT EXECUTE FUNCTION entity_count_apply()', t);
    EXECUTE format('CREATE TRIGGER entity_count_truncate AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION entity_count_apply()', t);
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('INSERT INTO "EntityCount" ("tenantId", "entity", "archived", "status", "shard", "rows")
                    SELECT "tenantId", %L, "archivedAt" IS NOT NULL, "status"::text, 0, count(*) FROM %I GROUP BY 1, 3, 4', t, t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
  END LOOP;
END
$$;
ALTER TABLE "EntityCount" FORCE ROW LEVEL SECURITY;
