-- migrate:phase expand
-- migrate:backfill
-- migrate:backfill-check SELECT 1 FROM {table} WHERE {to} IS NULL AND {column} IS NOT NULL LIMIT 1
-- @if rename
-- Rename {table}.{column} -> {to}. After this, deploy code that reads and writes {table}.{to} only;
-- run the contract once no running code uses {table}.{column}. A trigger keeps both columns in sync meanwhile.
ALTER TABLE {table} ADD COLUMN {to} {type};
-- @else
-- Change {table}.{column} ({from_type}) to {type} as the new column {to}. After this, deploy code that reads and
-- writes {table}.{to} only; run the contract once no running code uses {table}.{column}.
-- Conversions: {using} (old -> new) and {using_back} (new -> old) default to plain PL/pgSQL assignment
-- (assignment cast, else text I/O; errors rather than truncating). A value that does not convert fails its batch.
ALTER TABLE {table} ADD COLUMN {to} {type};  -- new type; old column keeps {from_type}
-- @endif
-- @if default
-- A default on either column would make an INSERT naming the other column diverge: the trigger applies it instead.
ALTER TABLE {table} ALTER COLUMN {column} DROP DEFAULT;
-- @endif

-- @include _sync_trigger

-- batched by the tool (primary key range ANDed to the WHERE); the no-op write makes the trigger copy the value
UPDATE {table} SET {column} = {column} WHERE {to} IS NULL AND {column} IS NOT NULL;
