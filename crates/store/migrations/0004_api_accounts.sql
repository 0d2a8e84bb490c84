-- The HTTP API (`fredbatch serve`): accounts, jobs registered before their runs, each run's
-- request as the client sent it, and the one server allowed per store.

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    -- SHA-256 (hex) of the user's token; the token itself is shown once and never stored.
    token_hash TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
INSERT INTO counters (name, value) VALUES ('user', 0);

-- Jobs registered through the API belong to a user; command-line jobs have no owner.
ALTER TABLE jobs ADD COLUMN owner BIGINT REFERENCES users (id);
-- A JSON list of the tags the client gave.
ALTER TABLE jobs ADD COLUMN tags TEXT;
-- When the owner deleted the job: it is hidden from the API (the command line still shows it).
ALTER TABLE jobs ADD COLUMN deleted_at BIGINT;
-- Whether the uploaded inputs archive passed the extraction checks (1), failed them (the
-- reason is in inputs_error), or was not seen yet (0). Only checked inputs are run.
ALTER TABLE jobs ADD COLUMN inputs_checked BIGINT NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN inputs_error TEXT;
CREATE INDEX jobs_by_owner ON jobs (owner, id);

-- The client's run request, exactly as received (echoed back verbatim).
ALTER TABLE runs ADD COLUMN request TEXT;
-- The run's seed as a decimal string: seeds are unsigned 64-bit, beyond BIGINT.
ALTER TABLE runs ADD COLUMN seed TEXT;
-- Where the run's results archive for the client is, once built.
ALTER TABLE runs ADD COLUMN results_zip TEXT;
-- When the run was added to its job (runs of API jobs arrive after the job is registered).
ALTER TABLE runs ADD COLUMN created_at BIGINT;
-- How many times the owner asked for the run again after it ended ERROR.
ALTER TABLE runs ADD COLUMN retries BIGINT NOT NULL DEFAULT 0;

-- Secrets the server keeps, e.g. the key that signs upload and download URLs.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Which server process holds the store: at most one row per name, refreshed by a heartbeat.
CREATE TABLE server_locks (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    host TEXT NOT NULL,
    pid BIGINT NOT NULL,
    listen TEXT NOT NULL,
    acquired_at BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL
);
