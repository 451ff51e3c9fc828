-- The job view (issue 14): completed jobs, and retry/cancel through the mutation pipeline.
-- 1. WorkerJobCompletion: what graphile-worker deletes on success, recorded by the worker (api/src/jobs/completions.ts)
--    and kept a while. System-only, like MarketingInboundEvent: the application role cannot read or write it.
CREATE TABLE "WorkerJobCompletion" (
    "id" BIGINT NOT NULL,
    "tenantId" UUID,
    "task" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL,
    "maxAttempts" INTEGER NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkerJobCompletion_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "WorkerJobCompletion_tenantId_completedAt_idx" ON "WorkerJobCompletion"("tenantId", "completedAt");

CREATE INDEX "WorkerJobCompletion_completedAt_idx" ON "WorkerJobCompletion"("completedAt");

REVOKE ALL ON "WorkerJobCompletion" FROM h2o_app;

-- 2. h2o_worker_job_action(job, action): retryWorkerJob / cancelWorkerJob inside the mutation's own transaction, which
--    runs as the application role (the queue is not its schema). SECURITY DEFINER like h2o_enqueue_jobs; it acts
--    only on a job whose payload names the transaction's tenant (app_tenant_id()), locks it, and only a failed one
--    (attempts spent). Returns {"error":"not_found"}, {"error":"conflict","state":…} (nothing changed), or
--    {"before":…,"after":…}: the job as the view shows it (after: null once cancelled).
CREATE FUNCTION h2o_worker_job_action(job_id bigint, action text) RETURNS json
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  tenant uuid := app_tenant_id();
  before json;
  after json;
  state text;
BEGIN
  IF tenant IS NULL OR action NOT IN ('retry', 'cancel') THEN
    RETURN json_build_object('error', 'not_found');
  END IF;
  SELECT CASE WHEN j.locked_at IS NOT NULL AND j.locked_by IS NOT NULL THEN 'running'
              WHEN j.attempts >= j.max_attempts THEN 'failed' WHEN j.attempts > 0 THEN 'retrying' ELSE 'queued' END
    INTO state
    FROM graphile_worker._private_jobs j
   WHERE j.id = job_id AND j.payload->>'tenantId' = tenant::text
     FOR UPDATE OF j;
  IF NOT FOUND THEN
    RETURN json_build_object('error', 'not_found');
  END IF;
  IF state <> 'failed' THEN
    RETURN json_build_object('error', 'conflict', 'state', state);
  END IF;
  before := h2o_worker_job_row(job_id);
  IF action = 'retry' THEN
    PERFORM graphile_worker.reschedule_jobs(ARRAY[job_id], run_at := now(), attempts := 0);
    after := h2o_worker_job_row(job_id);
  ELSE
    PERFORM graphile_worker.complete_jobs(ARRAY[job_id]);
  END IF;
  RETURN json_build_object('before', before, 'after', after);
END
$$;

-- One job as the view shows it (api/src/jobs/job-view.ts WorkerJobRow), or null.
CREATE FUNCTION h2o_worker_job_row(job_id bigint) RETURNS json
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  row json;
BEGIN
  SELECT json_build_object(
           'id', j.id::text, 'task', t.identifier,
           'state', CASE WHEN j.locked_at IS NOT NULL AND j.locked_by IS NOT NULL THEN 'running'
                         WHEN j.attempts >= j.max_attempts THEN 'failed' WHEN j.attempts > 0 THEN 'retrying' ELSE 'queued' END,
           'attempts', j.attempts, 'maxAttempts', j.max_attempts, 'lastError', j.last_error, 'runAt', j.run_at,
           'createdAt', j.created_at, 'updatedAt', j.updated_at, 'lockedAt', j.locked_at, 'completedAt', NULL, 'payload', j.payload)
    INTO row
    FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id
   WHERE j.id = job_id;
  RETURN row;
END
$$;

REVOKE ALL ON FUNCTION h2o_worker_job_action(bigint, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION h2o_worker_job_row(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION h2o_worker_job_action(bigint, text) TO h2o_app;
