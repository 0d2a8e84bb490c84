-- What FRED warned of (its warnings.txt: statements it ignored, such as a misspelt key), as a
-- JSON array of its lines; NULL when it warned of nothing. Kept per attempt, and on the run
-- from its latest recorded attempt.
ALTER TABLE attempts ADD COLUMN warnings TEXT;
ALTER TABLE runs ADD COLUMN warnings TEXT;

-- 1 while a job's first run is the check of its model (no FRED where it was submitted) and its
-- other runs wait for it.
ALTER TABLE jobs ADD COLUMN first_run_checks INTEGER NOT NULL DEFAULT 0;
