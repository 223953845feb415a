-- migrate:transaction off
-- migrate:allow drop-foreign-key reason "reverts the NOT VALID foreign key this recipe added"
-- Note: drops {index} even if it existed before the expand (IF NOT EXISTS skipped it then).
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {constraint};
DROP INDEX CONCURRENTLY IF EXISTS {index_ref};
