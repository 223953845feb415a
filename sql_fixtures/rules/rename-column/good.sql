-- Expand: a new column next to the old one.
ALTER TABLE users ADD COLUMN email_address text;
-- Nobody else sees a table created earlier in this migration.
CREATE TABLE invitations (id bigint PRIMARY KEY, mail text);
ALTER TABLE invitations RENAME COLUMN mail TO email;
