-- migrate:class breaking
-- migrate:phase expand
-- Expand step of replacing the text priority with a sortable numeric
-- priority_rank (1 = urgent ... 4 = low). V019 is the matching contract step.

ALTER TABLE tasks ADD COLUMN priority_rank INTEGER;

UPDATE tasks
SET priority_rank = CASE priority
        WHEN 'urgent' THEN 1
        WHEN 'high' THEN 2
        WHEN 'normal' THEN 3
        ELSE 4
    END
WHERE priority_rank IS NULL;

CREATE INDEX idx_tasks_priority_rank ON tasks (project_id, priority_rank);

-- Old application versions only write priority; derive the rank for them.
CREATE TRIGGER tasks_priority_rank_on_insert
AFTER INSERT ON tasks
WHEN NEW.priority_rank IS NULL
BEGIN
    UPDATE tasks
    SET priority_rank = CASE NEW.priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3 ELSE 4 END
    WHERE id = NEW.id;
END;

CREATE TRIGGER tasks_priority_rank_on_update
AFTER UPDATE OF priority ON tasks
BEGIN
    UPDATE tasks
    SET priority_rank = CASE NEW.priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3 ELSE 4 END
    WHERE id = NEW.id;
END;
