-- The system's writes that commit with every change (its audit row, its outbox messages and their worker jobs), in
-- ONE statement at the end of the mutation's transaction, where there were four (leave the application role, insert
-- the audit row, insert each message, add the jobs). Like h2o_enqueue_jobs, it runs with its owner's rights
-- (SECURITY DEFINER), so the caller keeps the application role: the application role cannot write the audit trail or
-- the outbox directly, and through this function it can only append, never change or delete. The tables keep FORCE
-- ROW LEVEL SECURITY, so every row must still belong to the transaction's `app.tenant_id`, whoever owns the function.
-- `record` is {"audit": [AuditEvent rows], "messages": [WebhookMessage rows], "jobs": [graphile_worker job specs]}.
CREATE FUNCTION h2o_record_change(record json) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  INSERT INTO "AuditEvent" ("id", "tenantId", "changedAt", "actorKind", "actorId", "actorLabel", "onBehalfOf", "action",
                            "eventType", "entityType", "entityId", "before", "after", "requestId", "ip", "userAgent")
  SELECT r."id", r."tenantId", r."changedAt", r."actorKind", r."actorId", r."actorLabel", r."onBehalfOf", r."action",
         r."eventType", r."entityType", r."entityId", r."before", r."after", r."requestId", r."ip", r."userAgent"
    FROM json_populate_recordset(NULL::"AuditEvent", coalesce(record -> 'audit', '[]')) AS r;
  INSERT INTO "WebhookMessage" ("id", "tenantId", "eventType", "payload", "occurredAt", "targetEndpointId")
  SELECT r."id", r."tenantId", r."eventType", r."payload", r."occurredAt", r."targetEndpointId"
    FROM json_populate_recordset(NULL::"WebhookMessage", coalesce(record -> 'messages', '[]')) AS r;
  IF json_array_length(coalesce(record -> 'jobs', '[]')) > 0 THEN
    PERFORM h2o_enqueue_jobs(record -> 'jobs');
  END IF;
END
$$;

REVOKE ALL ON FUNCTION h2o_record_change(json) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION h2o_record_change(json) TO h2o_app;
