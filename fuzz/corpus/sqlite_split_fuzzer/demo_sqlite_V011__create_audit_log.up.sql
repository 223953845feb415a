-- migrate:class additive
-- Append-only history of changes for the activity feed and for support
-- investigations. entity_id is not a foreign key so history outlives the row.

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    entity_type TEXT NOT NULL,
    entity_id   INTEGER NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT,
    actor_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE INDEX idx_audit_log_entity ON audit_log (entity_type, entity_id, created_at);

INSERT INTO audit_log (entity_type, entity_id, action, detail, actor_id, created_at) VALUES
    ('project', 2, 'archived', 'Legacy Cron Jobs archived; jobs moved to the scheduler', 1, '2024-01-31T09:05:00Z');
