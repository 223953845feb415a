-- setup: setup_schema.sql
-- Everything here works on SQLite 3.22.
ALTER TABLE users ADD COLUMN display_name TEXT;
CREATE TABLE counters (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
INSERT OR REPLACE INTO counters (name, n) VALUES ('a', 1);
UPDATE users SET email = CASE WHEN email = '' THEN NULL ELSE email END;
-- Nothing else names `counters`.
ALTER TABLE counters RENAME TO counters_v2;
