-- setup-pending: setup_sessions.sql
-- The migration that creates sessions runs in the same apply: the table is new and empty.
CREATE INDEX sessions_token_idx ON sessions (token);
CREATE INDEX sessions_expires_idx ON public.sessions (expires_at);
