-- Sizes that change with retries: a run that ran out of memory (or time) is submitted again
-- bigger, so what each attempt ran with is kept beside it, and a run's next size beside the run.

-- How a job's failed attempts are retried (memory and time growth, caps, the interruptions
-- allowed), as JSON; NULL for jobs registered before: the defaults.
ALTER TABLE jobs ADD COLUMN retry_policy TEXT;

-- The size a run's next or current attempt runs with once a retry changed it; NULL: the job's.
ALTER TABLE runs ADD COLUMN vcpus BIGINT;
ALTER TABLE runs ADD COLUMN memory_mb BIGINT;
ALTER TABLE runs ADD COLUMN timeout_seconds BIGINT;
-- Attempts made by the run's earlier backend jobs: a backend numbers its own attempts from 1,
-- so its attempt i is the run's attempt attempts_before + i.
ALTER TABLE runs ADD COLUMN attempts_before BIGINT NOT NULL DEFAULT 0;

-- What each attempt ran with; NULL for attempts recorded before sizes were.
ALTER TABLE attempts ADD COLUMN vcpus BIGINT;
ALTER TABLE attempts ADD COLUMN memory_mb BIGINT;
ALTER TABLE attempts ADD COLUMN timeout_seconds BIGINT;
