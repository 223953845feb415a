ALTER TABLE users DROP CONSTRAINT users_nickname_check;
-- Nobody else sees a table created earlier in this migration.
CREATE TABLE invitations (id bigint PRIMARY KEY, scratch text);
ALTER TABLE invitations DROP COLUMN scratch;
