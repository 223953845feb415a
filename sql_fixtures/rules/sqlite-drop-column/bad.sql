-- setup: setup_schema.sql
ALTER TABLE users DROP COLUMN id;
ALTER TABLE users DROP COLUMN email;
ALTER TABLE users DROP COLUMN nickname;
ALTER TABLE users DROP COLUMN archived;
ALTER TABLE users DROP COLUMN display;
ALTER TABLE users DROP COLUMN bio;
ALTER TABLE users DROP COLUMN team_code;
-- Allowed (the CHECK is the column's own), and still rewrites the table.
ALTER TABLE users DROP COLUMN age;
