-- pending: unknown
-- setup: setup_sessions.sql
-- As lint sees it: whether the migration that created sessions is applied is unknown, so a
-- warning that says both cases.
CREATE INDEX sessions_token_idx ON sessions (token);
