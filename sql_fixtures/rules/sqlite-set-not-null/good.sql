-- setup: setup_schema.sql
-- The rebuild keeps every column's nullability (and adds a nullable one).
CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT, name TEXT NOT NULL, bio TEXT);
INSERT INTO new_users (id, email, name) SELECT id, email, name FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
