-- setup: setup_sessions.sql
-- The table was created by an earlier migration already applied: it has production rows.
CREATE INDEX sessions_token_idx ON sessions (token);
