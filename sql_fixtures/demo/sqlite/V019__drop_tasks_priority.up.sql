-- migrate:class breaking
-- migrate:phase contract
-- migrate:completes V017
-- Contract step for V017: drop the old text priority column and make
-- priority_rank mandatory (NOT NULL with a CHECK on its range).

-- priority has a CHECK constraint and an index, so ALTER TABLE DROP COLUMN
-- refuses it; the table is rebuilt following the generalized procedure in
-- https://www.sqlite.org/lang_altertable.html#otheralter. The tool has
-- already turned foreign keys off and checks them itself after this file.

-- 1. New table in the desired shape.
CREATE TABLE new_tasks (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title         TEXT NOT NULL,
    body          TEXT,
    status        TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    priority_rank INTEGER NOT NULL DEFAULT 3 CHECK (priority_rank BETWEEN 1 AND 4),
    assignee_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reporter_id   INTEGER NOT NULL REFERENCES users (id),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    completed_at  TEXT
);

-- 2. Copy every row; derive the rank again in case an old writer slipped past
--    the sync triggers.
INSERT INTO new_tasks (id, project_id, title, body, status, priority_rank, assignee_id, reporter_id, created_at, updated_at, completed_at)
SELECT
    id, project_id, title, body, status,
    COALESCE(priority_rank, CASE priority WHEN 'urgent' THEN 1 WHEN 'high' THEN 2 WHEN 'normal' THEN 3 ELSE 4 END),
    assignee_id, reporter_id, created_at, updated_at, completed_at
FROM tasks;

-- 3. The view selects from tasks; RENAME refuses to run while a view points
--    at a missing table, so drop it now and recreate it unchanged below.
DROP VIEW v_open_tasks;

-- 4. Swap the tables. Dropping tasks also drops its indexes and triggers,
--    including the V017 priority sync triggers, which are no longer wanted.
DROP TABLE tasks;

ALTER TABLE new_tasks RENAME TO tasks;

-- 5. Recreate the indexes, except idx_tasks_priority (its column is gone).
CREATE INDEX idx_tasks_project_status ON tasks (project_id, status);
CREATE INDEX idx_tasks_assignee ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX idx_tasks_completed_at ON tasks (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX idx_tasks_priority_rank ON tasks (project_id, priority_rank);

-- 6. Recreate the audit triggers from V012, unchanged.
CREATE TRIGGER tasks_audit_status
AFTER UPDATE OF status ON tasks
WHEN NEW.status IS NOT OLD.status
BEGIN
    INSERT INTO audit_log (entity_type, entity_id, action, detail)
    VALUES ('task', NEW.id, 'status_changed', 'from=' || OLD.status || '; to=' || NEW.status);
END;

CREATE TRIGGER tasks_audit_delete
AFTER DELETE ON tasks
BEGIN
    INSERT INTO audit_log (entity_type, entity_id, action, detail)
    VALUES ('task', OLD.id, 'deleted', 'title=' || OLD.title || ' -- removed; comments cascade');
END;

-- 7. Recreate the V016 view, unchanged.
CREATE VIEW v_open_tasks AS
SELECT
    t.id           AS task_id,
    p.team_id      AS team_id,
    p.name         AS project_name,
    t.title        AS title,
    t.status       AS status,
    u.display_name AS assignee_name,
    t.created_at   AS created_at
FROM tasks AS t
JOIN projects AS p ON p.id = t.project_id
LEFT JOIN users AS u ON u.id = t.assignee_id
WHERE t.status <> 'done'
  AND p.archived = 0;
