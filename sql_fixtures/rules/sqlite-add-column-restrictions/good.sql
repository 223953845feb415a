-- setup: setup_schema.sql
ALTER TABLE accounts ADD COLUMN created_at TEXT;
ALTER TABLE accounts ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE accounts ADD COLUMN email_lower TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL;
ALTER TABLE accounts ADD COLUMN plan_id INTEGER REFERENCES plans (id);
CREATE UNIQUE INDEX idx_accounts_email ON accounts (email);
-- A table created here is empty in production too.
CREATE TABLE tags (id INTEGER PRIMARY KEY);
ALTER TABLE tags ADD COLUMN name TEXT NOT NULL;
