-- A table created in this migration is empty and unseen.
CREATE TABLE teams (id bigint PRIMARY KEY, name text);
ALTER TABLE teams ALTER COLUMN name SET NOT NULL;
