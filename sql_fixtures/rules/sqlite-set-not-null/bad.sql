-- setup: setup_schema.sql
CREATE TABLE new_users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL);
INSERT INTO new_users (id, email, name) SELECT id, email, name FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
