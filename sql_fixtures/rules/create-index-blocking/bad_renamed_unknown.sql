-- pending: unknown
-- setup: setup_sessions.sql
-- setup: setup_rename_sessions.sql
-- A renamed table keeps the migration that created it: as lint sees it, a warning.
CREATE INDEX user_sessions_token_idx ON user_sessions (token);
