CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email);
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;

-- A table created in this migration is empty and unseen.
CREATE TABLE teams (id bigint PRIMARY KEY, slug text NOT NULL);
ALTER TABLE teams ADD CONSTRAINT teams_slug_key UNIQUE (slug);
