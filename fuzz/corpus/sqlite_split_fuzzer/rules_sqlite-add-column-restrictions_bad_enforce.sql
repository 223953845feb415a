-- setup: setup_schema.sql
-- migrate:foreign-keys enforce
ALTER TABLE accounts ADD COLUMN plan_id INTEGER NOT NULL DEFAULT 1 REFERENCES plans (id);
