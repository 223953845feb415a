-- migrate:class additive
-- Projects belong to a team and hold the tasks. Project names only need to be
-- unique within their team.

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    team_id     INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    description TEXT,
    archived    INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
    created_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    UNIQUE (team_id, name)
);

INSERT INTO projects (id, team_id, name, description, archived, created_at) VALUES
    (1, 1, 'Billing API', 'Invoices; refunds -- and the dreaded proration logic', 0, '2024-01-10T09:00:00Z'),
    (2, 1, 'Legacy Cron Jobs', 'Retired in Q1; kept for history', 1, '2024-01-10T09:30:00Z'),
    (3, 2, 'iOS App', 'Swift client for the tracker', 0, '2024-01-11T13:00:00Z'),
    (4, 3, 'Help Center', 'Public FAQ -- edited by support', 0, '2024-01-16T10:00:00Z');
