-- migrate:phase contract
-- migrate:completes V{expand_version}
-- migrate:transaction off
-- @if default
-- migrate:backfill
-- @endif
-- Run only after every running version writes {table}.{column} (never NULL). Each statement commits on its own:
-- the CHECK is added NOT VALID (brief ACCESS EXCLUSIVE), validated under SHARE UPDATE EXCLUSIVE, and makes
-- SET NOT NULL skip its scan (PG12+).
-- @if default
-- NULLs written by old code after the expand's backfill (batched by the tool)
UPDATE {table} SET {column} = {default} WHERE {column} IS NULL;
-- @else
-- Guard: refuse before adding the CHECK (which would reject every later UPDATE of a row still NULL)
-- (the message depends on the row, so the planner cannot fold the CAST and fail when there is no NULL)
SELECT CAST('{table}.{column} still has NULLs (row ' || ctid::text || '): fix them, then run this migration again' AS integer)
  FROM {table} WHERE {column} IS NULL LIMIT 1;
-- @endif
ALTER TABLE {table} ADD CONSTRAINT {check} CHECK ({column} IS NOT NULL) NOT VALID;
ALTER TABLE {table} VALIDATE CONSTRAINT {check};
ALTER TABLE {table} ALTER COLUMN {column} SET NOT NULL;
ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {check};
