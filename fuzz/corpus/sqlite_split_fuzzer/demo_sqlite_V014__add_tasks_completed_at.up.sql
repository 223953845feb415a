-- migrate:class additive
-- Remember when a task was finished so the dashboard can show cycle time.
-- Nullable: open tasks have no completion time. V015 fills in old rows.

ALTER TABLE tasks ADD COLUMN completed_at TEXT;

CREATE INDEX idx_tasks_completed_at ON tasks (completed_at) WHERE completed_at IS NOT NULL;
