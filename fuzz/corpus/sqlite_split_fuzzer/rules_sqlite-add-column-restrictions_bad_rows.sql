-- A table created in this migration that already has rows: the copy fails
-- just as production would.
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO tags (name) VALUES ('a'), ('b');
ALTER TABLE tags ADD COLUMN slug TEXT NOT NULL;
