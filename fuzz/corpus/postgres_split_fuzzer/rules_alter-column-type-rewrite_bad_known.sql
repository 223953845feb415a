-- setup: setup_accounts.sql
ALTER TABLE accounts ALTER COLUMN balance TYPE bigint;
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(20);
ALTER TABLE accounts ALTER COLUMN price TYPE numeric(12,4);
-- PostgreSQL 12+ skips the rewrite only with TimeZone UTC.
ALTER TABLE accounts ALTER COLUMN opened_at TYPE timestamptz;
ALTER TABLE accounts ALTER COLUMN name TYPE varchar(60) COLLATE "C";
