-- migrate:backfill
-- @if not_null
-- migrate:allow drop-not-null reason "old code, which does not write {to}, runs again after this rollback"
-- @endif
-- Re-adds {table}.{column} (as {from_type}, nullable: a NOT NULL or DEFAULT it had is not restored) and the sync trigger,
-- then copies {to} back into it in batches. Old code can run again once this has finished.
ALTER TABLE {table} ADD COLUMN {column} {from_type};
-- @if not_null
ALTER TABLE {table} ALTER COLUMN {to} DROP NOT NULL;
-- @endif
-- @if default
ALTER TABLE {table} ALTER COLUMN {to} DROP DEFAULT;
-- @endif

-- @include _sync_trigger

UPDATE {table} SET {to} = {to} WHERE {column} IS NULL AND {to} IS NOT NULL;
