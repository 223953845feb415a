-- A table created in this migration has no readers yet.
CREATE TABLE drafts (id bigint PRIMARY KEY, title text NOT NULL);
ALTER TABLE drafts ALTER COLUMN title DROP NOT NULL;
ALTER TABLE users ALTER COLUMN phone SET DEFAULT '';
