-- setup: setup_schema.sql
ALTER TABLE users DROP COLUMN id;
ALTER TABLE users DROP COLUMN email;
ALTER TABLE users DROP COLUMN nickname;
ALTER TABLE users DROP COLUMN archived;
ALTER TABLE users DROP COLUMN team_code;
ALTER TABLE users DROP COLUMN bio;
-- SQLite allows this one, and breaks the foreign key of teams.
ALTER TABLE users DROP COLUMN legacy;
-- Allowed, and still rewrites the table.
ALTER TABLE users DROP COLUMN age;
