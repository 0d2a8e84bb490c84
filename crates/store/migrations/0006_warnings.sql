-- What FRED warned of (its warnings.txt: statements it ignored, such as a misspelt key), as a
-- JSON array of its lines; NULL when it warned of nothing. Kept per attempt, and on the run
-- from its latest recorded attempt.
ALTER TABLE attempts ADD COLUMN warnings TEXT;
ALTER TABLE runs ADD COLUMN warnings TEXT;
