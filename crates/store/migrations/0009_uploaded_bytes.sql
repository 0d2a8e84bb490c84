-- Bytes a job's client uploaded (its inputs archive, job and run configurations), counted in
-- its owner's stored bytes beside the results of its runs.
ALTER TABLE jobs ADD COLUMN uploaded_bytes BIGINT NOT NULL DEFAULT 0;
