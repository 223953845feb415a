-- migrate:transaction off
-- Dropping the constraint drops its index: build the expand's index again first, so uniqueness is never off.
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {index} ON {table} ({column});
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {constraint};
