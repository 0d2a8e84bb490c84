-- Sizes learned from measured runs: how a job's runs got their size (JSON: given, the
-- default, learned from history or the first wave, or still measuring; NULL for jobs
-- registered before: given), and its model's size key, which finds the measured runs of
-- earlier jobs of the same model.
ALTER TABLE jobs ADD COLUMN size_origin TEXT;
ALTER TABLE jobs ADD COLUMN size_key TEXT;
CREATE INDEX jobs_size_key ON jobs (size_key);

-- What a job's runs may cost in all (JSON: {"usd": x} or {"cpu_hours": x}); NULL: no limit.
ALTER TABLE jobs ADD COLUMN budget TEXT;
