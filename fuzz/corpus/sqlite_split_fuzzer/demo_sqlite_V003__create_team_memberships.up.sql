-- migrate:class additive
-- Who belongs to which team, and with what role. Deleting a team or a user
-- removes the membership rows with it.

CREATE TABLE team_memberships (
    team_id   INTEGER NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role      TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    joined_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (team_id, user_id)
);

-- "Which teams am I in?" is the hot query; the primary key only covers team_id first.
CREATE INDEX idx_team_memberships_user ON team_memberships (user_id);

INSERT INTO team_memberships (team_id, user_id, role, joined_at) VALUES
    (1, 1, 'owner', '2024-01-08T09:10:00Z'),
    (1, 2, 'admin', '2024-01-08T09:12:00Z'),
    (1, 3, 'member', '2024-01-09T14:35:00Z'),
    (2, 3, 'owner', '2024-01-09T10:00:00Z'),
    (2, 4, 'member', '2024-01-10T08:20:00Z'),
    (3, 5, 'owner', '2024-01-15T11:20:00Z'),
    (3, 1, 'member', '2024-01-15T11:25:00Z');
