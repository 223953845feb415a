CREATE TABLE sessions (id bigint PRIMARY KEY, token text, expires_at timestamptz);
