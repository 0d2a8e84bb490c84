-- Reusing the results of identical runs. A job may turn reuse off for its own runs.
ALTER TABLE jobs ADD COLUMN reuse INTEGER NOT NULL DEFAULT 1;

-- The fingerprint of the inputs that produced a DONE run's results: its four parts (engine,
-- model files, effective overrides; the FRED run number is the run's own) and their key.
ALTER TABLE runs ADD COLUMN engine_digest TEXT;
ALTER TABLE runs ADD COLUMN model_digest TEXT;
ALTER TABLE runs ADD COLUMN overrides_digest TEXT;
ALTER TABLE runs ADD COLUMN fingerprint TEXT;
-- The run that computed the results a DONE run took instead of computing them (NULL: it ran).
ALTER TABLE runs ADD COLUMN reused_from BIGINT;
-- Why a run that ran did not reuse (which part differed from the nearest DONE run).
ALTER TABLE runs ADD COLUMN reuse_note TEXT;

CREATE INDEX runs_by_fingerprint ON runs (fingerprint);
CREATE INDEX runs_by_model_digest ON runs (model_digest);
