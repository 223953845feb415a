-- Undo V014: the partial index mentions the column, so drop it first.
DROP INDEX idx_tasks_completed_at;

ALTER TABLE tasks DROP COLUMN completed_at;
