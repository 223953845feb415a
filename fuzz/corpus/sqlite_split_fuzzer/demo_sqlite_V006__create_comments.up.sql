-- migrate:class additive
-- Discussion threads on tasks. Comments are soft-deleted for now by setting
-- deleted_at, so the UI can show "comment removed".

CREATE TABLE comments (
    id         INTEGER PRIMARY KEY,
    task_id    INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body       TEXT NOT NULL CHECK (length(body) > 0),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    deleted_at TEXT
);

CREATE INDEX idx_comments_task ON comments (task_id, created_at);

-- The bodies deliberately contain ';', '--', '/*' and doubled quotes: they are
-- data, not SQL, and must survive the statement splitter untouched.
INSERT INTO comments (id, task_id, author_id, body, created_at, deleted_at) VALUES
    (1, 1, 2, 'Looks good; shipping it -- finally!', '2024-01-19T16:35:00Z', NULL),
    (2, 1, 1, 'Repro: run `DELETE FROM invoice_cache;` then reload the page.', '2024-01-15T10:00:00Z', NULL),
    (3, 2, 3, 'Blocked on the payments provider; they don''t send a signature header yet.', '2024-01-20T09:10:00Z', NULL),
    (4, 3, 1, 'wrong ticket, ignore', '2024-01-18T08:40:00Z', '2024-01-18T08:41:00Z'),
    (5, 6, 4, 'Stack trace attached /* see crashlytics */ -- happens on iOS 17 only', '2024-01-15T11:00:00Z', NULL),
    (6, 6, 3, 'Posted in the wrong thread; moving.', '2024-01-15T11:05:00Z', '2024-01-15T11:06:00Z'),
    (7, 7, 5, 'Draft is in the shared folder -- feedback welcome; especially on step 3.', '2024-01-25T14:00:00Z', NULL);
