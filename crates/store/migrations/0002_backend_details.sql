-- What the backend knows that the worker cannot record itself.

-- Where on its backend a job's runs go (for AWS Batch: queue, job definition, log group), as
-- the backend describes it, so later commands reach the same place whatever the environment says.
ALTER TABLE jobs ADD COLUMN backend_target TEXT;

-- Where each attempt's log is (a CloudWatch log stream, a file), from the backend.
ALTER TABLE attempts ADD COLUMN log_ref TEXT;
