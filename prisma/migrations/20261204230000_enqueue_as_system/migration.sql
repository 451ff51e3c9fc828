-- Worker jobs are the system's, not a tenant's: a mutation's change runs as the application role under row-level
-- security, and its jobs (webhook fan-out, publishing) go into graphile-worker's queue in the same transaction.
-- These two functions are the only door from the application role into the queue. They run with their owner's
-- rights (SECURITY DEFINER, the role that migrates and installs graphile-worker), so the caller needs no role
-- switch: one statement where there were four (read the role, leave it, add the jobs, restore it).
-- plpgsql: graphile-worker installs its schema when the worker first starts, possibly after this migration.

CREATE FUNCTION h2o_enqueue_jobs(specs json) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  PERFORM graphile_worker.add_jobs(ARRAY(SELECT json_populate_record(NULL::graphile_worker.job_spec, s) FROM json_array_elements(specs) AS s));
END
$$;

CREATE FUNCTION h2o_remove_jobs(job_keys text[]) RETURNS void
  LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  k text;
BEGIN
  FOREACH k IN ARRAY job_keys LOOP
    PERFORM graphile_worker.remove_job(k);
  END LOOP;
END
$$;

REVOKE ALL ON FUNCTION h2o_enqueue_jobs(json) FROM PUBLIC;
REVOKE ALL ON FUNCTION h2o_remove_jobs(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION h2o_enqueue_jobs(json) TO h2o_app;
GRANT EXECUTE ON FUNCTION h2o_remove_jobs(text[]) TO h2o_app;
