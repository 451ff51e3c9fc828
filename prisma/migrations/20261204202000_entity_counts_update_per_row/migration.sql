-- Updates adjust the counts per row, and only when a counted key changes: a statement-level trigger with transition
-- tables ran (and built its tables) for every UPDATE, most of which change neither status nor archived; measured on
-- 50,000 jobs it added ~1.7 ms per status change + detail update, against ~0.6 ms per row trigger that fires only for
-- the status change (the detail update's cost is unchanged). Inserts, deletes and truncates stay statement-level, so
-- bulk inserts still make one upsert per key.
CREATE FUNCTION entity_count_move() RETURNS trigger
  LANGUAGE plpgsql
  AS $$
BEGIN
  -- both keys in one statement, in key order: two writers moving rows between the same keys lock them in one order
  INSERT INTO "EntityCount" AS c ("tenantId", "entity", "archived", "status", "shard", "rows")
  SELECT k.t, TG_TABLE_NAME, k.a, k.s, (pg_backend_pid() % 16)::smallint, sum(k.d)
    FROM (VALUES (OLD."tenantId", OLD."archivedAt" IS NOT NULL, OLD."status"::text, -1),
                 (NEW."tenantId", NEW."archivedAt" IS NOT NULL, NEW."status"::text, 1)) AS k(t, a, s, d)
   GROUP BY k.t, k.a, k.s
  HAVING sum(k.d) <> 0
   ORDER BY k.t, k.a, k.s
  ON CONFLICT ("tenantId", "entity", "archived", "status", "shard") DO UPDATE SET "rows" = c."rows" + EXCLUDED."rows";
  RETURN NULL;
END
$$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['Job', 'Bid', 'ServiceCall'] LOOP
    EXECUTE format('DROP TRIGGER entity_count_update ON %I', t);
    EXECUTE format('CREATE TRIGGER entity_count_update AFTER UPDATE OF "status", "archivedAt", "tenantId" ON %I FOR EACH ROW
                    WHEN (OLD."status" IS DISTINCT FROM NEW."status" OR (OLD."archivedAt" IS NULL) <> (NEW."archivedAt" IS NULL)
                          OR OLD."tenantId" IS DISTINCT FROM NEW."tenantId")
                    EXECUTE FUNCTION entity_count_move()', t);
  END LOOP;
END
$$;
