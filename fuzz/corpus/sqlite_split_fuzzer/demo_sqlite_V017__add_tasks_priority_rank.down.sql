-- Undo the V017 expand step: triggers, then the index, then the column.
-- priority_rank is the last column, so DROP COLUMN restores the old table.
DROP TRIGGER tasks_priority_rank_on_update;
DROP TRIGGER tasks_priority_rank_on_insert;

DROP INDEX idx_tasks_priority_rank;

ALTER TABLE tasks DROP COLUMN priority_rank;
