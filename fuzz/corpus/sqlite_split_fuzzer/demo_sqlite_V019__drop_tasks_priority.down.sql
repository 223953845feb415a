-- Undo the V019 contract step: rebuild tasks back to the V018 shape with the
-- text priority column (derived from priority_rank) and a nullable rank.
--
-- The table is copied aside and recreated under its own name (rather than
-- CREATE new_tasks + RENAME) so the stored CREATE TABLE text is byte-for-byte
-- what V014 and V017 left behind, including the ", completed_at TEXT,
-- priority_rank INTEGER" that ALTER TABLE ADD COLUMN appended. Foreign keys
-- are off (the tool handles that), so dropping tasks does not cascade into
-- comments or task_labels.
CREATE TABLE tasks_rollback AS
SELECT id, project_id, title, body, status, priority_rank, assignee_id, reporter_id, created_at, updated_at, completed_at
FROM tasks;

-- Dropping tasks also drops its indexes and the audit triggers; all are
-- recreated below. The view is left alone: without a RENAME nothing
-- re-validates it, and it works again once tasks exists.
DROP TABLE tasks;

CREATE TABLE tasks (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    body        TEXT,
    status      TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    priority    TEXT NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reporter_id INTEGER NOT NULL REFERENCES users (id),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
, completed_at TEXT, priority_rank INTEGER);

INSERT INTO tasks (id, project_id, title, body, status, priority, assignee_id, reporter_id, created_at, updated_at, completed_at, priority_rank)
SELECT
    id, project_id, title, body, status,
    CASE priority_rank WHEN 1 THEN 'urgent' WHEN 2 THEN 'high' WHEN 3 THEN 'normal' ELSE 'low' END,
    assignee_id, reporter_id, created_at, updated_at, completed_at, priority_rank
FROM tasks_rollback;

DROP TABLE tasks_rollback;

-- Indexes from V005, V014 and V017.
CREATE INDEX idx_tasks_project_status ON tasks (project_id, status);
CREATE INDEX idx_tasks_assignee ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX idx_tasks_priority ON tasks (priority);
CREATE INDEX idx_tasks_completed_at ON tasks (completed_at) WHERE completed_at IS NOT NULL;
CREATE INDEX idx_tasks_priority_rank ON tasks (project_id, priority_rank);

-- Audit triggers from V012.
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

-- Priority sync triggers from V017, needed again while priority exists.
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
