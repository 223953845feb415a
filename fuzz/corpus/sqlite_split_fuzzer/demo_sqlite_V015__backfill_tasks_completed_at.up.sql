-- migrate:class data-backfill
-- Tasks that were already done before V014 have no completed_at; use their
-- last update time as the best available estimate.

UPDATE tasks
SET completed_at = updated_at
WHERE status = 'done'
  AND completed_at IS NULL;
