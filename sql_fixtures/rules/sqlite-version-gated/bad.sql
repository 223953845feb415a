-- setup: setup_schema.sql
ALTER TABLE users RENAME COLUMN old_name TO full_name;
ALTER TABLE users DROP COLUMN nickname;
CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL) STRICT;
CREATE TABLE boxes (w INTEGER, h INTEGER, area INTEGER GENERATED ALWAYS AS (w * h));
INSERT INTO counters (name, n) VALUES ('a', 1)
    ON CONFLICT (name) DO UPDATE SET n = n + 1;
DELETE FROM audit WHERE what = 'x' RETURNING id;
UPDATE users SET email = iif(email = '', NULL, email);
-- Before 3.25 the view keeps naming `audit`.
ALTER TABLE audit RENAME TO audit_log;
