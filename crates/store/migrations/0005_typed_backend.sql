-- A job's backend as one record: its kind and where on it the job's runs go, as JSON tagged by
-- kind: {"backend":"local"}, {"backend":"slurm","backend_target":{...}}. Before, the kind's name
-- and the target's JSON (NULL for the local executor) were kept apart; rows written then are
-- rewritten in place. The target's JSON is taken verbatim, so no JSON function is needed (the
-- two databases spell those differently).
UPDATE jobs SET backend = '{"backend":"' || backend || '"'
    || CASE WHEN backend_target IS NULL THEN '' ELSE ',"backend_target":' || backend_target END
    || '}';
ALTER TABLE jobs DROP COLUMN backend_target;

-- Why a job cannot go on as a whole (e.g. a server on another backend refused to supervise
-- it), or NULL.
ALTER TABLE jobs ADD COLUMN status_reason TEXT;
