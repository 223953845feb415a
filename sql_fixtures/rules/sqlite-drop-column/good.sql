-- setup: setup_schema.sql
-- A column of a table created in this migration: nobody else sees the rewrite.
CREATE TABLE drafts (id INTEGER PRIMARY KEY, body TEXT, scratch TEXT);
ALTER TABLE drafts DROP COLUMN scratch;
