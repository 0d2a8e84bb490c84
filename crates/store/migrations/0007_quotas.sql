-- Each API user's quotas: jobs kept (not deleted), runs in flight (QUEUED or RUNNING), and
-- bytes of results stored. NULL: no limit.
ALTER TABLE users ADD COLUMN max_jobs BIGINT;
ALTER TABLE users ADD COLUMN max_runs_in_flight BIGINT;
ALTER TABLE users ADD COLUMN max_stored_bytes BIGINT;
