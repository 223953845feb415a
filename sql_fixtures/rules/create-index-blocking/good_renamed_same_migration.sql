CREATE TABLE staging_sessions (id bigint, token text);
ALTER TABLE staging_sessions RENAME TO new_sessions;
CREATE INDEX new_sessions_token_idx ON new_sessions (token);
