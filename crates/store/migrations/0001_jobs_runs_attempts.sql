-- One schema for SQLite and PostgreSQL: only types and statements both accept.
-- Times are milliseconds since the Unix epoch; flags are 0/1 integers.
-- Ids come from `counters` rather than AUTOINCREMENT/IDENTITY, which the two spell differently.

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('job', 0);
INSERT INTO counters (name, value) VALUES ('run', 0);

CREATE TABLE jobs (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    model_dir TEXT NOT NULL,
    program TEXT NOT NULL,
    params TEXT NOT NULL,
    run_count BIGINT NOT NULL,
    vcpus BIGINT NOT NULL,
    memory_mb BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    attempt_timeout_seconds BIGINT NOT NULL,
    backend TEXT NOT NULL,
    inputs_key TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE runs (
    id BIGINT PRIMARY KEY,
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    run_number BIGINT NOT NULL,
    status TEXT NOT NULL,
    status_reason TEXT,
    -- Attempts made as far as anyone knows (the worker's count or the backend's, the larger).
    attempts BIGINT NOT NULL DEFAULT 0,
    -- Attempts the worker started; numbers each attempt, written by the worker alone.
    attempts_started BIGINT NOT NULL DEFAULT 0,
    backend_job_id TEXT,
    backend_state TEXT,
    cancel_requested BIGINT NOT NULL DEFAULT 0,
    results_key TEXT,
    committed_attempt BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    UNIQUE (job_id, run_number)
);
CREATE INDEX runs_by_job_status ON runs (job_id, status);

CREATE TABLE attempts (
    run_id BIGINT NOT NULL REFERENCES runs (id),
    number BIGINT NOT NULL,
    backend_job_id TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    exit_code BIGINT,
    started_at BIGINT NOT NULL,
    finished_at BIGINT,
    wall_seconds DOUBLE PRECISION,
    cpu_seconds DOUBLE PRECISION,
    peak_rss_kb BIGINT,
    output_bytes BIGINT,
    results_key TEXT,
    PRIMARY KEY (run_id, number)
);
