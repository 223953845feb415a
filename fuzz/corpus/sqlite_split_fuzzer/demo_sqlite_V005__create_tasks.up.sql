-- migrate:class additive
-- Tasks are the core of the tracker: each belongs to a project, has a status
-- and priority, an optional assignee and the user who reported it.

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
);

CREATE INDEX idx_tasks_project_status ON tasks (project_id, status);
CREATE INDEX idx_tasks_assignee ON tasks (assignee_id) WHERE assignee_id IS NOT NULL;
CREATE INDEX idx_tasks_priority ON tasks (priority);

INSERT INTO tasks (id, project_id, title, body, status, priority, assignee_id, reporter_id, created_at, updated_at) VALUES
    (1, 1, 'Fix rounding in prorated invoices', 'Off by one cent; see ticket #4411 -- customer noticed', 'done', 'high', 2, 1, '2024-01-11T09:00:00Z', '2024-01-19T16:40:00Z'),
    (2, 1, 'Add refund webhook', NULL, 'in_progress', 'normal', 3, 1, '2024-01-12T10:00:00Z', '2024-01-22T11:00:00Z'),
    (3, 1, 'Fix duplicate charge on retry', 'Idempotency key ignored when the request times out; retry sends a second charge.', 'todo', 'urgent', 2, 2, '2024-01-18T08:30:00Z', '2024-01-18T08:30:00Z'),
    (4, 2, 'Remove nightly export job', NULL, 'done', 'low', 1, 1, '2024-01-10T10:00:00Z', '2024-01-31T09:00:00Z'),
    (5, 3, 'Dark mode for task list', 'Follow system setting; no manual toggle yet', 'todo', 'normal', NULL, 4, '2024-01-13T15:00:00Z', '2024-01-13T15:00:00Z'),
    (6, 3, 'Fix crash when opening empty project', NULL, 'done', 'high', 4, 3, '2024-01-14T09:45:00Z', '2024-01-16T18:05:00Z'),
    (7, 4, 'Write "Getting started; part 1" article', 'Use the -- flag examples from the CLI docs', 'in_progress', 'normal', 5, 5, '2024-01-17T12:00:00Z', '2024-01-25T14:10:00Z'),
    (8, 4, 'Translate FAQ into Polish', NULL, 'todo', 'low', NULL, 5, '2024-01-20T09:00:00Z', '2024-01-20T09:00:00Z');
