-- @if not_null
-- migrate:transaction off
-- @endif
-- @if default
-- @else
-- @if not_null
-- @else
-- migrate:allow empty-migration reason "the expand of drop-column changed nothing"
-- @endif
-- @endif
-- @if default
ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT;
-- @endif
-- @if not_null
-- Restores NOT NULL without a long ACCESS EXCLUSIVE scan; refuses while rows written by new code hold NULL.
SELECT CAST('{table}.{column} has NULLs (row ' || ctid::text || '), written since the expand: fill them, then re-run' AS integer)
  FROM {table} WHERE {column} IS NULL LIMIT 1;
ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;
ALTER TABLE {table} VALIDATE CONSTRAINT {check};
ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check};
-- @endif
