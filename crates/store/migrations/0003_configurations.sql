-- Parameter sweeps: a job holds one or more configurations (sets of model-key overrides), and
-- each run belongs to one. `runs.run_number` stays the run's place in its job (1..N across every
-- configuration); `replicate` is its FRED run number within the configuration.

CREATE TABLE configs (
    job_id BIGINT NOT NULL REFERENCES jobs (id),
    number BIGINT NOT NULL,
    -- The configuration's own overrides, a JSON list of {"key", "value"} in order.
    params TEXT NOT NULL,
    PRIMARY KEY (job_id, number)
);
-- Jobs written before sweeps existed have one configuration with no overrides of its own.
INSERT INTO configs (job_id, number, params) SELECT id, 1, '[]' FROM jobs;

ALTER TABLE jobs ADD COLUMN config_count BIGINT NOT NULL DEFAULT 1;

ALTER TABLE runs ADD COLUMN config BIGINT NOT NULL DEFAULT 1;
ALTER TABLE runs ADD COLUMN replicate BIGINT NOT NULL DEFAULT 0;
UPDATE runs SET replicate = run_number;
